//! The 802.11 MAC header (802.11-2020 §9.2): frame control, addresses,
//! the header's length (4 addresses, QoS, HT control, radiotap padding),
//! and what a data frame's body holds: LLC/SNAP with an EtherType, the
//! A-MSDU subframes, or a cipher header whose ExtIV bit tells WEP from the
//! RSN ciphers. A borrowed view; never allocates.

/// A MAC address as captured.
pub type Mac = [u8; 6];

pub const BROADCAST: Mac = [0xff; 6];

/// Frame type (Frame Control bits 2-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Management,
    Control,
    Data,
    Extension,
}

/// Management subtypes teleprobe reads.
pub mod subtype {
    pub const ASSOC_REQUEST: u8 = 0;
    pub const ASSOC_RESPONSE: u8 = 1;
    pub const REASSOC_REQUEST: u8 = 2;
    pub const REASSOC_RESPONSE: u8 = 3;
    pub const PROBE_REQUEST: u8 = 4;
    pub const PROBE_RESPONSE: u8 = 5;
    pub const BEACON: u8 = 8;
    pub const DISASSOC: u8 = 10;
    pub const AUTH: u8 = 11;
    pub const DEAUTH: u8 = 12;
}

#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    pub kind: Kind,
    pub subtype: u8,
    /// Frame Control's second byte: ToDS 0x01, FromDS 0x02, Retry 0x08,
    /// Protected 0x40, +HTC/Order 0x80.
    pub flags: u8,
    pub addr1: Mac,
    pub addr2: Mac,
    pub addr3: Mac,
    /// A QoS data frame whose QoS Control says A-MSDU.
    pub amsdu: bool,
    pub body: &'a [u8],
}

fn mac(data: &[u8], at: usize) -> Option<Mac> {
    data.get(at..at + 6)?.try_into().ok()
}

impl<'a> Header<'a> {
    /// Parses a MAC frame without its FCS. Control frames are recognised
    /// but not read (their addresses vary and teleprobe needs none).
    /// `padded`: radiotap says the header is padded to four bytes.
    pub fn parse(frame: &'a [u8], padded: bool) -> Result<Header<'a>, &'static str> {
        let (&fc0, rest) = frame.split_first().ok_or("802.11 frame empty")?;
        let flags = *rest.first().ok_or("802.11 frame control truncated")?;
        if fc0 & 0x03 != 0 {
            return Err("802.11 protocol version is not 0");
        }
        let kind = match (fc0 >> 2) & 0x03 {
            0 => Kind::Management,
            1 => Kind::Control,
            2 => Kind::Data,
            _ => Kind::Extension,
        };
        let subtype = fc0 >> 4;
        if matches!(kind, Kind::Control | Kind::Extension) {
            return Ok(Header {
                kind,
                subtype,
                flags,
                addr1: [0; 6],
                addr2: [0; 6],
                addr3: [0; 6],
                amsdu: false,
                body: &[],
            });
        }
        let mut len = 24;
        let mut amsdu = false;
        if kind == Kind::Data {
            if flags & 0x03 == 0x03 {
                len += 6;
            }
            if subtype & 0x08 != 0 {
                // QoS Control: bit 7 of its first byte is "A-MSDU present".
                let qos = *frame.get(len).ok_or("802.11 QoS control truncated")?;
                amsdu = qos & 0x80 != 0;
                len += 2;
                if flags & 0x80 != 0 {
                    len += 4;
                }
            }
        } else if flags & 0x80 != 0 {
            len += 4;
        }
        if padded {
            len = len.next_multiple_of(4);
        }
        if frame.len() < len {
            return Err("802.11 header truncated");
        }
        Ok(Header {
            kind,
            subtype,
            flags,
            addr1: mac(frame, 4).ok_or("802.11 header truncated")?,
            addr2: mac(frame, 10).ok_or("802.11 header truncated")?,
            addr3: mac(frame, 16).ok_or("802.11 header truncated")?,
            amsdu,
            body: &frame[len..],
        })
    }

    pub fn protected(&self) -> bool {
        self.flags & 0x40 != 0
    }

    pub fn retry(&self) -> bool {
        self.flags & 0x08 != 0
    }

    fn towards_ap(&self) -> bool {
        self.flags & 0x01 != 0
    }

    fn leaving_ap(&self) -> bool {
        self.flags & 0x02 != 0
    }

    /// A data frame of a "no data" subtype (Null, QoS Null, CF-only).
    pub fn no_data(&self) -> bool {
        self.kind == Kind::Data && self.subtype & 0x04 != 0
    }

    /// The BSSID (802.11-2020 §9.3.2.1): A3 between stations of a BSS and
    /// in management frames, A1 towards the AP, A2 from it; none in the
    /// four-address frames of a WDS or mesh.
    pub fn bssid(&self) -> Option<Mac> {
        match (self.towards_ap(), self.leaving_ap()) {
            (false, false) => Some(self.addr3),
            (true, false) => Some(self.addr1),
            (false, true) => Some(self.addr2),
            (true, true) => None,
        }
    }

    /// The station on the far side of the AP: the sender towards the AP,
    /// the receiver from it. `None` when it is a group address.
    pub fn station(&self) -> Option<Mac> {
        let station = match (self.towards_ap(), self.leaving_ap()) {
            (true, false) => self.addr2,
            (false, true) => self.addr1,
            (false, false) if self.addr2 != self.addr3 => self.addr2,
            (false, false) => self.addr1,
            (true, true) => return None,
        };
        (station[0] & 0x01 == 0).then_some(station)
    }
}

/// What an unprotected data frame's body carries after LLC/SNAP.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_EAPOL: u16 = 0x888e;

/// The EtherType and payload behind an LLC/SNAP header (RFC 1042, or
/// 802.1H's bridge tunnel), `None` for other LLC.
pub fn snap(body: &[u8]) -> Option<(u16, &[u8])> {
    let header = body.get(..8)?;
    if header[..3] != [0xaa, 0xaa, 0x03] || header[3..5] != [0, 0] {
        return None;
    }
    if header[5] != 0 && header[5] != 0xf8 {
        return None;
    }
    Some((u16::from_be_bytes([header[6], header[7]]), &body[8..]))
}

/// The subframes of an A-MSDU (802.11-2020 §9.3.2.2.2): destination,
/// source, length, the LLC/SNAP payload, padded to four bytes. A length
/// past the end stops the walk.
pub fn amsdu_subframes(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = body;
    std::iter::from_fn(move || {
        let length = usize::from(u16::from_be_bytes(rest.get(12..14)?.try_into().ok()?));
        let payload = rest.get(14..14 + length)?;
        let next = (14 + length).next_multiple_of(4).min(rest.len());
        rest = &rest[next..];
        Some(payload)
    })
}

/// The cipher of a protected frame, from its cipher header's ExtIV bit
/// (802.11-2020 §12.5): clear for WEP, set for TKIP, CCMP and GCMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    Wep,
    Rsn,
}

pub fn sealed(body: &[u8]) -> Option<Sealed> {
    let key_id = *body.get(3)?;
    Some(if key_id & 0x20 != 0 {
        Sealed::Rsn
    } else {
        Sealed::Wep
    })
}

/// `aa:bb:cc:dd:ee:ff`, as every Wi-Fi tool prints it.
pub fn mac_text(mac: &Mac) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(17);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::wifi::build;

    const AP: Mac = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
    const STA: Mac = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];

    #[test]
    fn addresses_follow_the_ds_bits() {
        let up = build::data(AP, STA, true, &[]);
        let h = Header::parse(&up, false).unwrap();
        assert_eq!(
            (h.kind, h.bssid(), h.station()),
            (Kind::Data, Some(AP), Some(STA))
        );
        let down = build::data(AP, STA, false, &[]);
        let h = Header::parse(&down, false).unwrap();
        assert_eq!((h.bssid(), h.station()), (Some(AP), Some(STA)));
        let beacon = build::management(subtype::BEACON, BROADCAST, AP, AP, &[0; 12]);
        let h = Header::parse(&beacon, false).unwrap();
        assert_eq!(
            (h.kind, h.subtype, h.bssid()),
            (Kind::Management, 8, Some(AP))
        );
        assert_eq!(h.body.len(), 12);
    }

    #[test]
    fn four_address_qos_htc_and_padded_headers_have_their_lengths() {
        let mut frame = vec![0x88, 0x83]; // QoS data, ToDS|FromDS, +HTC
        frame.resize(30 + 2 + 4, 0);
        frame.extend_from_slice(b"body");
        let h = Header::parse(&frame, false).unwrap();
        assert_eq!((h.body, h.bssid()), (&b"body"[..], None));
        let mut qos = vec![0x88, 0x01];
        qos.resize(26, 0);
        qos.extend_from_slice(&[0, 0]); // radiotap pad to 28
        qos.extend_from_slice(b"x");
        assert_eq!(Header::parse(&qos, true).unwrap().body, b"x");
        assert!(Header::parse(&qos[..20], false).is_err());
        assert!(Header::parse(&[0x0b, 0], false).is_err(), "version 3");
    }

    #[test]
    fn snap_amsdu_and_cipher_headers() {
        let body = build::snap(ETHERTYPE_EAPOL, b"\x02\x03");
        assert_eq!(snap(&body), Some((ETHERTYPE_EAPOL, &b"\x02\x03"[..])));
        assert_eq!(snap(&[0xaa, 0xaa, 0x03, 0, 0]), None);
        let mut amsdu = Vec::new();
        for payload in [&b"abc"[..], b"defgh"] {
            amsdu.extend_from_slice(&[0; 12]);
            amsdu.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            amsdu.extend_from_slice(payload);
            amsdu.resize(amsdu.len().next_multiple_of(4), 0);
        }
        let parts: Vec<&[u8]> = amsdu_subframes(&amsdu).collect();
        assert_eq!(parts, [&b"abc"[..], b"defgh"]);
        assert_eq!(sealed(&[1, 2, 3, 0x20, 0, 0, 0, 0]), Some(Sealed::Rsn));
        assert_eq!(sealed(&[1, 2, 3, 0x40]), Some(Sealed::Wep));
        assert_eq!(mac_text(&AP), "00:11:22:33:44:55");
    }
}
