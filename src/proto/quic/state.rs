//! What one flow learns from QUIC: versions, Initial packets, and the TLS
//! hellos inside them, decrypted with the version's public Initial keys and
//! assembled by CRYPTO offset. The TLS messages go back to the dissector,
//! which gives them to the flow's TLS state; QUIC never reads TLS itself.

use super::parse as quic;
use crate::flow::Dir;
use crate::proto::Seen;
use crate::proto::record::{push_unique, with_text};
use crate::proto::tls;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct QuicDetail {
    pub versions: Vec<String>,
    pub initial_packets: u64,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub cipher: Option<String>,
    /// Initial packets whose payload we could decrypt with the public keys.
    pub decrypted_initials: u64,
}

#[derive(Default, Clone)]
pub struct QuicState {
    pub detail: QuicDetail,
    client_dcid: Option<Vec<u8>>,
    keys: [Option<quic::InitialKeys>; 2],
    crypto: [quic::CryptoAssembler; 2],
    done: [bool; 2],
    scratch: Vec<u8>,
}

/// Reads one datagram into `slot` (created when it is QUIC); a completed
/// TLS handshake message of either direction goes to `on_handshake`.
/// Returns whether the datagram was QUIC.
pub fn on_datagram(
    slot: &mut Option<Box<QuicState>>,
    at: Seen,
    payload: &[u8],
    on_handshake: &mut dyn FnMut(u8, &[u8]),
) -> bool {
    let version = quic::long_header_version(payload)
        .filter(|&v| quic::is_known_version(v) || quic::is_version_negotiation(payload))
        .or_else(|| quic::legacy_gquic_version(payload));
    let Some(version) = version else {
        return false;
    };
    let q = slot.get_or_insert_with(Default::default);
    if q.detail.versions.len() < 4 {
        with_text(quic::VersionName(version), |t| {
            push_unique(&mut q.detail.versions, t, 4)
        });
    }
    if q.detail.sni.is_none() && version.to_be_bytes()[0] == b'Q' {
        if let Some(sni) = quic::gquic_chlo_sni(payload) {
            q.detail.sni = Some(sni.to_string());
        }
    }
    let mut rest = payload;
    while let Some(h) = quic::parse_long_header(rest) {
        if !quic::is_known_version(h.version) {
            break;
        }
        if h.packet_type == quic::PacketType::Initial {
            q.on_initial(at, &rest[..h.packet_len], &h, on_handshake);
        }
        if h.packet_len >= rest.len() {
            break;
        }
        rest = &rest[h.packet_len..];
    }
    true
}

impl QuicState {
    fn on_initial(
        &mut self,
        at: Seen,
        packet: &[u8],
        h: &quic::LongHeader<'_>,
        on_handshake: &mut dyn FnMut(u8, &[u8]),
    ) {
        self.detail.initial_packets += 1;
        let d = at.dir.index();
        if at.dir == Dir::ClientToServer && self.client_dcid.is_none() {
            self.client_dcid = Some(h.dcid.to_vec());
        }
        if self.done[d] {
            return;
        }
        if self.keys[d].is_none() {
            if let Some(dcid) = &self.client_dcid {
                self.keys[d] = quic::InitialKeys::derive(h.version, dcid, d == 1);
            }
        }
        if let Some(keys) = &self.keys[d] {
            let mut scratch = std::mem::take(&mut self.scratch);
            if let Some(plain) = quic::decrypt_initial(packet, h, keys, &mut scratch) {
                self.detail.decrypted_initials += 1;
                for (offset, data) in quic::crypto_frames(plain) {
                    self.crypto[d].add(offset, data);
                }
            }
            self.scratch = scratch;
        }
        if let Some((kind, body, _)) = tls::tls_handshake(self.crypto[d].contiguous()) {
            self.done[d] = true;
            on_handshake(kind, body);
        }
    }

    /// QUIC's handshake is TLS 1.3: what the hellos said, as QUIC facts.
    pub fn copy_hello(&mut self, hello: &tls::TlsDetail) {
        self.detail.sni = hello.sni.clone();
        self.detail.alpn = hello.alpn.clone();
        self.detail.cipher = hello.cipher.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(packet: u64, dir: Dir) -> Seen {
        Seen { packet, ts: 0, dir }
    }

    #[test]
    fn an_initial_that_does_not_decrypt_is_counted_not_read() {
        // Initial, v1, 8-byte DCID, no SCID, no token, 32 bytes of payload
        // that authenticates with no key.
        let mut p = vec![0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x20];
        p.extend_from_slice(&[0u8; 0x20]);
        let mut slot = None;
        let mut handshakes = 0;
        let mut count = |_: u8, _: &[u8]| handshakes += 1;
        assert!(on_datagram(
            &mut slot,
            at(1, Dir::ClientToServer),
            &p,
            &mut count
        ));
        assert!(on_datagram(
            &mut slot,
            at(2, Dir::ClientToServer),
            &p,
            &mut count
        ));
        let q = slot.as_ref().unwrap();
        assert_eq!(q.detail.versions.len(), 1, "{:?}", q.detail.versions);
        assert_eq!(
            (q.detail.initial_packets, q.detail.decrypted_initials),
            (2, 0)
        );
        assert_eq!(
            q.client_dcid.as_deref(),
            Some(&[1, 2, 3, 4, 5, 6, 7, 8][..])
        );
        assert_eq!(handshakes, 0);
    }

    #[test]
    fn other_bytes_are_not_quic() {
        let mut slot = None;
        let mut never = |_: u8, _: &[u8]| panic!("no handshake in noise");
        let noise = [0x41u8; 40];
        assert!(!on_datagram(
            &mut slot,
            at(1, Dir::ServerToClient),
            &noise,
            &mut never
        ));
        assert!(slot.is_none());
    }
}
