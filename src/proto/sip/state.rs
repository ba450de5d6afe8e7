//! What one flow learns from SIP: methods and responses, Call-IDs, the
//! identities in From/To/Contact/PAI (redacted later, never here), user
//! agents, and each SDP offer or answer with its media. The media
//! endpoints SDP announces are handed back to the dissector, which keeps
//! them across flows; SIP state knows only its own flow.

use super::parse::{self as sip, NameAddr, SipMessage, StartLine};
use super::sdp;
use crate::proto::Seen;
use crate::proto::record::{bump, push_unique, with_text};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct SipDetail {
    pub requests: BTreeMap<String, u64>,
    pub responses: BTreeMap<String, u64>,
    pub call_ids: Vec<String>,
    pub identities: Vec<SipIdentity>,
    pub user_agents: Vec<String>,
    /// Authorization or Proxy-Authorization headers were seen.
    pub authorization: bool,
    pub sdp: Vec<SdpRecord>,
    pub first_packet: u64,
    /// The first 64 messages in order, like sngrep's call flow.
    pub messages: Vec<SipMessageRecord>,
    /// A recording session (SIPREC) opened on this flow: the signals and
    /// what its metadata names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<super::siprec::RecordingDetail>,
    /// Recording awareness of a call's participants (RFC 7866 §6.2, §11.5):
    /// `Supported: record-aware`, the SDP `a=record` indications they
    /// received and the `a=recordpref` preferences they sent.
    #[serde(default, skip_serializing_if = "super::siprec::Awareness::is_empty")]
    pub recording_awareness: super::siprec::Awareness,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SipMessageRecord {
    pub packet: u64,
    #[schemars(with = "crate::flow::Dir")]
    pub direction: &'static str,
    /// Method for requests, status code and reason for responses.
    pub message: String,
    pub cseq: Option<String>,
    pub call_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, JsonSchema)]
pub struct SipIdentity {
    #[serde(deserialize_with = "crate::text::static_name")]
    pub header: crate::text::StaticName,
    pub display_name: Option<String>,
    pub uri: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct SdpRecord {
    pub packet: u64,
    /// The SIP message that carried it: "INVITE", "200"...
    pub message: String,
    pub call_id: Option<String>,
    pub media: Vec<SdpMedia>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct SdpMedia {
    pub kind: String,
    /// The c= address media goes to (media-level, else session-level).
    #[serde(serialize_with = "crate::proto::record::as_optional_text")]
    #[schemars(with = "Option<String>")]
    pub address: Option<IpAddr>,
    pub port: u16,
    /// Where RTCP goes: a=rtcp, or port + 1 without a=rtcp-mux; none when muxed.
    pub rtcp_port: Option<u16>,
    pub profile: String,
    /// a=crypto lines were present (SDES keys; the keys themselves are never kept).
    pub crypto: bool,
    pub crypto_suites: Vec<String>,
    pub fingerprint: Option<String>,
    pub setup: Option<String>,
    pub ice_ufrag: Option<String>,
    pub candidates: Vec<SdpCandidate>,
    pub codecs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct SdpCandidate {
    #[serde(rename = "type")]
    pub kind: String,
    pub transport: String,
    pub address: String,
    pub port: u16,
}

/// What SDP announced for a media endpoint, so the RTP flow that later
/// reaches it can be judged by its signaling.
#[derive(Debug, Clone)]
pub struct Announcement {
    pub profile: String,
    pub crypto: bool,
    pub fingerprint: bool,
    pub zrtp: bool,
    pub packet: u64,
}

/// Headers that name a party, with their full and compact names.
const IDENTITY_HEADERS: [(&str, &str, Option<&str>); 6] = [
    ("From", "from", Some("f")),
    ("To", "to", Some("t")),
    ("Contact", "contact", Some("m")),
    ("P-Asserted-Identity", "p-asserted-identity", None),
    ("P-Preferred-Identity", "p-preferred-identity", None),
    ("Remote-Party-ID", "remote-party-id", None),
];

impl SipDetail {
    /// Records one SIP message and the SDP it carried, if any.
    pub fn on_message(&mut self, at: Seen, m: &SipMessage<'_>, sdp: Option<&CarriedSdp>) {
        let s = self;
        if s.requests.is_empty() && s.responses.is_empty() {
            s.first_packet = at.packet;
        }
        match m.start {
            StartLine::Request { method, .. } => bump(&mut s.requests, method),
            StartLine::Response { code, .. } => with_text(code, |c| bump(&mut s.responses, c)),
        }
        let call_id = m.call_id();
        if let Some(id) = call_id {
            push_unique(&mut s.call_ids, id, 16);
        }
        if s.messages.len() < 64 {
            s.messages.push(SipMessageRecord {
                packet: at.packet,
                direction: at.dir.name(),
                message: message_name(m),
                cseq: m.cseq().map(|(n, method)| format!("{n} {method}")),
                call_id: call_id.map(str::to_string),
            });
        }
        for_each_identity(m, |header, na| {
            SipIdentity::record(&mut s.identities, header, &na, 32)
        });
        for_each_user_agent(m, |ua| push_unique(&mut s.user_agents, ua, 8));
        s.authorization |= carries_authorization(m);
        if s.recording.is_none()
            && let Some(r) = super::siprec::recording(m, at.packet).filter(|r| r.is_recording())
        {
            s.recording = Some(r);
        }
        s.recording_awareness.on_message(m, at.packet);
        if let Some(sdp) = sdp {
            if s.sdp.len() < 16 {
                s.sdp.push(sdp.record.clone());
            }
        }
    }
}

/// The SDP a SIP message carried: as recorded, and the media endpoints it
/// announced (RTP and, without rtcp-mux, RTCP) for the flows that reach them.
pub struct CarriedSdp {
    pub record: SdpRecord,
    pub announced: Vec<(SocketAddr, Announcement)>,
}

impl CarriedSdp {
    /// The SDP body of `m`, when it has one that parses.
    pub fn of(at: Seen, m: &SipMessage<'_>) -> Option<CarriedSdp> {
        // The SDP may be one part of a multipart body (a recording session).
        let body = super::siprec::sdp_body(m)?;
        let (record, announced) = describe_sdp(at, body, message_code(m))?;
        Some(CarriedSdp {
            record: SdpRecord {
                call_id: m.call_id().map(str::to_string),
                ..record
            },
            announced,
        })
    }
}

/// An SDP body as recorded (without Call-ID) and the endpoints it
/// announces; `message` names what carried it ("INVITE", "200", "offer").
pub fn describe_sdp(
    at: Seen,
    body: &[u8],
    message: String,
) -> Option<(SdpRecord, Vec<(SocketAddr, Announcement)>)> {
    let parsed = sdp::parse(body)?;
    let mut announced = Vec::new();
    let media = parsed
        .media
        .iter()
        .map(|md| {
            let address = md.address(&parsed);
            if let (Some(addr), true) = (address, md.port > 0) {
                let announcement = Announcement {
                    profile: md.profile.clone(),
                    crypto: !md.crypto_suites.is_empty(),
                    fingerprint: md.fingerprint_hash.is_some() || parsed.fingerprint_hash.is_some(),
                    zrtp: md.zrtp_hash,
                    packet: at.packet,
                };
                if !md.rtcp_mux {
                    let rtcp = md.rtcp_port.unwrap_or(md.port.wrapping_add(1));
                    announced.push((SocketAddr::new(addr, md.port), announcement.clone()));
                    announced.push((SocketAddr::new(addr, rtcp), announcement));
                } else {
                    announced.push((SocketAddr::new(addr, md.port), announcement));
                }
            }
            media_record(md, &parsed, address)
        })
        .collect();
    let record = SdpRecord {
        packet: at.packet,
        message,
        call_id: None,
        media,
    };
    Some((record, announced))
}

/// A message as a ladder names it: the method, or the code and reason.
pub fn message_name(m: &SipMessage<'_>) -> String {
    match m.start {
        StartLine::Request { method, .. } => method.to_string(),
        StartLine::Response { code, reason } => format!("{code} {reason}"),
    }
}

/// The method, or the status code alone.
fn message_code(m: &SipMessage<'_>) -> String {
    match m.start {
        StartLine::Request { method, .. } => method.to_string(),
        StartLine::Response { code, .. } => code.to_string(),
    }
}

/// Calls `f` with each User-Agent and Server header value.
pub fn for_each_user_agent(m: &SipMessage<'_>, mut f: impl FnMut(&str)) {
    for ua in m
        .headers_named("user-agent", None)
        .chain(m.headers_named("server", None))
    {
        f(ua);
    }
}

/// Whether the message carries Authorization or Proxy-Authorization.
pub fn carries_authorization(m: &SipMessage<'_>) -> bool {
    m.header("authorization", None).is_some() || m.header("proxy-authorization", None).is_some()
}

/// Calls `f` with each name-addr of the identity headers (Contact and PAI
/// may list several, separated by commas).
pub fn for_each_identity<'a>(m: &SipMessage<'a>, mut f: impl FnMut(&'static str, NameAddr<'a>)) {
    for (header, full, compact) in IDENTITY_HEADERS {
        for value in m.headers_named(full, compact) {
            for part in value.split(">,") {
                if let Some(na) = sip::parse_name_addr(part) {
                    if !na.uri.is_empty() && na.uri != "*" {
                        f(header, na);
                    }
                }
            }
        }
    }
}

impl SipIdentity {
    fn new(header: &'static str, na: &NameAddr<'_>) -> SipIdentity {
        SipIdentity {
            header,
            display_name: na.display_name.map(str::to_string),
            uri: na.uri.to_string(),
        }
    }

    /// Whether this is `na` as seen in `header`.
    fn is(&self, header: &'static str, na: &NameAddr<'_>) -> bool {
        self.header == header
            && self.uri == na.uri
            && self.display_name.as_deref() == na.display_name
    }

    /// Records `na` from `header` in `list` once, up to `cap` entries.
    pub fn record(
        list: &mut Vec<SipIdentity>,
        header: &'static str,
        na: &NameAddr<'_>,
        cap: usize,
    ) {
        if list.len() < cap && !list.iter().any(|i| i.is(header, na)) {
            list.push(SipIdentity::new(header, na));
        }
    }
}

fn media_record(md: &sdp::Media, parsed: &sdp::Sdp, address: Option<IpAddr>) -> SdpMedia {
    SdpMedia {
        kind: md.kind.clone(),
        address,
        port: md.port,
        rtcp_port: (!md.rtcp_mux && md.port > 0)
            .then(|| md.rtcp_port.unwrap_or(md.port.wrapping_add(1))),
        profile: md.profile.clone(),
        crypto: !md.crypto_suites.is_empty(),
        crypto_suites: md.crypto_suites.clone(),
        fingerprint: md
            .fingerprint_hash
            .clone()
            .or_else(|| parsed.fingerprint_hash.clone()),
        setup: md.setup.clone(),
        ice_ufrag: md.ice_ufrag.clone().or_else(|| parsed.ice_ufrag.clone()),
        candidates: md
            .candidates
            .iter()
            .map(|c| SdpCandidate {
                kind: c.kind.clone(),
                transport: c.transport.clone(),
                address: c.address.clone(),
                port: c.port,
            })
            .collect(),
        codecs: md
            .rtpmap
            .iter()
            .map(|(pt, c)| format!("{pt} {c}"))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Dir;

    const INVITE: &[u8] = b"INVITE sip:bob@clinic.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776\r\n\
From: \"Jane Patient\" <sip:jane@clinic.example>;tag=1928\r\n\
To: <sip:bob@clinic.example>\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:jane@192.0.2.10>\r\n\
User-Agent: softphone/1.0\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 112\r\n\
\r\n\
v=0\r\n\
o=- 1 1 IN IP4 192.0.2.10\r\n\
s=-\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 16000 RTP/AVP 8\r\n\
a=rtpmap:8 PCMA/8000\r\n";

    #[test]
    fn an_invite_with_sdp_announces_rtp_and_rtcp() {
        let m = SipMessage::parse(INVITE, false).expect("parses");
        let mut s = SipDetail::default();
        let at = Seen {
            packet: 1,
            ts: 0,
            dir: Dir::ClientToServer,
        };
        let sdp = CarriedSdp::of(at, &m).expect("the INVITE carries SDP");
        s.on_message(at, &m, Some(&sdp));
        let announced = &sdp.announced;
        let endpoints: Vec<String> = announced.iter().map(|(a, _)| a.to_string()).collect();
        assert_eq!(endpoints, ["192.0.2.10:16000", "192.0.2.10:16001"]);
        assert!(
            announced
                .iter()
                .all(|(_, a)| a.profile == "RTP/AVP" && !a.crypto)
        );
        assert_eq!(s.requests["INVITE"], 1);
        assert_eq!(s.call_ids, ["a84b4c76e66710"]);
        assert_eq!(s.user_agents, ["softphone/1.0"]);
        let from = s.identities.iter().find(|i| i.header == "From").unwrap();
        assert_eq!(from.display_name.as_deref(), Some("Jane Patient"));
        assert_eq!(s.sdp[0].media[0].codecs, ["8 PCMA/8000"]);
        assert_eq!(s.sdp[0].media[0].rtcp_port, Some(16001));
        // The same message again stores no new identity.
        s.on_message(at, &m, None);
        assert_eq!(s.identities.len(), 3);
    }
}
