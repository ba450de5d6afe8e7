//! Builders that emit valid TLS and DTLS bytes (records, handshake
//! messages, hellos) from a description, as smoltcp's `Repr::emit` does:
//! for the tests and fuzz seeds, so they describe what they send instead of
//! assembling bytes. Must never be used on the packet path.

/// A handshake message: type, 24-bit length, body.
pub fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// A TLS record (content type, record-layer version, fragment).
pub fn record(content: u8, version: u16, fragment: &[u8]) -> Vec<u8> {
    let mut r = vec![content];
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
    r.extend_from_slice(fragment);
    r
}

/// A DTLS handshake message, whole in one fragment (RFC 6347 §4.2.2).
pub fn dtls_handshake(kind: u8, message_seq: u16, body: &[u8]) -> Vec<u8> {
    let len = &(body.len() as u32).to_be_bytes()[1..];
    let mut m = vec![kind];
    m.extend_from_slice(len);
    m.extend_from_slice(&message_seq.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0]);
    m.extend_from_slice(len);
    m.extend_from_slice(body);
    m
}

/// A DTLS record of epoch 0 with sequence number `seq`.
pub fn dtls_record(content: u8, version: u16, seq: u64, fragment: &[u8]) -> Vec<u8> {
    let mut r = vec![content];
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&[0, 0]);
    r.extend_from_slice(&seq.to_be_bytes()[2..]);
    r.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
    r.extend_from_slice(fragment);
    r
}

fn extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

fn list16(items: &[u16]) -> Vec<u8> {
    let mut v = ((items.len() * 2) as u16).to_be_bytes().to_vec();
    for i in items {
        v.extend_from_slice(&i.to_be_bytes());
    }
    v
}

/// What a ClientHello offers.
#[derive(Debug, Clone, Default)]
pub struct ClientHelloRepr<'a> {
    /// The legacy version field (0x0303 for TLS 1.2 and 1.3, 0xFEFD DTLS 1.2).
    pub version: u16,
    pub sni: Option<&'a str>,
    pub ciphers: &'a [u16],
    pub alpn: &'a [&'a str],
    /// supported_versions (RFC 8446 §4.2.1); none when empty.
    pub supported_versions: &'a [u16],
    /// use_srtp protection profiles (RFC 5764); none when empty.
    pub srtp_profiles: &'a [u16],
    /// DTLS: the ClientHello carries an (empty) cookie.
    pub dtls: bool,
}

impl ClientHelloRepr<'_> {
    /// The handshake body (without the 4-byte handshake header).
    pub fn emit(&self) -> Vec<u8> {
        let mut b = self.version.to_be_bytes().to_vec();
        b.extend_from_slice(&[7; 32]);
        b.push(0);
        if self.dtls {
            b.push(0);
        }
        b.extend_from_slice(&list16(self.ciphers));
        b.extend_from_slice(&[1, 0]);
        let mut ext = Vec::new();
        if let Some(name) = self.sni {
            let mut v = ((name.len() + 3) as u16).to_be_bytes().to_vec();
            v.push(0);
            v.extend_from_slice(&(name.len() as u16).to_be_bytes());
            v.extend_from_slice(name.as_bytes());
            extension(&mut ext, super::EXT_SERVER_NAME, &v);
        }
        if !self.alpn.is_empty() {
            let mut protocols = Vec::new();
            for p in self.alpn {
                protocols.push(p.len() as u8);
                protocols.extend_from_slice(p.as_bytes());
            }
            let mut v = (protocols.len() as u16).to_be_bytes().to_vec();
            v.extend_from_slice(&protocols);
            extension(&mut ext, super::EXT_ALPN, &v);
        }
        if !self.supported_versions.is_empty() {
            let mut v = vec![(self.supported_versions.len() * 2) as u8];
            for s in self.supported_versions {
                v.extend_from_slice(&s.to_be_bytes());
            }
            extension(&mut ext, super::EXT_SUPPORTED_VERSIONS, &v);
        }
        if !self.srtp_profiles.is_empty() {
            let mut v = list16(self.srtp_profiles);
            v.push(0);
            extension(&mut ext, super::EXT_USE_SRTP, &v);
        }
        b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        b.extend_from_slice(&ext);
        b
    }
}

/// What a ServerHello chooses.
#[derive(Debug, Clone, Default)]
pub struct ServerHelloRepr {
    /// The legacy version field.
    pub version: u16,
    pub cipher: u16,
    /// supported_versions: the version TLS 1.3 really negotiates.
    pub selected_version: Option<u16>,
    pub srtp_profile: Option<u16>,
}

impl ServerHelloRepr {
    /// The handshake body (without the 4-byte handshake header).
    pub fn emit(&self) -> Vec<u8> {
        let mut b = self.version.to_be_bytes().to_vec();
        b.extend_from_slice(&[9; 32]);
        b.push(0);
        b.extend_from_slice(&self.cipher.to_be_bytes());
        b.push(0);
        let mut ext = Vec::new();
        if let Some(v) = self.selected_version {
            extension(&mut ext, super::EXT_SUPPORTED_VERSIONS, &v.to_be_bytes());
        }
        if let Some(p) = self.srtp_profile {
            let mut v = list16(&[p]);
            v.push(0);
            extension(&mut ext, super::EXT_USE_SRTP, &v);
        }
        if !ext.is_empty() {
            b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
            b.extend_from_slice(&ext);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        ClientHello, ServerHello, dtls_handshakes, dtls_record as parse_dtls, tls_record,
    };
    use super::*;

    #[test]
    fn what_is_built_parses_back_to_what_was_described() {
        let body = ClientHelloRepr {
            version: 0x0303,
            sni: Some("clinic.example"),
            ciphers: &[0x1301, 0xC02F],
            alpn: &["h2", "http/1.1"],
            supported_versions: &[0x1A1A, 0x0304, 0x0303],
            srtp_profiles: &[1],
            dtls: false,
        }
        .emit();
        let h = ClientHello::parse(&body, false).unwrap();
        assert_eq!(h.sni, Some("clinic.example"));
        assert_eq!(h.alpn().collect::<Vec<_>>(), ["h2", "http/1.1"]);
        assert_eq!(h.supported_versions().collect::<Vec<_>>(), [0x0304, 0x0303]);
        assert_eq!(h.srtp_profiles().collect::<Vec<_>>(), [1]);
        let wire = record(22, 0x0301, &handshake(1, &body));
        let r = tls_record(&wire).unwrap();
        assert_eq!((r.content, r.version, r.len()), (22, 0x0301, wire.len()));
        let sh = ServerHelloRepr {
            version: 0x0303,
            cipher: 0x1302,
            selected_version: Some(0x0304),
            srtp_profile: None,
        }
        .emit();
        let s = ServerHello::parse(&sh).unwrap();
        assert_eq!((s.version(), s.cipher), (0x0304, 0x1302));
        let dtls = dtls_record(22, 0xFEFD, 3, &dtls_handshake(2, 1, &sh));
        let d = parse_dtls(&dtls).unwrap();
        let m = dtls_handshakes(d.fragment).next().unwrap();
        assert!(m.is_whole() && m.kind == 2 && m.body == sh.as_slice());
    }
}
