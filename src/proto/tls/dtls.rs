//! DTLS datagrams: records checked against the DTLS versions, handshake
//! messages reassembled from fragments by message_seq and offset
//! (certificates rarely fit one datagram), at most 64 KiB per message.

use super::parse as tls;
use super::state::TlsState;
use crate::proto::Seen;

/// A handshake message being put together from its fragments.
#[derive(Clone)]
pub struct DtlsMessage {
    kind: u8,
    message_seq: u16,
    data: Vec<u8>,
    ranges: Vec<(usize, usize)>,
}

/// Largest DTLS handshake message we reassemble (a certificate chain).
const MAX_DTLS_MESSAGE: usize = 64 * 1024;

/// DTLS 1.0 (0xFEFF), 1.2 (0xFEFD), 1.3 (0xFEFC), and 0x0100, which
/// OpenSSL's pre-RFC DTLS ("DTLS1_BAD_VER") still sends.
fn is_dtls_version(version: u16) -> bool {
    matches!(version, 0xFEFF | 0xFEFD | 0xFEFC | 0x0100)
}

/// Reads the DTLS records of one datagram into `slot` (created on the
/// first valid record); returns whether any record was DTLS.
pub fn on_datagram(slot: &mut Option<Box<TlsState>>, at: Seen, payload: &[u8]) -> bool {
    let mut rest = payload;
    let mut seen = false;
    while let Some(record) = tls::dtls_record(rest) {
        if !(20..=25).contains(&record.content) || !is_dtls_version(record.version) {
            break;
        }
        seen = true;
        let state = slot.get_or_insert_with(Default::default);
        match record.content {
            tls::CONTENT_HANDSHAKE if record.epoch == 0 => {
                for message in tls::dtls_handshakes(record.fragment) {
                    if message.is_whole() {
                        state.on_handshake(at, message.kind, message.body, true);
                    } else if let Some(whole) = add_fragment(state, at, &message) {
                        state.on_handshake(at, message.kind, &whole, true);
                    }
                }
            }
            tls::CONTENT_APPLICATION_DATA => state.on_application_data(at, record.version),
            tls::CONTENT_ALERT => state.detail.alerts += 1,
            _ => {}
        }
        rest = &rest[record.len()..];
    }
    seen
}

/// Adds a handshake fragment; returns the message once complete.
fn add_fragment(
    state: &mut TlsState,
    at: Seen,
    fragment: &tls::DtlsHandshake<'_>,
) -> Option<Vec<u8>> {
    let end = fragment.offset.checked_add(fragment.body.len())?;
    if fragment.length > MAX_DTLS_MESSAGE || end > fragment.length {
        return None;
    }
    let slot = &mut state.dtls_fragments[at.dir.index()];
    let fresh = slot
        .as_ref()
        .is_none_or(|m| m.message_seq != fragment.message_seq || m.kind != fragment.kind);
    if fresh {
        *slot = Some(Box::new(DtlsMessage {
            kind: fragment.kind,
            message_seq: fragment.message_seq,
            data: vec![0; fragment.length],
            ranges: Vec::new(),
        }));
    }
    let message = slot.as_mut()?;
    if message.data.len() != fragment.length {
        return None;
    }
    message.data[fragment.offset..end].copy_from_slice(fragment.body);
    crate::ranges::insert(&mut message.ranges, (fragment.offset, end));
    if message.ranges.first() == Some(&(0, fragment.length)) {
        return slot.take().map(|m| m.data);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Dir;
    use crate::proto::tls::parse::tests::client_hello;

    fn u24(n: usize) -> [u8; 3] {
        let b = (n as u32).to_be_bytes();
        [b[1], b[2], b[3]]
    }

    /// One DTLS 1.2 record holding one fragment of a ClientHello.
    fn datagram(body: &[u8], offset: usize, part: &[u8]) -> Vec<u8> {
        let mut fragment = vec![tls::HS_CLIENT_HELLO];
        fragment.extend_from_slice(&u24(body.len()));
        fragment.extend_from_slice(&[0, 0]);
        fragment.extend_from_slice(&u24(offset));
        fragment.extend_from_slice(&u24(part.len()));
        fragment.extend_from_slice(part);
        let mut record = vec![tls::CONTENT_HANDSHAKE, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 1];
        record.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
        record.extend_from_slice(&fragment);
        record
    }

    fn at(packet: u64) -> Seen {
        Seen {
            packet,
            ts: 0,
            dir: Dir::ClientToServer,
        }
    }

    #[test]
    fn a_client_hello_in_two_fragments_is_read_once_whole() {
        let body = client_hello("meet.clinic.example", true);
        let (first, second) = body.split_at(body.len() / 2);
        let mut slot = None;
        assert!(on_datagram(&mut slot, at(3), &datagram(&body, 0, first)));
        let state = slot.as_ref().expect("a DTLS record creates the state");
        assert_eq!(
            state.detail.client_hello_packet, None,
            "half a hello says nothing"
        );
        assert!(on_datagram(
            &mut slot,
            at(4),
            &datagram(&body, first.len(), second)
        ));
        let d = &slot.as_ref().unwrap().detail;
        assert_eq!(d.client_hello_packet, Some(4));
        assert_eq!(d.sni.as_deref(), Some("meet.clinic.example"));
        assert_eq!(d.srtp_profiles_offered, ["SRTP_AES128_CM_HMAC_SHA1_80"]);
    }

    #[test]
    fn other_versions_and_absurd_lengths_are_not_dtls() {
        let body = client_hello("x.example", true);
        let mut tls12 = datagram(&body, 0, &body);
        tls12[1..3].copy_from_slice(&[0x03, 0x03]);
        let mut slot = None;
        assert!(!on_datagram(&mut slot, at(1), &tls12));
        assert!(slot.is_none());
        // A fragment claiming a 16 MiB message is dropped, not allocated.
        let mut huge = datagram(&body, 0, &body[..10]);
        huge[14..17].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
        assert!(on_datagram(&mut slot, at(2), &huge));
        assert_eq!(slot.unwrap().detail.client_hello_packet, None);
    }
}
