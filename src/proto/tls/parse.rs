//! TLS and DTLS record and handshake parsing: ClientHello (SNI, ALPN,
//! supported_versions, use_srtp), ServerHello (negotiated version, cipher
//! suite), and the leaf certificate up to TLS 1.2 (with whether it names the
//! SNI, read against all its names). Hellos are parsed in place
//! without allocation; only certificates go through `x509-parser`, once per
//! handshake. Cipher names come from `tls-parser`'s IANA table.

use crate::proto::ParseError;

pub const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CONTENT_ALERT: u8 = 21;
pub const CONTENT_HANDSHAKE: u8 = 22;
pub const CONTENT_APPLICATION_DATA: u8 = 23;

pub const HS_CLIENT_HELLO: u8 = 1;
pub const HS_SERVER_HELLO: u8 = 2;
pub const HS_CERTIFICATE: u8 = 11;

pub(super) const EXT_SERVER_NAME: u16 = 0;
pub(super) const EXT_USE_SRTP: u16 = 14;
pub(super) const EXT_ALPN: u16 = 16;
pub(super) const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// "TLS 1.2", "DTLS 1.2", "SSL 3.0"... for a wire version.
pub fn version_name(v: u16) -> &'static str {
    match v {
        0x0200 => "SSL 2.0",
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0xFEFF => "DTLS 1.0",
        // OpenSSL before 0.9.8f and Cisco AnyConnect used the pre-RFC number.
        0x0100 => "DTLS 1.0 (pre-standard)",
        0xFEFD => "DTLS 1.2",
        0xFEFC => "DTLS 1.3",
        // Drafts and experiments, named as Wireshark names them.
        0x7F0E => "TLS 1.3 (draft 14)",
        0x7F0F => "TLS 1.3 (draft 15)",
        0x7F10 => "TLS 1.3 (draft 16)",
        0x7F11 => "TLS 1.3 (draft 17)",
        0x7F12 => "TLS 1.3 (draft 18)",
        0x7F13 => "TLS 1.3 (draft 19)",
        0x7F14 => "TLS 1.3 (draft 20)",
        0x7F15 => "TLS 1.3 (draft 21)",
        0x7F16 => "TLS 1.3 (draft 22)",
        0x7F17 => "TLS 1.3 (draft 23)",
        0x7F18 => "TLS 1.3 (draft 24)",
        0x7F19 => "TLS 1.3 (draft 25)",
        0x7F1A => "TLS 1.3 (draft 26)",
        0x7F1B => "TLS 1.3 (draft 27)",
        0x7F1C => "TLS 1.3 (draft 28)",
        0xFB17 => "TLS 1.3 (Facebook draft 23)",
        0xFB1A => "TLS 1.3 (Facebook draft 26)",
        // BoringSSL's (Chrome's) deployment experiments of 2017.
        0x7E01 => "TLS 1.3 (Google experiment 1)",
        0x7E02 => "TLS 1.3 (Google experiment 2)",
        0x7E03 => "TLS 1.3 (Google experiment 3)",
        0x7A12 => "TLS 1.3 (Google record-type experiment)",
        _ => "unknown",
    }
}

/// A TLS or DTLS version as the wire numbers it; named (and serialized)
/// as Wireshark names it, "TLS 1.2", "DTLS 1.0", "TLS 1.3 (draft 23)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version(pub u16);

/// Every version [`version_name`] names, for reading names back.
const NAMED: [u16; 31] = [
    0x0200, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0xFEFF, 0x0100, 0xFEFD, 0xFEFC, 0x7F0E, 0x7F0F,
    0x7F10, 0x7F11, 0x7F12, 0x7F13, 0x7F14, 0x7F15, 0x7F16, 0x7F17, 0x7F18, 0x7F19, 0x7F1A, 0x7F1B,
    0x7F1C, 0xFB17, 0xFB1A, 0x7E01, 0x7E02, 0x7E03, 0x7A12,
];

impl Version {
    pub fn name(self) -> &'static str {
        version_name(self.0)
    }

    /// The version a name stands for (policy files write names).
    pub fn from_name(name: &str) -> Option<Version> {
        NAMED
            .iter()
            .copied()
            .map(Version)
            .find(|v| v.name() == name)
    }

    /// Orders versions by strength: DTLS numbers run backwards on the
    /// wire, and TLS 1.3's drafts and experiments rank as TLS 1.3.
    pub fn rank(self) -> u16 {
        match self.0 {
            0xFEFF | 0x0100 => 0x0302,
            0xFEFD => 0x0303,
            0xFEFC => 0x0304,
            v if is_tls13_family(v) => 0x0304,
            other => other,
        }
    }

    /// Whether this is DTLS (its own minimum in the policy).
    pub fn is_dtls(self) -> bool {
        self.0 >= 0xFE00 || self.0 == 0x0100
    }
}

crate::display_by_name!(Version);

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

crate::schema_as_string!(Version);

/// Whether a version number is TLS 1.3 or one of its drafts and
/// experiments (all with TLS 1.3's handshake: encrypted after ServerHello).
pub fn is_tls13_family(v: u16) -> bool {
    matches!(v, 0x0304 | 0x7F0E..=0x7F1C | 0xFB17 | 0xFB1A | 0x7E01..=0x7E03 | 0x7A12)
}

pub fn is_grease(v: u16) -> bool {
    v & 0x0F0F == 0x0A0A && (v >> 8) == (v & 0xFF)
}

/// IANA name of a cipher suite, or its hex value when unknown.
pub fn cipher_name(id: u16) -> String {
    match tls_parser::TlsCipherSuite::from_id(id) {
        Some(suite) => suite.name.to_string(),
        None => format!("0x{id:04X}"),
    }
}

pub fn srtp_profile_name(id: u16) -> &'static str {
    match id {
        0x0001 => "SRTP_AES128_CM_HMAC_SHA1_80",
        0x0002 => "SRTP_AES128_CM_HMAC_SHA1_32",
        0x0005 => "SRTP_NULL_HMAC_SHA1_80",
        0x0006 => "SRTP_NULL_HMAC_SHA1_32",
        0x0007 => "SRTP_AEAD_AES_128_GCM",
        0x0008 => "SRTP_AEAD_AES_256_GCM",
        _ => "unknown",
    }
}

/// One TLS record (RFC 8446 section 5.1), borrowing its fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsRecord<'a> {
    pub content: u8,
    pub version: u16,
    pub fragment: &'a [u8],
}

impl TlsRecord<'_> {
    /// Bytes the record occupies: the 5-byte header and the fragment.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        5 + self.fragment.len()
    }
}

/// Longest record fragment any TLS version allows: 2^14 bytes plus the
/// 2,048 of ciphertext expansion TLS 1.2 permits (RFC 5246 section 6.2.3).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// The TLS record at the start of `b`: `Incomplete` while the header or
/// fragment is still arriving, `Invalid` when the bytes are not a record
/// (wrong content type or version, a length no TLS allows).
pub fn tls_record(b: &[u8]) -> Result<TlsRecord<'_>, ParseError> {
    let header_ok = b.first().is_none_or(|c| (20..=24).contains(c))
        && b.get(1).is_none_or(|&major| major == 3)
        && b.get(2).is_none_or(|&minor| minor <= 4);
    if !header_ok {
        return Err(ParseError::Invalid("not a TLS record header"));
    }
    if b.len() < 5 {
        return Err(ParseError::Incomplete {
            needed: 5 - b.len(),
        });
    }
    let len = u16::from_be_bytes([b[3], b[4]]) as usize;
    if len > MAX_RECORD_LEN {
        return Err(ParseError::Invalid(
            "TLS record longer than any version allows",
        ));
    }
    let fragment = b.get(5..5 + len).ok_or_else(|| ParseError::Incomplete {
        needed: 5 + len - b.len(),
    })?;
    Ok(TlsRecord {
        content: b[0],
        version: u16::from_be_bytes([b[1], b[2]]),
        fragment,
    })
}

/// Whether bytes plausibly start a TLS record (content type and version).
pub fn looks_like_tls(b: &[u8]) -> bool {
    b.len() >= 5 && (20..=24).contains(&b[0]) && b[1] == 3 && b[2] <= 4
}

/// The stream probe: a TLS record header (content type, version 3.x).
pub fn probe_stream(b: &[u8]) -> crate::proto::Probe {
    crate::proto::Probe::from_test(looks_like_tls(b), b.len(), 5)
}

/// One DTLS record (RFC 9147 section 4; 6347 for 1.2), borrowing its fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtlsRecord<'a> {
    pub content: u8,
    pub version: u16,
    pub epoch: u16,
    pub fragment: &'a [u8],
}

impl DtlsRecord<'_> {
    /// Bytes the record occupies: the 13-byte header and the fragment.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        13 + self.fragment.len()
    }
}

/// The DTLS record at the start of a datagram, if it is one (a DTLS
/// version, or OpenSSL's pre-standard 0x0100) and all of it is there.
pub fn dtls_record(b: &[u8]) -> Option<DtlsRecord<'_>> {
    if b.len() < 13 {
        return None;
    }
    let version = u16::from_be_bytes([b[1], b[2]]);
    if b[1] != 0xFE && version != 0x0100 {
        return None;
    }
    let len = u16::from_be_bytes([b[11], b[12]]) as usize;
    Some(DtlsRecord {
        content: b[0],
        version,
        epoch: u16::from_be_bytes([b[3], b[4]]),
        fragment: b.get(13..13 + len)?,
    })
}

/// One DTLS handshake message or fragment of one (RFC 6347 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtlsHandshake<'a> {
    pub kind: u8,
    /// Length of the whole message.
    pub length: usize,
    pub message_seq: u16,
    pub offset: usize,
    pub body: &'a [u8],
}

impl DtlsHandshake<'_> {
    pub fn is_whole(&self) -> bool {
        self.offset == 0 && self.body.len() == self.length
    }
}

/// The handshake messages (or fragments) of one DTLS record's fragment.
pub fn dtls_handshakes(mut fragment: &[u8]) -> impl Iterator<Item = DtlsHandshake<'_>> {
    std::iter::from_fn(move || {
        if fragment.len() < 12 {
            return None;
        }
        let u24 = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]) as usize;
        let frag_len = u24(&fragment[9..12]);
        let body = fragment.get(12..12 + frag_len)?;
        let message = DtlsHandshake {
            kind: fragment[0],
            length: u24(&fragment[1..4]),
            message_seq: u16::from_be_bytes([fragment[4], fragment[5]]),
            offset: u24(&fragment[6..9]),
            body,
        };
        fragment = &fragment[12 + frag_len..];
        Some(message)
    })
}

/// A TLS handshake message header: (type, body, total length), `None` if incomplete.
pub fn tls_handshake(b: &[u8]) -> Option<(u8, &[u8], usize)> {
    if b.len() < 4 {
        return None;
    }
    let len = u32::from_be_bytes([0, b[1], b[2], b[3]]) as usize;
    Some((b[0], b.get(4..4 + len)?, 4 + len))
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = (self.b.get(..n)?, self.b.get(n..)?);
        self.b = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()? as usize;
        self.take(n)
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }
}

fn extensions(b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut r = Reader { b };
    std::iter::from_fn(move || {
        let kind = r.u16()?;
        let data = r.vec16()?;
        Some((kind, data))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHello<'a> {
    pub legacy_version: u16,
    pub sni: Option<&'a str>,
    alpn: &'a [u8],
    supported_versions: &'a [u8],
    use_srtp: &'a [u8],
    pub cipher_count: usize,
}

impl<'a> ClientHello<'a> {
    /// Parses a ClientHello body; `dtls` adds the cookie field.
    pub fn parse(body: &'a [u8], dtls: bool) -> Option<ClientHello<'a>> {
        let mut r = Reader { b: body };
        let legacy_version = r.u16()?;
        r.take(32)?;
        r.vec8()?;
        if dtls {
            r.vec8()?;
        }
        let ciphers = r.vec16()?;
        r.vec8()?;
        let mut hello = ClientHello {
            legacy_version,
            sni: None,
            alpn: &[],
            supported_versions: &[],
            use_srtp: &[],
            cipher_count: ciphers.len() / 2,
        };
        let exts = r.vec16().unwrap_or(&[]);
        for (kind, data) in extensions(exts) {
            match kind {
                EXT_SERVER_NAME => hello.sni = parse_sni(data),
                EXT_ALPN => hello.alpn = Reader { b: data }.vec16().unwrap_or(&[]),
                EXT_SUPPORTED_VERSIONS => {
                    hello.supported_versions = Reader { b: data }.vec8().unwrap_or(&[])
                }
                EXT_USE_SRTP => hello.use_srtp = Reader { b: data }.vec16().unwrap_or(&[]),
                _ => {}
            }
        }
        Some(hello)
    }

    pub fn alpn(&self) -> impl Iterator<Item = &'a str> {
        let mut r = Reader { b: self.alpn };
        std::iter::from_fn(move || r.vec8()).filter_map(|p| std::str::from_utf8(p).ok())
    }

    /// Offered versions without GREASE values.
    pub fn supported_versions(&self) -> impl Iterator<Item = u16> + 'a {
        self.supported_versions
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .filter(|v| !is_grease(*v))
    }

    pub fn srtp_profiles(&self) -> impl Iterator<Item = u16> + 'a {
        self.use_srtp
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
    }

    pub fn offers_srtp(&self) -> bool {
        !self.use_srtp.is_empty()
    }
}

fn parse_sni(data: &[u8]) -> Option<&str> {
    let mut list = Reader {
        b: Reader { b: data }.vec16()?,
    };
    while let Some(kind) = list.u8() {
        let name = list.vec16()?;
        if kind == 0 {
            return std::str::from_utf8(name).ok();
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerHello<'a> {
    pub legacy_version: u16,
    /// From supported_versions: how TLS 1.3 and DTLS 1.3 announce themselves.
    pub selected_version: Option<u16>,
    pub cipher: u16,
    pub srtp_profile: Option<u16>,
    pub alpn: Option<&'a str>,
    /// RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with this random.
    pub hello_retry: bool,
}

const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

impl<'a> ServerHello<'a> {
    pub fn parse(body: &'a [u8]) -> Option<ServerHello<'a>> {
        let mut r = Reader { b: body };
        let legacy_version = r.u16()?;
        let random = r.take(32)?;
        r.vec8()?;
        let cipher = r.u16()?;
        r.u8()?;
        let mut hello = ServerHello {
            legacy_version,
            selected_version: None,
            cipher,
            srtp_profile: None,
            alpn: None,
            hello_retry: random == HRR_RANDOM,
        };
        for (kind, data) in extensions(r.vec16().unwrap_or(&[])) {
            match kind {
                EXT_SUPPORTED_VERSIONS if data.len() == 2 => {
                    hello.selected_version = Some(u16::from_be_bytes([data[0], data[1]]))
                }
                EXT_USE_SRTP => {
                    let profiles = Reader { b: data }.vec16().unwrap_or(&[]);
                    hello.srtp_profile =
                        profiles.get(..2).map(|p| u16::from_be_bytes([p[0], p[1]]));
                }
                EXT_ALPN => {
                    let mut list = Reader {
                        b: Reader { b: data }.vec16().unwrap_or(&[]),
                    };
                    hello.alpn = list.vec8().and_then(|p| std::str::from_utf8(p).ok());
                }
                _ => {}
            }
        }
        Some(hello)
    }

    pub fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// The first (leaf) certificate of a Certificate message body (TLS <= 1.2).
pub fn leaf_certificate(body: &[u8]) -> Option<&[u8]> {
    let mut r = Reader { b: body };
    let total = r.take(3)?;
    let total = u32::from_be_bytes([0, total[0], total[1], total[2]]) as usize;
    let mut list = Reader {
        b: r.take(total.min(r.b.len()))?,
    };
    let len = list.take(3)?;
    let len = u32::from_be_bytes([0, len[0], len[1], len[2]]) as usize;
    list.take(len)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub subject: String,
    /// The subject's common name (CN), read from the certificate itself.
    pub common_name: Option<String>,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    pub self_signed: bool,
    /// The first [`MAX_DNS_NAMES`] DNS names of its subject alternative names.
    pub dns_names: Vec<String>,
    /// Whether the certificate names the host the client asked for (its
    /// SNI), read against every subject alternative name, not only those
    /// kept; `None` without an SNI.
    pub names_host: Option<bool>,
}

/// DNS names a certificate's record keeps: a CDN's certificate lists
/// hundreds.
pub const MAX_DNS_NAMES: usize = 16;

pub fn certificate_info(der: &[u8]) -> Option<CertificateInfo> {
    certificate_info_for(der, None)
}

/// [`certificate_info`], and whether the certificate names `host` (the
/// SNI the client sent).
pub fn certificate_info_for(der: &[u8], host: Option<&str>) -> Option<CertificateInfo> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let subject = cert.subject().to_string();
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string);
    let issuer = cert.issuer().to_string();
    let alternative = cert.subject_alternative_name().ok().flatten();
    let alternative = alternative.map_or(&[][..], |san| &san.value.general_names[..]);
    let dns_names = alternative
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_string()),
            _ => None,
        })
        .take(MAX_DNS_NAMES)
        .collect();
    let names_host = host.map(|host| {
        common_name
            .as_deref()
            .is_some_and(|cn| host_matches(host, cn))
            || alternative.iter().any(|n| match n {
                GeneralName::DNSName(d) => host_matches(host, d),
                GeneralName::IPAddress(bytes) => ip_matches(host, bytes),
                _ => false,
            })
    });
    Some(CertificateInfo {
        self_signed: subject == issuer,
        subject,
        common_name,
        issuer,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        dns_names,
        names_host,
    })
}

/// Whether a certificate name (`pattern`, a DNS name or a `*.` wildcard
/// for one leftmost label, RFC 6125 §6.4.3) names `host`.
fn host_matches(host: &str, pattern: &str) -> bool {
    let host = host.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(_, h)| h.eq_ignore_ascii_case(rest)),
        None => host.eq_ignore_ascii_case(pattern),
    }
}

/// Whether an iPAddress subject alternative name (4 or 16 bytes) is the
/// address `host` spells: some clients send an address as their SNI,
/// though RFC 6066 §3 does not allow it.
fn ip_matches(host: &str, bytes: &[u8]) -> bool {
    let Ok(ip) = host.parse::<std::net::IpAddr>() else {
        return false;
    };
    match ip {
        std::net::IpAddr::V4(v4) => v4.octets()[..] == *bytes,
        std::net::IpAddr::V6(v6) => v6.octets()[..] == *bytes,
    }
}

#[cfg(test)]
mod version_tests {
    use super::*;

    #[test]
    fn host_names_and_addresses_match_as_rfc_6125_says() {
        assert!(host_matches("a.clinic.example", "*.clinic.example"));
        assert!(!host_matches("a.b.clinic.example", "*.clinic.example"));
        assert!(!host_matches("clinic.example", "*.clinic.example"));
        assert!(host_matches("Clinic.Example.", "clinic.example"));
        assert!(ip_matches("52.114.250.152", &[52, 114, 250, 152]));
        assert!(!ip_matches("52.114.250.153", &[52, 114, 250, 152]));
        assert!(ip_matches(
            "2001:db8::1",
            &"2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets()
        ));
        assert!(!ip_matches("tr.teams.microsoft.com", &[52, 114, 250, 152]));
    }

    #[test]
    fn every_named_version_reads_back_and_ranks() {
        for v in NAMED {
            let version = Version(v);
            assert_ne!(version.name(), "unknown", "0x{v:04x}");
            assert_eq!(Version::from_name(version.name()), Some(version));
        }
        assert_eq!(Version::from_name("TLS 1.4"), None);
        assert_eq!(Version(0x7F17).to_string(), "TLS 1.3 (draft 23)");
        assert_eq!(Version(0x7F17).rank(), Version(0x0304).rank());
        assert!(
            Version(0xFEFF).rank() < Version(0xFEFD).rank(),
            "DTLS runs backwards"
        );
        assert!(Version(0xFEFF).is_dtls() && !Version(0x0303).is_dtls());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ClientHello body with SNI, ALPN, supported_versions (GREASE and
    /// TLS 1.3) and use_srtp.
    pub(crate) fn client_hello(sni: &str, dtls: bool) -> Vec<u8> {
        super::super::build::ClientHelloRepr {
            version: 0x0303,
            sni: Some(sni),
            ciphers: &[0x1301, 0xC02F],
            alpn: &["h2"],
            supported_versions: &[0x1A1A, 0x0304],
            srtp_profiles: &[1],
            dtls,
        }
        .emit()
    }

    #[test]
    fn client_hello_fields() {
        let body = client_hello("clinic.example", false);
        let h = ClientHello::parse(&body, false).unwrap();
        assert_eq!(h.sni, Some("clinic.example"));
        assert_eq!(h.alpn().collect::<Vec<_>>(), vec!["h2"]);
        assert_eq!(
            h.supported_versions().collect::<Vec<_>>(),
            vec![0x0304],
            "GREASE dropped"
        );
        assert_eq!(h.srtp_profiles().collect::<Vec<_>>(), vec![1]);
        assert_eq!(h.cipher_count, 2);
        for cut in 0..body.len() {
            let _ = ClientHello::parse(&body[..cut], false);
        }
    }

    #[test]
    fn server_hello_tls13() {
        let mut b = vec![0x03, 0x03];
        b.extend_from_slice(&[1; 32]);
        b.push(0);
        b.extend_from_slice(&[0x13, 0x01, 0]);
        b.extend_from_slice(&[0, 6, 0, 43, 0, 2, 0x03, 0x04]);
        let h = ServerHello::parse(&b).unwrap();
        assert_eq!(version_name(h.version()), "TLS 1.3");
        assert_eq!(cipher_name(h.cipher), "TLS_AES_128_GCM_SHA256");
        assert!(!h.hello_retry);
    }

    #[test]
    fn records_wait_for_their_bytes_and_refuse_others() {
        let record = [22, 3, 3, 0, 4, 1, 0, 0, 0];
        let r = tls_record(&record).unwrap();
        assert_eq!(
            (r.content, r.version, r.fragment, r.len()),
            (22, 0x0303, &[1, 0, 0, 0][..], 9)
        );
        assert_eq!(
            tls_record(&record[..7]),
            Err(ParseError::Incomplete { needed: 2 })
        );
        assert_eq!(
            tls_record(&record[..2]),
            Err(ParseError::Incomplete { needed: 3 })
        );
        assert_eq!(tls_record(&[]), Err(ParseError::Incomplete { needed: 5 }));
        assert!(matches!(
            tls_record(b"GET / HTTP/1.1"),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            tls_record(&[23, 3, 3, 0xFF, 0xFF]),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(tls_record(&[22, 2]), Err(ParseError::Invalid(_))));
    }

    #[test]
    fn names() {
        assert_eq!(version_name(0xFEFD), "DTLS 1.2");
        assert_eq!(cipher_name(0xC02F), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(cipher_name(0xFFFF), "0xFFFF");
        assert!(is_grease(0x2A2A) && !is_grease(0x0303));
    }
}
