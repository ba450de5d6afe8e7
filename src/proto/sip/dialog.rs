//! One SIP dialog (RFC 3261 §12), the unit of a SIP call: the messages
//! that share a Call-ID, on whatever flows carry them, followed through
//! the INVITE transaction (RFC 3261 §13, §17) to its end by BYE, CANCEL or
//! a final failure. Each dialog keeps its own identities, its own SDP
//! offers and answers with the time each was announced (so re-INVITE and
//! UPDATE move its media), and its own ladder of messages.
//!
//! A dialog never knows about other dialogs or about the media flows; the
//! dissector keeps the table of dialogs and the correlator joins media to
//! them. Nothing here keys anything by flow: many calls share one 5-tuple
//! on a trunk, and one call's messages may cross several flows.

use super::parse::{SipMessage, StartLine};
use super::state::{
    SdpRecord, SipIdentity, carries_authorization, for_each_identity, for_each_user_agent,
    message_name,
};
use crate::proto::Seen;
use crate::proto::record::{as_text, push_unique};
use crate::time::{Nanos, Timestamp};
use schemars::JsonSchema;
use serde::Serialize;
use std::net::SocketAddr;

/// Messages kept per dialog, like sngrep's call flow; more are counted.
const MAX_MESSAGES: usize = 64;
/// Different SDP bodies kept per dialog (a body repeated on the same flow,
/// as a session refresh repeats it, is counted, not kept again); past it
/// they are counted and the dialog says so.
const MAX_SDP: usize = 16;
/// Flows listed per dialog (and HEP flows that copied it); past it the
/// dialog says so.
const MAX_FLOWS: usize = 8;
const MAX_TAGS: usize = 8;
const MAX_IDENTITIES: usize = 16;

/// Where a dialog is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DialogState {
    // An INVITE was sent, no response yet.
    Calling,
    // A provisional response (1xx) came back.
    Early,
    // A 2xx answered the INVITE: the call is up.
    Confirmed,
    // BYE was sent or answered: the call is over.
    Terminated,
    // The INVITE got a final failure (3xx-6xx).
    Failed,
    // The caller cancelled before an answer.
    Cancelled,
    // First seen in the middle (a BYE, ACK or re-INVITE with no INVITE
    // before it): the call began before the capture.
    MidCall,
}

impl DialogState {
    pub fn name(self) -> &'static str {
        match self {
            DialogState::Calling => "calling",
            DialogState::Early => "early",
            DialogState::Confirmed => "confirmed",
            DialogState::Terminated => "terminated",
            DialogState::Failed => "failed",
            DialogState::Cancelled => "cancelled",
            DialogState::MidCall => "mid-call",
        }
    }
}

crate::display_by_name!(DialogState);

/// Which flow carried a message, and between which ends.
#[derive(Debug, Clone, Copy)]
pub struct Carrier {
    pub flow: u64,
    pub transport: crate::flow::Proto,
    pub source: SocketAddr,
    pub destination: SocketAddr,
}

/// One message of the dialog's ladder.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct DialogMessage {
    pub packet: u64,
    pub timestamp: Timestamp,
    pub flow: u64,
    #[serde(serialize_with = "as_text")]
    #[schemars(with = "String")]
    pub source: SocketAddr,
    #[serde(serialize_with = "as_text")]
    #[schemars(with = "String")]
    pub destination: SocketAddr,
    /// Method for requests, status code and reason for responses.
    pub message: String,
    pub cseq: Option<String>,
}

/// An SDP offer or answer of this dialog, with when and where it was seen.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct DialogSdp {
    pub timestamp: Timestamp,
    pub flow: u64,
    /// The To tag of the response that carried it: which early dialog of a
    /// forked INVITE announced this media.
    pub to_tag: Option<String>,
    #[serde(flatten)]
    pub sdp: SdpRecord,
}

/// A HEP flow that copied a dialog's messages to a collector.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct DialogMirror {
    pub flow: u64,
    /// The first packet of that flow that carried a copy.
    pub packet: u64,
    /// The collector.
    #[serde(serialize_with = "as_text")]
    #[schemars(with = "String")]
    pub collector: SocketAddr,
}

/// What a dialog is, as the report shows it on its call.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct DialogRecord {
    pub call_id: String,
    pub state: DialogState,
    /// The final response to the initial INVITE (200, 486, 487...).
    pub final_status: Option<u16>,
    pub first_packet: u64,
    pub last_packet: u64,
    pub first_timestamp: Timestamp,
    pub last_timestamp: Timestamp,
    /// When a 2xx answered the INVITE.
    pub answered: Option<Timestamp>,
    /// When the dialog ended (BYE, CANCEL, final failure).
    pub ended: Option<Timestamp>,
    pub from_tag: Option<String>,
    /// To tags seen: more than one when the INVITE forked.
    pub to_tags: Vec<String>,
    /// Flows that carried its messages, first first.
    pub flows: Vec<u64>,
    /// How the first message travelled (UDP, TCP).
    pub transport: crate::flow::Proto,
    pub messages_total: u64,
    pub messages: Vec<DialogMessage>,
    pub identities: Vec<SipIdentity>,
    pub user_agents: Vec<String>,
    /// Authorization or Proxy-Authorization was sent in the clear.
    pub authorization: bool,
    pub sdp: Vec<DialogSdp>,
    /// SDP bodies that repeated one kept from the same flow and early
    /// dialog (a session refresh re-offers the same media): not kept again.
    #[serde(default, skip_serializing_if = "crate::proto::record::is_zero")]
    pub sdp_repeated: u64,
    /// Different SDP bodies past `MAX_SDP`: not kept, so media they moved
    /// to is not joined to the call by them (a note says so).
    #[serde(default, skip_serializing_if = "crate::proto::record::is_zero")]
    pub sdp_not_kept: u64,
    /// What its messages show of a SIPREC recording session (RFC 7866),
    /// when the dialog is one: the recording client's session with the
    /// recording server, and the recorded call its metadata names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<super::siprec::RecordingDetail>,
    /// HEP flows that copied its messages to a collector (RFC-less HEP3,
    /// Homer): the first message each copied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mirrored: Vec<DialogMirror>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Still running (a snapshot of a live dialog, not yet ended).
    #[serde(skip)]
    pub live: bool,
}

/// Methods that make or belong to an INVITE dialog: a Call-ID first seen
/// with one of them (or a response to one) is a call. Others (REGISTER,
/// OPTIONS, SUBSCRIBE, MESSAGE, and ACK or CANCEL, which only retransmit
/// or abandon an INVITE already seen) join a dialog only when its Call-ID
/// is known already.
const CALL_METHODS: [&str; 4] = ["INVITE", "BYE", "PRACK", "UPDATE"];

/// Whether a message may start tracking a dialog.
pub fn starts_dialog(m: &SipMessage<'_>) -> bool {
    let method = match m.start {
        StartLine::Request { method, .. } => Some(method),
        StartLine::Response { .. } => m.cseq().map(|(_, method)| method),
    };
    method.is_some_and(|method| CALL_METHODS.contains(&method))
}

/// The tag parameter of a From or To header.
fn tag_of<'a>(m: &SipMessage<'a>, full: &str, compact: &str) -> Option<&'a str> {
    super::parse::parse_name_addr(m.header(full, Some(compact))?)?.tag
}

impl DialogRecord {
    /// A dialog first seen with `m` (see [`starts_dialog`]).
    pub fn new(call_id: &str, at: Seen, carrier: Carrier, m: &SipMessage<'_>) -> DialogRecord {
        let initial_invite = matches!(
            m.start,
            StartLine::Request {
                method: "INVITE",
                ..
            }
        ) && tag_of(m, "to", "t").is_none();
        let mut notes = Vec::new();
        let state = if initial_invite {
            DialogState::Calling
        } else {
            notes.push(format!(
                "first seen with {} in packet {}: the dialog began before the capture (or its INVITE was not captured)",
                message_name(m),
                at.packet
            ));
            DialogState::MidCall
        };
        DialogRecord {
            call_id: call_id.to_string(),
            state,
            final_status: None,
            first_packet: at.packet,
            last_packet: at.packet,
            first_timestamp: Timestamp(at.ts),
            last_timestamp: Timestamp(at.ts),
            answered: None,
            ended: None,
            from_tag: None,
            to_tags: Vec::new(),
            flows: Vec::new(),
            transport: carrier.transport,
            messages_total: 0,
            messages: Vec::new(),
            identities: Vec::new(),
            user_agents: Vec::new(),
            authorization: false,
            sdp: Vec::new(),
            sdp_repeated: 0,
            sdp_not_kept: 0,
            recording: None,
            mirrored: Vec::new(),
            notes,
            live: true,
        }
    }

    /// Records one message of this dialog and the SDP it carried.
    pub fn on_message(
        &mut self,
        at: Seen,
        carrier: Carrier,
        m: &SipMessage<'_>,
        sdp: Option<&SdpRecord>,
    ) {
        let ts = Timestamp(at.ts);
        // Merged files need not be in order; the bounds stay right anyway.
        self.first_packet = self.first_packet.min(at.packet);
        self.first_timestamp = self.first_timestamp.min(ts);
        self.last_packet = self.last_packet.max(at.packet);
        self.last_timestamp = self.last_timestamp.max(ts);
        self.messages_total += 1;
        if !self.flows.contains(&carrier.flow) {
            if self.flows.len() < MAX_FLOWS {
                self.flows.push(carrier.flow);
            } else {
                self.note_once(&format!("carried on more than {MAX_FLOWS} flows:"), || {
                    format!(
                        "flow {} (packet {}) and later ones are not listed, and what only they carried is not joined to this call by them",
                        carrier.flow, at.packet
                    )
                });
            }
        }
        let to_tag = tag_of(m, "to", "t");
        if self.from_tag.is_none() {
            self.from_tag = tag_of(m, "from", "f").map(str::to_string);
        }
        if let Some(tag) = to_tag {
            push_unique(&mut self.to_tags, tag, MAX_TAGS);
        }
        if self.messages.len() < MAX_MESSAGES {
            self.messages.push(DialogMessage {
                packet: at.packet,
                timestamp: ts,
                flow: carrier.flow,
                source: carrier.source,
                destination: carrier.destination,
                message: message_name(m),
                cseq: m.cseq().map(|(n, method)| format!("{n} {method}")),
            });
        }
        let identities = &mut self.identities;
        for_each_identity(m, |header, na| {
            SipIdentity::record(identities, header, &na, MAX_IDENTITIES)
        });
        let agents = &mut self.user_agents;
        for_each_user_agent(m, |ua| push_unique(agents, ua, 8));
        self.authorization |= carries_authorization(m);
        if self.recording.is_none() {
            self.recording = super::siprec::recording(m, at.packet).filter(|r| r.is_recording());
        }
        if let Some(sdp) = sdp {
            let to_tag = match m.start {
                StartLine::Response { .. } => to_tag,
                StartLine::Request { .. } => None,
            };
            self.keep_sdp(ts, carrier.flow, to_tag, sdp);
        }
        self.advance(at.ts, m);
    }

    /// Keeps an SDP body unless the same flow and early dialog announced
    /// the same media before: a session refresh (RFC 4028) or a hold and
    /// resume re-offers it every few minutes, and a long call must not
    /// fill its list with repeats and lose a later body that moves media.
    fn keep_sdp(&mut self, ts: Timestamp, flow: u64, to_tag: Option<&str>, sdp: &SdpRecord) {
        let repeated = self.sdp.iter().any(|kept| {
            kept.flow == flow && kept.to_tag.as_deref() == to_tag && kept.sdp.media == sdp.media
        });
        if repeated {
            self.sdp_repeated += 1;
        } else if self.sdp.len() < MAX_SDP {
            self.sdp.push(DialogSdp {
                timestamp: ts,
                flow,
                to_tag: to_tag.map(str::to_string),
                sdp: sdp.clone(),
            });
        } else {
            self.note_once(&format!("more than {MAX_SDP} different SDP bodies:"), || {
                format!(
                    "the one in packet {} and later ones were not kept (sdp_not_kept counts them), so media they moved to is not joined to this call by them",
                    sdp.packet
                )
            });
            self.sdp_not_kept += 1;
        }
    }

    /// Adds "`what` `first()`" unless a note says `what` already: a limit
    /// reached is said once, with where it was first reached (and every
    /// later message past it writes nothing).
    fn note_once(&mut self, what: &str, first: impl FnOnce() -> String) {
        if !self.notes.iter().any(|n| n.starts_with(what)) {
            self.notes.push(format!("{what} {}", first()));
        }
    }

    /// Notes a HEP copy of one of its messages, on `carrier`.
    pub fn mirrored(&mut self, packet: u64, carrier: Carrier) {
        if self.mirrored.iter().any(|m| m.flow == carrier.flow) {
            return;
        }
        if self.mirrored.len() < MAX_FLOWS {
            self.mirrored.push(DialogMirror {
                flow: carrier.flow,
                packet,
                collector: carrier.destination,
            });
        } else {
            self.note_once(
                &format!("copied by more than {MAX_FLOWS} HEP flows:"),
                || {
                    format!(
                        "flow {} (packet {packet}) and later ones are not listed",
                        carrier.flow
                    )
                },
            );
        }
    }

    /// The INVITE dialog's state machine, driven by what the wire shows.
    fn advance(&mut self, ts: Nanos, m: &SipMessage<'_>) {
        use DialogState::*;
        let ended = matches!(self.state, Terminated | Failed | Cancelled);
        match m.start {
            StartLine::Request { method: "BYE", .. } if !ended => {
                self.state = Terminated;
                self.ended = Some(Timestamp(ts));
            }
            StartLine::Request {
                method: "CANCEL", ..
            } if matches!(self.state, Calling | Early) => {
                self.state = Cancelled;
                self.ended = Some(Timestamp(ts));
            }
            // The same Call-ID tried again, as after a 401/407 challenge
            // (RFC 3261 §22.2): still the same call, Wireshark agrees.
            StartLine::Request {
                method: "INVITE", ..
            } if self.state == Failed && tag_of(m, "to", "t").is_none() => {
                self.state = Calling;
                self.final_status = None;
                self.ended = None;
            }
            StartLine::Response { code, .. } => {
                let invite = m.cseq().is_some_and(|(_, method)| method == "INVITE");
                match (invite, code) {
                    (true, 100..=199) if self.state == Calling => self.state = Early,
                    (true, 200..=299) if matches!(self.state, Calling | Early | MidCall) => {
                        self.state = Confirmed;
                        self.final_status = Some(code);
                        self.answered.get_or_insert(Timestamp(ts));
                    }
                    (true, 300..=699) if matches!(self.state, Calling | Early | Cancelled) => {
                        // 487 answers a CANCEL; the dialog stays cancelled.
                        if self.state != Cancelled {
                            self.state = Failed;
                        }
                        self.final_status = Some(code);
                        // A challenge is answered by a new INVITE: not the end.
                        if !matches!(code, 401 | 407) {
                            self.ended.get_or_insert(Timestamp(ts));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Whether the dialog is over, or waits only for a retry that may never
    /// come (a challenged INVITE).
    pub fn finished(&self) -> bool {
        self.ended.is_some() || self.state == DialogState::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Dir, Proto};

    fn message(text: &str) -> SipMessage<'_> {
        SipMessage::parse(text.as_bytes(), false).expect("parses")
    }

    fn at(packet: u64) -> Seen {
        Seen {
            packet,
            ts: packet as i64 * 1_000_000_000,
            dir: Dir::ClientToServer,
        }
    }

    const CARRIER: Carrier = Carrier {
        flow: 1,
        transport: Proto::Udp,
        source: SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 5070),
        destination: SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 5060),
    };

    fn request(method: &str, to_tag: &str, cseq: u32) -> String {
        format!(
            "{method} sip:bob@clinic.example SIP/2.0\r\nCall-ID: c1\r\nFrom: <sip:jane@clinic.example>;tag=f1\r\nTo: <sip:bob@clinic.example>{to_tag}\r\nCSeq: {cseq} {method}\r\n\r\n"
        )
    }

    fn response(code: u16, method: &str, cseq: u32) -> String {
        format!(
            "SIP/2.0 {code} X\r\nCall-ID: c1\r\nFrom: <sip:jane@clinic.example>;tag=f1\r\nTo: <sip:bob@clinic.example>;tag=t1\r\nCSeq: {cseq} {method}\r\n\r\n"
        )
    }

    #[test]
    fn an_answered_call_is_confirmed_then_terminated_by_bye() {
        let invite = request("INVITE", "", 1);
        let m = message(&invite);
        assert!(starts_dialog(&m));
        let mut d = DialogRecord::new("c1", at(1), CARRIER, &m);
        d.on_message(at(1), CARRIER, &m, None);
        assert_eq!(d.state, DialogState::Calling);
        for (n, text) in [
            (2, response(180, "INVITE", 1)),
            (3, response(200, "INVITE", 1)),
        ] {
            d.on_message(at(n), CARRIER, &message(&text), None);
        }
        assert_eq!(d.state, DialogState::Confirmed);
        assert_eq!(d.final_status, Some(200));
        assert_eq!(d.to_tags, ["t1"]);
        assert_eq!(d.from_tag.as_deref(), Some("f1"));
        let bye = request("BYE", ";tag=t1", 2);
        d.on_message(at(9), CARRIER, &message(&bye), None);
        assert_eq!(d.state, DialogState::Terminated);
        assert_eq!(d.ended, Some(Timestamp(9_000_000_000)));
        assert_eq!(d.messages_total, 4);
        assert!(d.notes.is_empty());
    }

    #[test]
    fn an_invite_retried_after_a_challenge_is_the_same_call() {
        let invite = request("INVITE", "", 1);
        let mut d = DialogRecord::new("c1", at(1), CARRIER, &message(&invite));
        for (n, text) in [
            (1, invite.clone()),
            (2, response(407, "INVITE", 1)),
            (3, request("ACK", ";tag=t1", 1)),
        ] {
            d.on_message(at(n), CARRIER, &message(&text), None);
        }
        assert_eq!(d.state, DialogState::Failed);
        assert!(d.ended.is_none() && d.finished(), "waits for the retry");
        for (n, text) in [
            (40, request("INVITE", "", 2)),
            (41, response(200, "INVITE", 2)),
        ] {
            d.on_message(at(n), CARRIER, &message(&text), None);
        }
        assert_eq!(d.state, DialogState::Confirmed);
        assert_eq!(d.final_status, Some(200));
    }

    #[test]
    fn a_bye_without_invite_is_a_mid_call_dialog_that_says_so() {
        let bye = request("BYE", ";tag=t1", 7);
        let m = message(&bye);
        assert!(starts_dialog(&m));
        let mut d = DialogRecord::new("c1", at(5), CARRIER, &m);
        assert_eq!(d.state, DialogState::MidCall);
        d.on_message(at(5), CARRIER, &m, None);
        assert_eq!(d.state, DialogState::Terminated);
        assert!(
            d.notes[0].contains("began before the capture"),
            "{:?}",
            d.notes
        );
    }

    #[test]
    fn a_cancelled_invite_stays_cancelled_through_its_487() {
        let invite = request("INVITE", "", 1);
        let mut d = DialogRecord::new("c1", at(1), CARRIER, &message(&invite));
        for (n, text) in [
            (1, invite.clone()),
            (2, response(180, "INVITE", 1)),
            (3, request("CANCEL", "", 1)),
            (4, response(200, "CANCEL", 1)),
            (5, response(487, "INVITE", 1)),
        ] {
            d.on_message(at(n), CARRIER, &message(&text), None);
        }
        assert_eq!(d.state, DialogState::Cancelled);
        assert_eq!(d.final_status, Some(487));
    }

    #[test]
    fn registrations_and_options_do_not_start_a_call() {
        let register =
            "REGISTER sip:clinic.example SIP/2.0\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n\r\n";
        assert!(!starts_dialog(&message(register)));
        let ok = "SIP/2.0 200 OK\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\n\r\n";
        assert!(!starts_dialog(&message(ok)));
    }

    fn audio_at(port: u16, packet: u64) -> SdpRecord {
        SdpRecord {
            packet,
            message: "INVITE".into(),
            call_id: Some("c1".into()),
            media: vec![super::super::state::SdpMedia {
                kind: "audio".into(),
                address: Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
                port,
                rtcp_port: Some(port + 1),
                profile: "RTP/AVP".into(),
                crypto: false,
                crypto_suites: Vec::new(),
                fingerprint: None,
                setup: None,
                ice_ufrag: None,
                candidates: Vec::new(),
                codecs: vec!["PCMU/8000".into()],
            }],
        }
    }

    #[test]
    fn repeated_sdp_is_counted_and_past_the_limit_the_dialog_says_what_it_dropped() {
        let invite = request("INVITE", "", 1);
        let m = message(&invite);
        let mut d = DialogRecord::new("c1", at(1), CARRIER, &m);
        for n in 1..=5 {
            d.on_message(at(n), CARRIER, &m, Some(&audio_at(4000, n)));
        }
        assert_eq!((d.sdp.len(), d.sdp_repeated), (1, 4));
        // The same body on another flow is another announcement.
        let other = Carrier { flow: 2, ..CARRIER };
        d.on_message(at(6), other, &m, Some(&audio_at(4000, 6)));
        assert_eq!((d.sdp.len(), d.sdp_repeated), (2, 4));
        for n in 7..=30 {
            d.on_message(at(n), CARRIER, &m, Some(&audio_at(4000 + n as u16 * 2, n)));
        }
        assert_eq!(d.sdp.len(), MAX_SDP);
        assert_eq!(d.sdp_not_kept, 30 - 7 + 1 - (MAX_SDP as u64 - 2));
        let said: Vec<&String> = d.notes.iter().filter(|n| n.contains("SDP")).collect();
        assert_eq!(said.len(), 1, "{:?}", d.notes);
        assert!(said[0].contains("the one in packet 21"), "{said:?}");
    }

    #[test]
    fn a_dialog_on_more_flows_than_it_lists_says_so_once() {
        let invite = request("INVITE", "", 1);
        let m = message(&invite);
        let mut d = DialogRecord::new("c1", at(1), CARRIER, &m);
        for flow in 1..=12 {
            d.on_message(at(flow), Carrier { flow, ..CARRIER }, &m, None);
        }
        assert_eq!(d.flows, (1..=MAX_FLOWS as u64).collect::<Vec<_>>());
        assert_eq!(d.notes.len(), 1, "{:?}", d.notes);
        assert!(d.notes[0].contains("flow 9 (packet 9)"), "{:?}", d.notes);
    }
}
