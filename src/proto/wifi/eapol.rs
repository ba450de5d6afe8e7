//! EAPOL (802.1X-2020 §11.3) as it crosses the air in unprotected data
//! frames: the EAPOL-Key messages of the 4-way handshake (802.11-2020
//! §12.7.2, told apart by their Key Information bits as airodump-ng and
//! Wireshark do), the PMKID a first message may carry, and EAP (RFC 3748):
//! code, method, and the outer identity a Response/Identity shows in the
//! clear. Versions 1 to 3 are all accepted. Borrowed views only.

/// One EAPOL frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eapol<'a> {
    Eap(Eap<'a>),
    Key(Key),
    Start,
    Logoff,
    Other(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eap<'a> {
    /// 1 Request, 2 Response, 3 Success, 4 Failure.
    pub code: u8,
    /// The method type of a Request or Response.
    pub method: Option<u8>,
    /// The type data: an identity for type 1, the method's data otherwise.
    pub data: &'a [u8],
}

pub const EAP_REQUEST: u8 = 1;
pub const EAP_RESPONSE: u8 = 2;
pub const EAP_SUCCESS: u8 = 3;
pub const EAP_FAILURE: u8 = 4;
pub const EAP_IDENTITY: u8 = 1;
pub const EAP_NAK: u8 = 3;

/// An EAPOL-Key frame, reduced to what identifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// 1-4 for the pairwise handshake's messages; `None` for group-key
    /// messages and combinations the standard does not send.
    pub message: Option<u8>,
    /// Key Information bits 0-2: 1 HMAC-MD5/RC4 (WPA), 2 HMAC-SHA1/AES,
    /// 3 AES-128-CMAC, 0 defined by the AKM (SAE, OWE, Suite B, FILS).
    pub descriptor_version: u8,
    /// Descriptor type: 2 RSN, 254 WPA.
    pub descriptor: u8,
    /// Message 1 carried a PMKID KDE: material to attack a PSK offline
    /// without any client.
    pub pmkid: bool,
}

/// Parses the body after LLC/SNAP's EtherType 0x888E.
pub fn parse(body: &[u8]) -> Result<Eapol<'_>, &'static str> {
    let header = body.get(..4).ok_or("EAPOL header truncated")?;
    if !(1..=3).contains(&header[0]) {
        return Err("EAPOL version not 1-3");
    }
    let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let payload = body
        .get(4..4 + length)
        .ok_or("EAPOL length beyond the frame")?;
    Ok(match header[1] {
        0 => Eapol::Eap(eap(payload)?),
        1 => Eapol::Start,
        2 => Eapol::Logoff,
        3 => Eapol::Key(key(payload)?),
        other => Eapol::Other(other),
    })
}

fn eap(packet: &[u8]) -> Result<Eap<'_>, &'static str> {
    let header = packet.get(..4).ok_or("EAP header truncated")?;
    let code = header[0];
    let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if length < 4 {
        return Err("EAP length below its header");
    }
    let packet = packet.get(..length).ok_or("EAP length beyond the frame")?;
    match code {
        EAP_REQUEST | EAP_RESPONSE => {
            let method = *packet.get(4).ok_or("EAP type missing")?;
            Ok(Eap {
                code,
                method: Some(method),
                data: &packet[5..],
            })
        }
        EAP_SUCCESS | EAP_FAILURE => Ok(Eap {
            code,
            method: None,
            data: &[],
        }),
        _ => Err("EAP code unknown"),
    }
}

/// Key Information bits (802.11-2020 Figure 12-33).
const PAIRWISE: u16 = 1 << 3;
const INSTALL: u16 = 1 << 6;
const ACK: u16 = 1 << 7;
const MIC: u16 = 1 << 8;
const SECURE: u16 = 1 << 9;

fn key(body: &[u8]) -> Result<Key, &'static str> {
    // descriptor 1, info 2, key length 2, replay 8, nonce 32, IV 16,
    // RSC 8, reserved 8: 77 bytes before the MIC.
    let fixed = body.get(..77).ok_or("EAPOL-Key truncated")?;
    let descriptor = fixed[0];
    let info = u16::from_be_bytes([fixed[1], fixed[2]]);
    let nonce_zero = fixed[13..45].iter().all(|&b| b == 0);
    let message = match (info & PAIRWISE != 0, info & (ACK | MIC | INSTALL)) {
        (false, _) => None,
        (true, ACK) => Some(1),
        // Message 4: Secure in RSN, a zero nonce in WPA (airodump's test).
        (true, MIC) if !nonce_zero && info & SECURE == 0 => Some(2),
        (true, MIC) => Some(4),
        (true, bits) if bits == ACK | MIC | INSTALL => Some(3),
        _ => None,
    };
    // The MIC is 16 bytes for the AKMs a PMKID concerns (the PSK ones);
    // message 1 has no MIC, so its key data is read at that length.
    let pmkid = message == Some(1)
        && body
            .get(77 + 16..79 + 16)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
            .and_then(|len| body.get(79 + 16..79 + 16 + len))
            .is_some_and(has_pmkid_kde);
    Ok(Key {
        message,
        descriptor_version: (info & 0x07) as u8,
        descriptor,
        pmkid,
    })
}

/// A PMKID KDE (DD, length ≥ 20, 00-0F-AC type 4) among the key data,
/// with a PMKID that is not all zeros (some APs send a zero one).
fn has_pmkid_kde(mut data: &[u8]) -> bool {
    while data.len() >= 2 {
        let (kind, len) = (data[0], usize::from(data[1]));
        let Some(value) = data.get(2..2 + len) else {
            return false;
        };
        if kind == 0xdd
            && len >= 20
            && value[..4] == [0x00, 0x0f, 0xac, 0x04]
            && value[4..20].iter().any(|&b| b != 0)
        {
            return true;
        }
        data = &data[2 + len..];
    }
    false
}

/// EAP methods that carry TLS: EAP-TLS, TTLS, PEAP, FAST, TEAP.
pub fn carries_tls(method: u8) -> bool {
    matches!(method, 13 | 21 | 25 | 43 | 55)
}

/// The TLS bytes of an EAP-TLS-family message (RFC 5216 §3.1): a flags
/// byte (L: a 4-byte TLS message length follows; M: more fragments; S:
/// start), then TLS records, perhaps a fragment of them. Returns the TLS
/// bytes and whether more fragments follow.
pub fn tls_fragment(data: &[u8]) -> Option<(&[u8], bool)> {
    let (&flags, rest) = data.split_first()?;
    let rest = if flags & 0x80 != 0 {
        rest.get(4..)?
    } else {
        rest
    };
    Some((rest, flags & 0x40 != 0))
}

/// The subject of the first certificate in a flight of TLS handshake
/// records (TLS 1.2 and earlier send certificates in the clear): records
/// of type 22 are joined, then read message by message.
pub fn flight_certificate(tls: &[u8]) -> Option<crate::proto::tls::CertificateInfo> {
    use crate::proto::tls::{certificate_info, leaf_certificate, tls_handshake, tls_record};
    let mut handshake = Vec::new();
    let mut rest = tls;
    while let Ok(record) = tls_record(rest) {
        if record.content == 22 {
            handshake.extend_from_slice(record.fragment);
        }
        rest = &rest[record.len()..];
    }
    let mut messages = handshake.as_slice();
    while let Some((kind, body, len)) = tls_handshake(messages) {
        if kind == 11 {
            return leaf_certificate(body).and_then(certificate_info);
        }
        messages = &messages[len..];
    }
    None
}

/// The name of an EAP method, as tshark and Kismet call it.
pub fn method_name(method: u8) -> &'static str {
    match method {
        1 => "Identity",
        2 => "Notification",
        3 => "Nak",
        4 => "MD5",
        5 => "OTP",
        6 => "GTC",
        13 => "EAP-TLS",
        17 => "LEAP",
        18 => "EAP-SIM",
        21 => "EAP-TTLS",
        23 => "EAP-AKA",
        25 => "PEAP",
        26 => "MSCHAPv2",
        43 => "EAP-FAST",
        47 => "EAP-PSK",
        50 => "EAP-AKA'",
        52 => "EAP-pwd",
        55 => "TEAP",
        254 => "expanded",
        _ => "other",
    }
}

/// Methods whose exchange gives a passive listener the credential or a
/// cheap attack on it: MD5-Challenge, LEAP, GTC and OTP outside a tunnel.
pub fn weak_method(method: u8) -> bool {
    matches!(method, 4 | 5 | 6 | 17)
}

/// What an outer identity reveals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// Empty, "anonymous", or only "@realm": nothing about the user.
    Anonymous,
    /// A permanent 3GPP identity: "0" (EAP-AKA) / "1" (EAP-SIM) / "6"
    /// (AKA') then the 15-digit IMSI, usually @...3gppnetwork.org.
    Imsi,
    /// A user name.
    User,
}

pub fn identity_kind(identity: &[u8]) -> Identity {
    let user = identity
        .iter()
        .position(|&b| b == b'@')
        .map_or(identity, |at| &identity[..at]);
    if user.is_empty() || user.eq_ignore_ascii_case(b"anonymous") {
        return Identity::Anonymous;
    }
    if matches!(user.first(), Some(b'0' | b'1' | b'6'))
        && user.len() == 16
        && user[1..].iter().all(u8::is_ascii_digit)
    {
        return Identity::Imsi;
    }
    Identity::User
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::wifi::build;

    #[test]
    fn the_four_messages_are_told_apart_and_the_pmkid_is_found() {
        for n in 1..=4 {
            let frame = build::eapol_key(n, n == 1);
            let Eapol::Key(k) = parse(&frame).unwrap() else {
                panic!("not a key frame");
            };
            assert_eq!(k.message, Some(n), "message {n}");
            assert_eq!(k.pmkid, n == 1);
            assert_eq!((k.descriptor, k.descriptor_version), (2, 2));
        }
        assert!(!matches!(
            parse(&build::eapol_key(1, false)),
            Ok(Eapol::Key(Key { pmkid: true, .. }))
        ));
    }

    #[test]
    fn eap_identity_method_and_outcome() {
        let id = build::eap(EAP_RESPONSE, Some(EAP_IDENTITY), b"alice@clinic.example");
        assert_eq!(
            parse(&id).unwrap(),
            Eapol::Eap(Eap {
                code: 2,
                method: Some(1),
                data: b"alice@clinic.example"
            })
        );
        let success = build::eap(EAP_SUCCESS, None, b"");
        assert!(matches!(
            parse(&success),
            Ok(Eapol::Eap(Eap { code: 3, .. }))
        ));
        assert!(parse(&[4, 0, 0, 0]).is_err(), "version 4");
        assert!(parse(&[2, 0, 0, 9, 1]).is_err(), "length past the end");
        assert!(
            parse(&[1, 0, 0, 4, 2, 0, 0, 2]).is_err(),
            "EAP length below 4"
        );
        assert!(parse(&[2, 3, 0, 4, 2, 0, 0, 4]).is_err(), "key too short");
    }

    #[test]
    fn identities_say_what_they_reveal() {
        assert_eq!(
            identity_kind(b"anonymous@clinic.example"),
            Identity::Anonymous
        );
        assert_eq!(identity_kind(b"@clinic.example"), Identity::Anonymous);
        assert_eq!(identity_kind(b""), Identity::Anonymous);
        assert_eq!(identity_kind(b"dr.jones@clinic.example"), Identity::User);
        assert_eq!(
            identity_kind(b"1310150123456789@wlan.mnc015.mcc310.3gppnetwork.org"),
            Identity::Imsi
        );
        assert_eq!(identity_kind(b"1310150123456789x"), Identity::User);
    }
}
