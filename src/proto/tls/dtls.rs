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
    while let Some((content, version, epoch, fragment, len)) = tls::dtls_record(rest) {
        if !(20..=25).contains(&content) || !is_dtls_version(version) {
            break;
        }
        seen = true;
        let state = slot.get_or_insert_with(Default::default);
        match content {
            tls::CONTENT_HANDSHAKE if epoch == 0 => {
                for message in tls::dtls_handshakes(fragment) {
                    if message.is_whole() {
                        state.on_handshake(at, message.kind, message.body, true);
                    } else if let Some(whole) = add_fragment(state, at, &message) {
                        state.on_handshake(at, message.kind, &whole, true);
                    }
                }
            }
            tls::CONTENT_APPLICATION_DATA => state.detail.application_data_records += 1,
            tls::CONTENT_ALERT => state.detail.alerts += 1,
            _ => {}
        }
        rest = &rest[len..];
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
