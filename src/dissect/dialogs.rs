//! The table of SIP dialogs in progress, keyed by Call-ID across every
//! flow: a trunk carries hundreds of calls on one 5-tuple, and one call's
//! messages may cross several flows (a proxy, TCP reconnects). A dialog
//! that has ended is handed on once quiet for a linger that covers
//! retransmissions and late answers (64·T1, RFC 3261 §17); one that goes quiet for
//! hours without ending is handed on as it is. Memory is bounded by
//! `MAX_LIVE`: beyond it, new dialogs are counted, never silently lost.
//! Must never hold flows or decide calls: that is the correlator's job.

use crate::proto::Seen;
use crate::proto::sip::dialog::{Carrier, DialogRecord, starts_dialog};
use crate::proto::sip::{SdpRecord, SipMessage};
use crate::time::Nanos;
use hashbrown::HashMap;

const MAX_LIVE: usize = 20_000;
/// Quiet time an ended dialog stays, for retransmissions and late answers (64·T1).
const LINGER: Nanos = 32_000_000_000;
/// Quiet time a challenged INVITE (401/407) waits for its retry, which a
/// person typing a password may take a while to send.
const CHALLENGE_WAIT: Nanos = 300_000_000_000;
/// A dialog with no message for this long is handed on unfinished.
const IDLE: Nanos = 4 * 3600 * 1_000_000_000;
/// Capture time between looks for dialogs to hand on.
const SWEEP_EVERY: Nanos = 1_000_000_000;

#[derive(Default)]
pub struct Dialogs {
    live: HashMap<String, DialogRecord>,
    /// Dialogs not tracked because the table was full.
    pub dropped: u64,
    next_sweep: Nanos,
    ended: Vec<String>,
}

impl Dialogs {
    /// Records a SIP message in its dialog, creating the dialog when the
    /// message can start one.
    pub fn on_message(
        &mut self,
        at: Seen,
        carrier: Carrier,
        m: &SipMessage<'_>,
        sdp: Option<&SdpRecord>,
    ) {
        let Some(call_id) = m.call_id() else { return };
        if let Some(d) = self.live.get_mut(call_id) {
            d.on_message(at, carrier, m, sdp);
            return;
        }
        if !starts_dialog(m) {
            return;
        }
        if self.live.len() >= MAX_LIVE {
            self.dropped += 1;
            return;
        }
        let mut d = DialogRecord::new(call_id, at, carrier, m);
        d.on_message(at, carrier, m, sdp);
        self.live.insert(call_id.to_string(), d);
    }

    /// Notes that a HEP message on `carrier` copied a SIP message of the
    /// dialog `call_id` (when it is being followed).
    pub fn mirrored(&mut self, call_id: &str, packet: u64, carrier: Carrier) {
        if let Some(d) = self.live.get_mut(call_id) {
            d.mirrored(packet, carrier);
        }
    }

    /// Hands on the dialogs that ended a linger ago or went idle, in the
    /// order of their first packet.
    pub fn sweep(&mut self, now: Nanos, out: &mut dyn FnMut(DialogRecord)) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now.saturating_add(SWEEP_EVERY);
        self.ended.clear();
        self.ended.extend(
            self.live
                .iter()
                .filter(|(_, d)| {
                    let quiet = now - d.last_timestamp.0;
                    let linger = if d.ended.is_some() {
                        LINGER
                    } else {
                        CHALLENGE_WAIT
                    };
                    (d.finished() && quiet >= linger) || quiet >= IDLE
                })
                .map(|(k, _)| k.clone()),
        );
        let mut done: Vec<DialogRecord> = Vec::with_capacity(self.ended.len());
        for key in &self.ended {
            done.extend(self.live.remove(key));
        }
        hand_on(done, out);
    }

    /// Hands on every dialog (end of capture).
    pub fn drain(&mut self, out: &mut dyn FnMut(DialogRecord)) {
        let done: Vec<DialogRecord> = self.live.drain().map(|(_, d)| d).collect();
        hand_on(done, out);
    }

    /// Copies of the dialogs in progress, marked live.
    pub fn live_records(&self) -> Vec<DialogRecord> {
        let mut records: Vec<DialogRecord> = self.live.values().cloned().collect();
        records.sort_by_key(|d| d.first_packet);
        records
    }
}

fn hand_on(mut done: Vec<DialogRecord>, out: &mut dyn FnMut(DialogRecord)) {
    done.sort_by_key(|d| d.first_packet);
    for mut d in done {
        d.live = false;
        out(d);
    }
}
