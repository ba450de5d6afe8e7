//! WebSocket frames (RFC 6455 §5.2) over borrowed bytes: the header, its
//! 7-, 16- or 64-bit length and the client's masking key. Payloads are
//! unmasked into the caller's buffer, never in place (the bytes are the
//! capture's). A frame longer than anyone would send as signaling is
//! reported with its length, so the caller can skip it without buffering.

use crate::proto::ParseError;

pub const OP_CONTINUATION: u8 = 0;
pub const OP_TEXT: u8 = 1;
pub const OP_BINARY: u8 = 2;
pub const OP_CLOSE: u8 = 8;

/// One frame's header; the payload follows `header_len` bytes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    pub header_len: usize,
    /// The payload length the header declares (up to 2^63).
    pub payload_len: u64,
}

impl Frame {
    /// Parses a frame header at the start of `b`.
    pub fn parse(b: &[u8]) -> Result<Frame, ParseError> {
        let [first, second, ..] = *b else {
            return Err(ParseError::Incomplete { needed: 2 });
        };
        // RSV1 marks a compressed message (permessage-deflate, RFC 7692);
        // RSV2 and RSV3 belong to no extension anyone uses.
        if first & 0x30 != 0 {
            return Err(ParseError::Invalid("WebSocket RSV2/RSV3 set"));
        }
        let opcode = first & 0x0f;
        if !matches!(opcode, 0..=2 | 8..=10) {
            return Err(ParseError::Invalid("reserved WebSocket opcode"));
        }
        let masked = second & 0x80 != 0;
        let (payload_len, mut header_len) = match second & 0x7f {
            126 => match b.get(2..4) {
                Some(l) => (u64::from(u16::from_be_bytes([l[0], l[1]])), 4),
                None => {
                    return Err(ParseError::Incomplete {
                        needed: 4 - b.len(),
                    });
                }
            },
            127 => match b.get(2..10) {
                Some(l) => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(l);
                    (u64::from_be_bytes(n), 10)
                }
                None => {
                    return Err(ParseError::Incomplete {
                        needed: 10 - b.len(),
                    });
                }
            },
            n => (u64::from(n), 2),
        };
        if payload_len >> 63 != 0 {
            return Err(ParseError::Invalid("WebSocket length with its top bit set"));
        }
        let mask = if masked {
            let Some(k) = b.get(header_len..header_len + 4) else {
                return Err(ParseError::Incomplete {
                    needed: header_len + 4 - b.len(),
                });
            };
            header_len += 4;
            Some([k[0], k[1], k[2], k[3]])
        } else {
            None
        };
        Ok(Frame {
            fin: first & 0x80 != 0,
            opcode,
            mask,
            header_len,
            payload_len,
        })
    }

    /// Whether the frame is compressed (permessage-deflate, RSV1).
    pub fn compressed(b: &[u8]) -> bool {
        b.first().is_some_and(|f| f & 0x40 != 0)
    }

    /// Appends the unmasked `payload` to `out`; `offset` is where in the
    /// frame's payload it starts (the mask cycles over the whole payload).
    pub fn unmask_into(&self, payload: &[u8], offset: usize, out: &mut Vec<u8>) {
        match self.mask {
            None => out.extend_from_slice(payload),
            Some(key) => out.extend(
                payload
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ key[(offset + i) % 4]),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_text_frame_from_rfc_6455() {
        // RFC 6455 §5.7: a masked "Hello".
        let b = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let f = Frame::parse(&b).unwrap();
        assert!(f.fin && f.opcode == OP_TEXT && f.header_len == 6 && f.payload_len == 5);
        let mut out = Vec::new();
        f.unmask_into(&b[6..8], 0, &mut out);
        f.unmask_into(&b[8..], 2, &mut out);
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn lengths_and_absurd_ones() {
        let f = Frame::parse(&[0x82, 0x7e, 0x01, 0x00]).unwrap();
        assert_eq!((f.opcode, f.payload_len, f.header_len), (OP_BINARY, 256, 4));
        let huge = [0x81, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00];
        assert_eq!(Frame::parse(&huge).unwrap().payload_len, 1 << 40);
        let top = [0x81, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(Frame::parse(&top), Err(ParseError::Invalid(_))));
        assert!(matches!(
            Frame::parse(&[0x81, 0x7f, 0]),
            Err(ParseError::Incomplete { .. })
        ));
        assert!(matches!(
            Frame::parse(&[0x83, 0]),
            Err(ParseError::Invalid(_))
        ));
    }
}
