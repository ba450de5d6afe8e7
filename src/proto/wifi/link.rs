//! From an 802.11 capture's link header to the MAC frame: radiotap (127),
//! PPI (192), Prism (119, which may really be AVS) and AVS (163) headers
//! are skipped, the radio facts teleprobe reports (channel, signal) read on
//! the way, and a trailing FCS stripped: by the header's flag where it has
//! one, by a CRC-32 check of the last four bytes where it has none (Prism
//! captures can carry an FCS on every frame that nothing flags). Borrowed
//! views only; never allocates, never trusts a length field.

use crate::source::LinkType;

const IEEE802_11: LinkType = LinkType::IEEE802_11;
const PRISM: LinkType = LinkType::PRISM;
const RADIOTAP: LinkType = LinkType::RADIOTAP;
const AVS: LinkType = LinkType::AVS;
const PPI: LinkType = LinkType::PPI;

/// Whether frames of this link type are 802.11 MAC frames behind a header.
pub fn is_wireless(link: LinkType) -> bool {
    matches!(link, IEEE802_11 | PRISM | RADIOTAP | AVS | PPI)
}

/// One frame off the air: the MAC frame without its FCS, and what the
/// capture header said about the radio.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Radio<'a> {
    pub frame: &'a [u8],
    /// Channel centre frequency (radiotap Channel, PPI 802.11-Common).
    pub frequency_mhz: Option<u16>,
    /// Antenna signal in dBm.
    pub signal_dbm: Option<i8>,
    /// Radiotap's "padding between header and payload" flag: the data
    /// frame's header is padded to a multiple of four bytes.
    pub padded: bool,
    /// The header flagged the FCS as bad: the frame's bytes are unreliable.
    pub bad_fcs: bool,
}

/// What the header says of a trailing FCS.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fcs {
    Present,
    Absent,
    /// The header cannot say: check the CRC.
    Unknown,
}

/// Strips the link header of an 802.11 link type and any trailing FCS.
pub fn mac_frame(link: LinkType, data: &[u8]) -> Result<Radio<'_>, &'static str> {
    let (mut radio, fcs) = match link {
        IEEE802_11 => (
            Radio {
                frame: data,
                ..Radio::default()
            },
            Fcs::Unknown,
        ),
        RADIOTAP => radiotap(data)?,
        PPI => ppi(data)?,
        PRISM if avs_magic(data) => (avs(data)?, Fcs::Unknown),
        PRISM => (prism(data)?, Fcs::Unknown),
        AVS => (avs(data)?, Fcs::Unknown),
        _ => return Err("not an 802.11 link type"),
    };
    let has_fcs = match fcs {
        Fcs::Present => true,
        Fcs::Absent => false,
        Fcs::Unknown => fcs_matches(radio.frame),
    };
    if has_fcs {
        let len = radio.frame.len();
        if len < 4 {
            return Err("frame shorter than its FCS");
        }
        radio.frame = &radio.frame[..len - 4];
    }
    Ok(radio)
}

/// Whether the last four bytes are the CRC-32 of the rest (IEEE 802.3
/// polynomial, little-endian on the air as in Ethernet). A MAC frame is at
/// least 10 bytes, so shorter input never carries one.
pub fn fcs_matches(frame: &[u8]) -> bool {
    if frame.len() < 14 {
        return false;
    }
    let (body, tail) = frame.split_at(frame.len() - 4);
    crc32fast::hash(body) == u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]])
}

fn le16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn le32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// Radiotap (radiotap.org): version 0, pad, `it_len`, then presence words
/// (bit 31: another word follows). Fields follow in bit order, each aligned
/// to its natural size from the header's start. Only the first word's bits
/// 0-6 are walked (TSFT, Flags, Rate, Channel, FHSS, signal, noise): the
/// walk stops at the first bit it does not need, and `it_len` reaches the
/// frame whatever follows.
fn radiotap(data: &[u8]) -> Result<(Radio<'_>, Fcs), &'static str> {
    if data.len() < 8 {
        return Err("radiotap header truncated");
    }
    if data[0] != 0 {
        return Err("radiotap version is not 0");
    }
    let it_len = usize::from(le16(data, 2).unwrap_or(0));
    if it_len < 8 || it_len > data.len() {
        return Err("radiotap length beyond the frame");
    }
    let header = &data[..it_len];
    let present = le32(header, 4).unwrap_or(0);
    // Presence words: the first, then one more for every bit 31 set.
    let mut fields = 8;
    let mut word = present;
    while word & (1 << 31) != 0 {
        word = le32(header, fields).ok_or("radiotap presence words beyond its length")?;
        fields += 4;
    }
    let mut radio = Radio {
        frame: &data[it_len..],
        ..Radio::default()
    };
    let mut fcs = Fcs::Absent;
    // (bit, size, alignment) of the fields read or stepped over.
    const FIELDS: [(u32, usize, usize); 7] = [
        (0, 8, 8), // TSFT
        (1, 1, 1), // Flags
        (2, 1, 1), // Rate
        (3, 4, 2), // Channel: frequency, flags
        (4, 2, 2), // FHSS
        (5, 1, 1), // antenna signal, dBm
        (6, 1, 1), // antenna noise, dBm
    ];
    let mut at = fields;
    for (bit, size, align) in FIELDS {
        if present & (1 << bit) == 0 {
            continue;
        }
        at = at.next_multiple_of(align);
        let Some(field) = header.get(at..at + size) else {
            return Err("radiotap field beyond its length");
        };
        match bit {
            1 => {
                let flags = field[0];
                if flags & 0x10 != 0 {
                    fcs = Fcs::Present;
                }
                radio.padded = flags & 0x20 != 0;
                radio.bad_fcs = flags & 0x40 != 0;
            }
            3 => radio.frequency_mhz = Some(u16::from_le_bytes([field[0], field[1]])),
            5 => radio.signal_dbm = Some(field[0] as i8),
            _ => {}
        }
        at += size;
    }
    Ok((radio, fcs))
}

/// PPI v0 (the CACE Per-Packet Information header): version, flags,
/// length, inner link type (802.11 only here), then typed fields; the
/// 802.11-Common field (type 2, 20 bytes) carries the FCS flags, channel
/// and signal.
fn ppi(data: &[u8]) -> Result<(Radio<'_>, Fcs), &'static str> {
    if data.len() < 8 {
        return Err("PPI header truncated");
    }
    let len = usize::from(le16(data, 2).unwrap_or(0));
    if len < 8 || len > data.len() {
        return Err("PPI length beyond the frame");
    }
    if le32(data, 4) != Some(105) {
        return Err("PPI carries a link type other than 802.11");
    }
    let aligned = data[1] & 0x01 != 0;
    let mut radio = Radio {
        frame: &data[len..],
        ..Radio::default()
    };
    let mut fcs = Fcs::Unknown;
    let mut at = 8;
    while at + 4 <= len {
        let kind = le16(data, at).unwrap_or(0);
        let size = usize::from(le16(data, at + 2).unwrap_or(0));
        let start = at + 4;
        let Some(field) = data[..len].get(start..start + size) else {
            return Err("PPI field beyond its header");
        };
        if kind == 2 && size >= 20 {
            let flags = u16::from_le_bytes([field[8], field[9]]);
            fcs = if flags & 0x0001 != 0 {
                Fcs::Present
            } else {
                Fcs::Absent
            };
            radio.bad_fcs = flags & 0x0004 != 0;
            let frequency = u16::from_le_bytes([field[12], field[13]]);
            radio.frequency_mhz = (frequency != 0).then_some(frequency);
            radio.signal_dbm = Some(field[18] as i8);
        }
        at = start + size;
        if aligned {
            at = at.next_multiple_of(4);
        }
    }
    Ok((radio, fcs))
}

fn avs_magic(data: &[u8]) -> bool {
    matches!(be32(data, 0), Some(0x8021_1001 | 0x8021_1002))
}

/// AVS (wlan-ng): big-endian magic and header length, then fixed fields.
fn avs(data: &[u8]) -> Result<Radio<'_>, &'static str> {
    if !avs_magic(data) {
        return Err("AVS header without its magic");
    }
    let len = be32(data, 4).ok_or("AVS header truncated")? as usize;
    if !(8..=data.len()).contains(&len) {
        return Err("AVS length beyond the frame");
    }
    Ok(Radio {
        frame: &data[len..],
        ..Radio::default()
    })
}

/// Prism (wlan-ng's older header): a fixed 144 bytes.
fn prism(data: &[u8]) -> Result<Radio<'_>, &'static str> {
    Ok(Radio {
        frame: data.get(144..).ok_or("Prism header truncated")?,
        ..Radio::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::wifi::build;

    const FRAME: &[u8] = &[0x08, 0x02, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    #[test]
    fn radiotap_reads_flags_channel_and_signal_and_strips_the_flagged_fcs() {
        let with_fcs = build::radiotap(&build::with_fcs(FRAME), true, Some(2437), Some(-41));
        let radio = mac_frame(RADIOTAP, &with_fcs).unwrap();
        assert_eq!(radio.frame, FRAME);
        assert_eq!(radio.frequency_mhz, Some(2437));
        assert_eq!(radio.signal_dbm, Some(-41));
        // Without the flag the last four bytes stay, even when they are a CRC.
        let unflagged = build::radiotap(&build::with_fcs(FRAME), false, None, None);
        assert_eq!(
            mac_frame(RADIOTAP, &unflagged).unwrap().frame.len(),
            FRAME.len() + 4
        );
    }

    #[test]
    fn radiotap_with_extended_presence_words_reaches_the_frame() {
        // Two presence words (bit 31 in the first), TSFT then Flags (FCS).
        let mut header = vec![0, 0, 0, 0];
        header.extend_from_slice(&(1u32 << 31 | 0b11).to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&[0; 4]); // TSFT aligns to 8: 12 -> 16
        header.extend_from_slice(&7u64.to_le_bytes());
        header.push(0x10);
        let len = header.len() as u16;
        header[2..4].copy_from_slice(&len.to_le_bytes());
        header.extend_from_slice(&build::with_fcs(FRAME));
        assert_eq!(mac_frame(RADIOTAP, &header).unwrap().frame, FRAME);
    }

    #[test]
    fn bare_802_11_prism_and_avs_find_the_fcs_by_its_crc() {
        let framed = build::with_fcs(FRAME);
        assert_eq!(mac_frame(IEEE802_11, &framed).unwrap().frame, FRAME);
        assert_eq!(mac_frame(IEEE802_11, FRAME).unwrap().frame, FRAME);
        let mut prism = vec![0u8; 144];
        prism.extend_from_slice(&framed);
        assert_eq!(mac_frame(PRISM, &prism).unwrap().frame, FRAME);
        let mut avs = vec![0x80, 0x21, 0x10, 0x01, 0, 0, 0, 64];
        avs.resize(64, 0);
        avs.extend_from_slice(FRAME);
        assert_eq!(mac_frame(AVS, &avs).unwrap().frame, FRAME);
        // A Prism link whose header is really AVS.
        assert_eq!(mac_frame(PRISM, &avs).unwrap().frame, FRAME);
    }

    #[test]
    fn ppi_reads_the_802_11_common_field() {
        let ppi = build::ppi(&build::with_fcs(FRAME), true, 5180, -60);
        let radio = mac_frame(PPI, &ppi).unwrap();
        assert_eq!(radio.frame, FRAME);
        assert_eq!(radio.frequency_mhz, Some(5180));
        assert_eq!(radio.signal_dbm, Some(-60));
    }

    #[test]
    fn truncated_and_lying_headers_are_errors_not_panics() {
        assert!(mac_frame(RADIOTAP, &[0, 0, 200, 0, 0, 0, 0, 0]).is_err());
        assert!(mac_frame(RADIOTAP, &[0, 0, 8]).is_err());
        // Presence says another word follows, but the header ends.
        assert!(mac_frame(RADIOTAP, &[0, 0, 8, 0, 0, 0, 0, 0x80]).is_err());
        // Channel announced, header too short for it.
        assert!(mac_frame(RADIOTAP, &[0, 0, 9, 0, 8, 0, 0, 0, 0]).is_err());
        assert!(mac_frame(PPI, &[0, 0, 8, 0, 1, 0, 0, 0]).is_err());
        assert!(mac_frame(PRISM, &[0; 100]).is_err());
        assert!(mac_frame(AVS, &[0x80, 0x21, 0x10, 0x01, 0xff, 0, 0, 0]).is_err());
    }
}
