//! A builder that emits RTP packets (RFC 3550 §5.1) from a description,
//! for the tests and fuzz seeds. Must never be used on the packet path.

/// An RTP header without CSRCs, with at most a one-word extension.
#[derive(Debug, Clone, Copy, Default)]
pub struct RtpRepr {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// The extension's profile and its one 32-bit word.
    pub extension: Option<(u16, [u8; 4])>,
}

impl RtpRepr {
    pub fn emit(&self, payload: &[u8]) -> Vec<u8> {
        let x = if self.extension.is_some() { 0x10 } else { 0 };
        let mut p = vec![
            0x80 | x,
            (u8::from(self.marker) << 7) | (self.payload_type & 0x7f),
        ];
        p.extend_from_slice(&self.sequence.to_be_bytes());
        p.extend_from_slice(&self.timestamp.to_be_bytes());
        p.extend_from_slice(&self.ssrc.to_be_bytes());
        if let Some((profile, word)) = self.extension {
            p.extend_from_slice(&profile.to_be_bytes());
            p.extend_from_slice(&1u16.to_be_bytes());
            p.extend_from_slice(&word);
        }
        p.extend_from_slice(payload);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_built_parses_back_to_what_was_described() {
        let repr = RtpRepr {
            marker: true,
            payload_type: 111,
            sequence: 65535,
            timestamp: 960,
            ssrc: 0xdead_beef,
            extension: None,
        };
        let wire = repr.emit(&[1, 2, 3]);
        let h = super::super::parse_rtp(&wire).unwrap();
        assert_eq!(
            (
                h.marker,
                h.payload_type,
                h.sequence,
                h.timestamp,
                h.ssrc,
                h.payload
            ),
            (true, 111, 65535, 960, 0xdead_beef, &[1, 2, 3][..])
        );
        let extended = RtpRepr {
            extension: Some((0xDEBE, [1, 2, 3, 4])),
            ..repr
        };
        let wire = extended.emit(&[1, 2, 3]);
        let h = super::super::parse_rtp(&wire).unwrap();
        assert_eq!(
            (h.extension_profile, h.payload),
            (Some(0xDEBE), &[1, 2, 3][..])
        );
    }
}
