//! What one flow learns from a TLS handshake, whichever transport carried
//! it (TLS records over TCP, DTLS, QUIC CRYPTO frames): versions, SNI,
//! ALPN, cipher, DTLS-SRTP profile, the leaf certificate. It follows each
//! direction until encryption starts and never keeps key material.

use super::parse as tls;
use crate::proto::Seen;
use crate::proto::record::push_unique;
use crate::time::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct TlsDetail {
    /// Negotiated version from the ServerHello ("TLS 1.3", "DTLS 1.2").
    pub version: Option<tls::Version>,
    pub client_versions: Vec<tls::Version>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub alpn_selected: Option<String>,
    pub cipher: Option<String>,
    pub cipher_id: Option<u16>,
    /// DTLS use_srtp: profiles offered, and the one the server chose.
    pub srtp_profiles_offered: Vec<String>,
    pub srtp_profile: Option<String>,
    pub client_hello_packet: Option<u64>,
    pub server_hello_packet: Option<u64>,
    pub certificate: Option<CertificateDetail>,
    pub application_data_records: u64,
    pub alerts: u64,
    /// When no ServerHello was captured (the capture began mid-connection):
    /// where `version` came from instead, the record layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_inferred_from: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CertificateDetail {
    pub subject: String,
    /// The subject's CN, as the certificate encodes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub self_signed: bool,
    // 16: `tls::MAX_DNS_NAMES` (this comment is the schema's description).
    /// The first 16 DNS names of its subject alternative names.
    pub dns_names: Vec<String>,
    /// Whether it names the SNI of the flow's ClientHello, read against
    /// all its names when it was parsed (absent without an SNI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names_host: Option<bool>,
    pub packet: u64,
}

impl CertificateDetail {
    /// The names it carries: its CN, then its DNS names (those kept).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.common_name
            .iter()
            .chain(&self.dns_names)
            .map(String::as_str)
    }
}

/// The handshake state of one flow.
#[derive(Default, Clone)]
pub struct TlsState {
    pub detail: TlsDetail,
    /// Per direction: handshake bytes spanning records (TLS over TCP).
    handshake: [Vec<u8>; 2],
    /// Per direction: encryption started, nothing more to learn.
    pub encrypted: [bool; 2],
    /// Per direction: the DTLS handshake message being reassembled.
    pub(super) dtls_fragments: [Option<Box<super::dtls::DtlsMessage>>; 2],
    /// Packet and profile of the ServerHello that negotiated use_srtp.
    pub dtls_srtp: Option<(u64, String)>,
}

impl TlsState {
    /// A complete handshake message, from TLS, DTLS or QUIC CRYPTO frames.
    pub fn on_handshake(&mut self, at: Seen, kind: u8, body: &[u8], dtls: bool) {
        let d = &mut self.detail;
        match kind {
            tls::HS_CLIENT_HELLO => {
                let Some(hello) = tls::ClientHello::parse(body, dtls) else {
                    return;
                };
                d.client_hello_packet.get_or_insert(at.packet);
                if d.sni.is_none() {
                    d.sni = hello.sni.map(str::to_string);
                }
                for p in hello.alpn() {
                    push_unique(&mut d.alpn, p, 8);
                }
                for v in hello.supported_versions() {
                    // By name: versions we cannot name are one "unknown".
                    let v = tls::Version(v);
                    if d.client_versions.len() < 8
                        && !d.client_versions.iter().any(|c| c.name() == v.name())
                    {
                        d.client_versions.push(v);
                    }
                }
                if d.client_versions.is_empty() {
                    d.client_versions.push(tls::Version(hello.legacy_version));
                }
                for p in hello.srtp_profiles() {
                    push_unique(&mut d.srtp_profiles_offered, tls::srtp_profile_name(p), 8);
                }
            }
            tls::HS_SERVER_HELLO => {
                let Some(hello) = tls::ServerHello::parse(body) else {
                    return;
                };
                if hello.hello_retry {
                    return;
                }
                d.server_hello_packet.get_or_insert(at.packet);
                d.version = Some(tls::Version(hello.version()));
                // Early data may have come first; the ServerHello is better.
                d.version_inferred_from = None;
                d.cipher = Some(tls::cipher_name(hello.cipher));
                d.cipher_id = Some(hello.cipher);
                if let Some(alpn) = hello.alpn {
                    d.alpn_selected = Some(alpn.to_string());
                }
                if let Some(p) = hello.srtp_profile {
                    let name = tls::srtp_profile_name(p);
                    d.srtp_profile = Some(name.to_string());
                    self.dtls_srtp.get_or_insert((at.packet, name.to_string()));
                }
            }
            tls::HS_CERTIFICATE if d.certificate.is_none() => {
                let sni = d.sni.as_deref();
                let info =
                    tls::leaf_certificate(body).and_then(|der| tls::certificate_info_for(der, sni));
                d.certificate = info.map(|c| CertificateDetail {
                    subject: c.subject,
                    common_name: c.common_name,
                    issuer: c.issuer,
                    not_before: Timestamp(c.not_before.saturating_mul(1_000_000_000)),
                    not_after: Timestamp(c.not_after.saturating_mul(1_000_000_000)),
                    self_signed: c.self_signed,
                    dns_names: c.dns_names,
                    names_host: c.names_host,
                    packet: at.packet,
                });
            }
            _ => {}
        }
    }

    /// Handshake record bytes of TLS over TCP; messages may span records,
    /// so a partial message waits (up to `max_buffered` bytes) for the next.
    pub fn on_handshake_record(&mut self, at: Seen, fragment: &[u8], max_buffered: usize) {
        let d = at.dir.index();
        let mut buf = std::mem::take(&mut self.handshake[d]);
        let direct = buf.is_empty();
        if !direct {
            buf.extend_from_slice(fragment);
        }
        let bytes: &[u8] = if direct { fragment } else { &buf };
        let mut used = 0;
        while let Some((kind, body, len)) = tls::tls_handshake(&bytes[used..]) {
            self.on_handshake(at, kind, body, false);
            used += len;
        }
        let tail = &bytes[used..];
        self.handshake[d] = if tail.len() > max_buffered {
            Vec::new()
        } else {
            tail.to_vec()
        };
    }

    /// Encryption started in this direction: drop what was waiting.
    /// An application-data record. Without a ServerHello, its record-layer
    /// version is the only sign of the version: SSL 3.0 to TLS 1.1 use
    /// their own number there, so it names them; TLS 1.2 and 1.3 both write
    /// 0x0303 (RFC 8446 §5.1), which tells only "1.2 or later". In DTLS,
    /// 1.0 and 1.2 records carry their number; 1.3 encrypts under its own
    /// unified header (RFC 9147 §4), so a 0xfefd record is DTLS 1.2.
    pub fn on_application_data(&mut self, at: Seen, record_version: u16) {
        let d = &mut self.detail;
        d.application_data_records += 1;
        if d.server_hello_packet.is_some() || d.version_inferred_from.is_some() {
            return;
        }
        let (version, named) = match record_version {
            0x0300..=0x0302 | 0xFEFF | 0xFEFD => (Some(tls::Version(record_version)), ""),
            0x0303 => (None, ": TLS 1.2 or 1.3"),
            _ => return,
        };
        d.version_inferred_from = Some(format!(
            "record layer 0x{record_version:04x} of application data in packet {} (no ServerHello captured){named}",
            at.packet
        ));
        d.version = version;
    }

    pub fn stop_direction(&mut self, at: Seen) {
        let d = at.dir.index();
        self.encrypted[d] = true;
        self.handshake[d] = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Dir;
    use crate::proto::tls::parse::tests::client_hello;

    #[test]
    fn without_a_server_hello_the_record_layer_tells_what_it_can() {
        let at = |packet| Seen {
            packet,
            ts: 0,
            dir: Dir::ServerToClient,
        };
        let mut old = TlsState::default();
        old.on_application_data(at(7), 0x0301);
        old.on_application_data(at(8), 0x0301);
        assert_eq!(
            old.detail.version,
            Some(tls::Version(0x0301)),
            "the deprecated-TLS rule can fire"
        );
        assert!(
            old.detail
                .version_inferred_from
                .as_deref()
                .unwrap()
                .contains("packet 7")
        );
        assert_eq!(old.detail.application_data_records, 2);
        let mut modern = TlsState::default();
        modern.on_application_data(at(3), 0x0303);
        assert_eq!(modern.detail.version, None, "not enough to judge");
        let from = modern.detail.version_inferred_from.as_deref().unwrap();
        assert!(from.ends_with(": TLS 1.2 or 1.3"), "{from}");
        let mut dtls = TlsState::default();
        dtls.on_application_data(at(3), 0xFEFD);
        assert_eq!(dtls.detail.version.map(|v| v.name()), Some("DTLS 1.2"));
    }

    #[test]
    fn a_handshake_message_spanning_records_is_joined() {
        let body = client_hello("portal.clinic.example", false);
        let mut message = vec![tls::HS_CLIENT_HELLO, 0];
        message.extend_from_slice(&(body.len() as u16).to_be_bytes());
        message.extend_from_slice(&body);
        let (first, second) = message.split_at(20);
        let at = |packet| Seen {
            packet,
            ts: 0,
            dir: Dir::ClientToServer,
        };
        let mut state = TlsState::default();
        state.on_handshake_record(at(4), first, 64 * 1024);
        assert_eq!(state.detail.sni, None);
        state.on_handshake_record(at(6), second, 64 * 1024);
        assert_eq!(state.detail.sni.as_deref(), Some("portal.clinic.example"));
        assert_eq!(state.detail.client_hello_packet, Some(6));
        assert_eq!(state.detail.alpn, ["h2"]);
        assert_eq!(state.detail.client_versions, [tls::Version(0x0304)]);
        // Past the cap a partial message is dropped rather than kept.
        let mut capped = TlsState::default();
        capped.on_handshake_record(at(8), first, 10);
        capped.on_handshake_record(at(9), second, 10);
        assert_eq!(capped.detail.sni, None);
    }
}
