//! One call judged: its legs and their roles, the signaling and media it
//! shows, its path (direct, relayed, terminated by a server) and the
//! conduit-exception verdict, each step of the reasoning pointing at the
//! packets behind it. Must never decide which flows make the call: the
//! correlator in [`super`] does.

use super::{flow_evidence, has};
use crate::assess::catalogue::FindingId;
use crate::assess::model::*;
use crate::assess::platform::ServerNames;
use crate::assess::policy::Policy;
use crate::assess::vendors::{Vendor, Vendors};
use crate::facts::*;
use crate::time::Timestamp;
use std::net::SocketAddr;

/// What one call is made of: its flows, in id order, and its SIP dialogs.
/// `signaling` names the flows that are legs only because they carried its
/// dialogs' messages: they may carry other calls' too.
pub(super) struct Members<'a> {
    pub legs: &'a [&'a FlowRecord],
    pub signaling: &'a [u64],
    pub dialogs: &'a [&'a DialogRecord],
    /// SDP read in the clear on web connections, with the flow of each.
    pub web: &'a [(&'a FlowRecord, &'a WebSdp)],
}

/// When a call's flows (those that count in its time span) and dialogs
/// began and ended.
fn span(spanning: &[&FlowRecord], dialogs: &[&DialogRecord]) -> (Timestamp, Timestamp) {
    let start = spanning
        .iter()
        .map(|f| f.first_timestamp)
        .chain(dialogs.iter().map(|d| d.first_timestamp))
        .min()
        .unwrap_or_default();
    let end = spanning
        .iter()
        .map(|f| f.last_timestamp)
        .chain(dialogs.iter().map(|d| d.last_timestamp))
        .max()
        .unwrap_or_default();
    (start, end)
}

/// Judges one call; `findings` are those its flows raised, each with the
/// evidence of the flow that raised it.
pub(super) fn judge(
    id: u64,
    members: Members<'_>,
    findings: &[(FindingId, &Evidence)],
    policy: &Policy,
    vendors: &Vendors,
    names: &ServerNames,
    web_signaling: &[(String, &FlowRecord)],
) -> Call {
    let Members {
        legs,
        signaling,
        dialogs,
        web,
    } = members;
    // A signaling flow that carried only this call's dialogs counts in its
    // time span and bandwidth; a trunk's, shared with other calls, does not.
    let exclusive = |f: &FlowRecord| {
        let sip = f.sip.as_ref().is_some_and(|s| {
            s.call_ids.len() < 16
                && s.call_ids
                    .iter()
                    .all(|c| dialogs.iter().any(|d| &d.call_id == c))
        });
        let http = f.http.as_ref().is_some_and(|h| {
            !h.sdp.is_empty()
                && h.sdp
                    .iter()
                    .all(|s| web.iter().any(|(_, w)| std::ptr::eq(*w, s)))
        });
        sip || http
    };
    let spanning: Vec<&FlowRecord> = legs
        .iter()
        .filter(|f| !signaling.contains(&f.id) || exclusive(f))
        .copied()
        .collect();
    let mut reasoning: Vec<ReasoningStep> = Vec::new();
    let mut call_findings: Vec<FindingId> = Vec::new();
    for (id, _) in findings {
        if !call_findings.contains(id) {
            call_findings.push(*id);
        }
    }

    // Legs and their roles.
    let turn: Vec<&&FlowRecord> = legs
        .iter()
        .filter(|f| {
            f.turn.is_some()
                && f.stun
                    .as_ref()
                    .is_some_and(|s| !s.relayed_addresses.is_empty())
        })
        .collect();
    let relayed_addresses: Vec<SocketAddr> = turn
        .iter()
        .flat_map(|f| f.stun.as_ref().unwrap().relayed_addresses.iter().copied())
        .collect();
    let call_legs: Vec<CallLeg> = legs
        .iter()
        .map(|f| CallLeg {
            flow: f.id,
            role: if f.sip.is_some() || f.http.as_ref().is_some_and(|h| !h.sdp.is_empty()) {
                LegRole::Signaling
            } else if f.turn.is_some() || f.markers.iter().any(|m| m.relayed_media) {
                LegRole::Relay
            } else if relayed_addresses
                .iter()
                .any(|a| *a == f.client || *a == f.server)
            {
                LegRole::RelayedMedia
            } else if f.rtp.is_some()
                || f.zoom.is_some()
                || has(f, "dtls")
                || has(f, "srtcp")
                || has(f, "rtcp")
            {
                LegRole::Media
            } else {
                LegRole::Ice
            },
            transport: f.transport,
            client: f.client.to_string(),
            server: f.server.to_string(),
            protocols: f.protocols.clone(),
            location: None,
        })
        .collect();

    // Signaling: the call's SIP dialogs, or SIP flows seen without one.
    let sip: Vec<&&FlowRecord> = legs.iter().filter(|f| f.sip.is_some()).collect();
    let mut identities = Vec::new();
    let mut call_ids = Vec::new();
    let mut name_identities = |list: &[crate::facts::SipIdentity]| {
        for i in list
            .iter()
            .filter(|i| matches!(i.header, "From" | "To" | "P-Asserted-Identity"))
        {
            let text = match &i.display_name {
                Some(n) => format!("\"{n}\" {}", i.uri),
                None => i.uri.clone(),
            };
            if !identities.contains(&text) {
                identities.push(text);
            }
        }
    };
    for d in dialogs {
        name_identities(&d.identities);
        call_ids.push(d.call_id.clone());
        let carrier = legs.iter().find(|f| d.flows.first() == Some(&f.id));
        let (between, transport) = match carrier {
            Some(f) => (
                format!("between {} and {}", f.client, f.server),
                f.transport,
            ),
            None => ("on a flow not kept".to_string(), d.transport),
        };
        let status = d
            .final_status
            .map(|c| format!(", final response {c}"))
            .unwrap_or_default();
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Signaling: SIP dialog {} over {transport} in the clear {between} ({}{status}, {} messages)",
                d.call_id, d.state, d.messages_total
            ),
            evidence: vec![Evidence {
                flow: d.flows.first().copied().unwrap_or_default(),
                first_packet: d.first_packet,
                last_packet: d.last_packet,
                first_timestamp: d.first_timestamp,
                last_timestamp: d.last_timestamp,
                detail: format!(
                    "{} SIP messages of Call-ID {}, {} SDP bodies",
                    d.messages_total,
                    d.call_id,
                    d.sdp.len()
                ),
            }],
        });
    }
    // SIP on flows that carried no call's signaling (no dialog was kept).
    for f in sip.iter().filter(|f| !signaling.contains(&f.id)) {
        let s = f.sip.as_ref().unwrap();
        name_identities(&s.identities);
        call_ids.extend(s.call_ids.iter().cloned());
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Signaling: SIP over {} in the clear between {} and {}",
                f.transport, f.client, f.server
            ),
            evidence: vec![flow_evidence(
                f,
                format!("{} SIP messages", s.messages.len()),
            )],
        });
    }
    for (f, sdp) in web {
        let transport = if f.http.as_ref().is_some_and(|h| h.websocket.is_some()) {
            "WebSocket"
        } else {
            "HTTP"
        };
        let candidates: usize = sdp.sdp.media.iter().map(|m| m.candidates.len()).sum();
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Signaling: WebRTC SDP {}in the clear over {transport} between {} and {} ({}, {candidates} ICE candidates{})",
                sdp.kind.as_deref().map(|k| format!("{k} ")).unwrap_or_default(),
                f.client,
                f.server,
                sdp.carrier,
                if sdp.sdp.media.iter().any(|m| m.fingerprint.is_some()) {
                    ", DTLS fingerprint"
                } else {
                    ""
                }
            ),
            evidence: vec![Evidence {
                flow: f.id,
                first_packet: sdp.sdp.packet,
                last_packet: sdp.sdp.packet,
                first_timestamp: sdp.timestamp,
                last_timestamp: sdp.timestamp,
                detail: format!("SDP in packet {} ({})", sdp.sdp.packet, sdp.carrier),
            }],
        });
    }
    if sip.is_empty() && web.is_empty() {
        reasoning.push(ReasoningStep {
            kind: StepKind::SignalingNotVisible,
            step:
                "Signaling: not visible in this capture (HTTPS/WebSocket or TLS, or not captured)"
                    .into(),
            evidence: Vec::new(),
        });
    }

    // Media and how it is protected.
    let mut media = Vec::new();
    let mut participants: Vec<String> = Vec::new();
    for f in legs {
        for s in f.rtp.iter().flat_map(|r| &r.streams) {
            media.push(CallMedia {
                flow: f.id,
                ssrc: s.ssrc.clone(),
                direction: s.direction,
                codec: s.codec.clone(),
                packets: s.packets,
                encrypted: s.encrypted,
                relayed: s.relayed,
                evidence: s.evidence.first().cloned().unwrap_or_default(),
            });
        }
        // Media endpoints are participants; behind a relay, its client is.
        let is_media = f.rtp.is_some() || has(f, "dtls");
        let ends: &[SocketAddr] = if f.turn.is_some() {
            std::slice::from_ref(&f.client)
        } else if is_media {
            &[f.client, f.server]
        } else {
            &[]
        };
        for a in ends {
            let text = a.to_string();
            if !relayed_addresses.contains(a) && !participants.contains(&text) {
                participants.push(text);
            }
        }
    }
    let dtls_srtp: Vec<&&FlowRecord> = legs
        .iter()
        .filter(|f| f.tls.as_ref().is_some_and(|t| t.srtp_profile.is_some()))
        .collect();
    for f in &dtls_srtp {
        let t = f.tls.as_ref().unwrap();
        let between = if f.turn.is_some() {
            format!(
                "carried inside the TURN allocation of {} (the relay cannot read it)",
                f.client
            )
        } else {
            format!("between {} and {}", f.client, f.server)
        };
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Key exchange: DTLS-SRTP ({}, {}) {between}",
                t.version.map_or("DTLS", |v| v.name()),
                t.srtp_profile.as_deref().unwrap_or(""),
            ),
            evidence: vec![flow_evidence(
                f,
                format!(
                    "ServerHello in packet {}",
                    t.server_hello_packet.unwrap_or(f.first_packet)
                ),
            )],
        });
    }
    for m in &media {
        let f = legs.iter().find(|f| f.id == m.flow).unwrap();
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Media: SSRC {} {} ({} packets) encrypted: {} — {}",
                m.ssrc, m.direction, m.packets, m.encrypted, m.evidence
            ),
            evidence: vec![flow_evidence(f, format!("RTP stream {}", m.ssrc))],
        });
    }

    // Path: relayed through TURN, terminated by a server (ICE-lite), or direct.
    let mut relay = None;
    let mut server = None;
    let relay_leg = turn.iter().find(|f| {
        let carried = f.turn.as_ref().is_some_and(|t| !t.carried.is_empty());
        carried
            || legs.iter().any(|m| {
                (m.rtp.is_some() || has(m, "dtls"))
                    && relayed_addresses
                        .iter()
                        .any(|a| *a == m.client || *a == m.server)
            })
    });
    // An ICE-lite server answers checks but never sends its own: only the
    // controlling side's requests appear, and DTLS ends at that address.
    let lite = legs.iter().find(|f| {
        f.turn.is_none()
            && has(f, "dtls")
            && f.stun
                .as_ref()
                .is_some_and(|s| !s.usernames.is_empty() && s.ice_controlling && !s.ice_controlled)
    });
    // A DTLS end that presents a platform's own certificate, not the one
    // a WebRTC peer makes for each session (RFC 8827 §6.5), is that
    // platform's media server: it ends DTLS-SRTP and holds the keys.
    let platform_certificate = legs
        .iter()
        .filter(|f| f.turn.is_none() && has(f, "dtls"))
        .find_map(|f| Some((*f, server_certificate(f, vendors)?)));
    let zoom_sfu = legs
        .iter()
        .find(|f| f.zoom.is_some() && crate::proto::zoom::PORTS.contains(&f.server.port()));
    // A platform's own relay that forwards media in its own framing
    // (Telegram's reflectors), where no TURN allocation shows.
    // The one that carried the most of it is the call's relay.
    let platform_relay = legs
        .iter()
        .filter_map(|f| Some((*f, f.markers.iter().find(|m| m.relayed_media)?)))
        .max_by_key(|(_, m)| m.packets);
    let path = if let Some(f) = relay_leg {
        let s = f.stun.as_ref().unwrap();
        let vendor = s
            .realm
            .as_deref()
            .and_then(|r| vendors.by_realm(r))
            .map(|v| v.name.clone());
        let ip = Some(f.server.ip());
        let allowed_by = policy
            .allowed_relay(ip, s.realm.as_deref(), &[])
            .map(|r| r.name.clone());
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Path: relayed through TURN server {} (REALM {}, relayed {}){}",
                f.server,
                s.realm.as_deref().unwrap_or("-"),
                crate::proto::record::joined(&s.relayed_addresses, ", "),
                if allowed_by.is_some() {
                    ", allow-listed by policy"
                } else {
                    ""
                }
            ),
            evidence: vec![flow_evidence(
                f,
                format!(
                    "Allocate success; carried {}",
                    f.turn.as_ref().unwrap().carried.join(", ")
                ),
            )],
        });
        relay = Some(RelayInfo {
            address: f.server.to_string(),
            transport: f.transport,
            relayed_addresses: s.relayed_addresses.clone(),
            realm: s.realm.clone(),
            software: s.software.clone(),
            vendor,
            allowed_by,
            location: None,
        });
        CallPath::Relayed
    } else if let Some((f, m)) = platform_relay {
        let vendor = vendors.by_marker(m.marker).map(|v| v.name.clone());
        let allowed_by = policy
            .allowed_relay(Some(f.server.ip()), None, &[])
            .map(|r| r.name.clone());
        let detail = format!(
            "{} ({} packets from packet {})",
            m.marker, m.packets, m.first_packet
        );
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Path: relayed through {}'s relay {} in the platform's own framing",
                vendor.as_deref().unwrap_or("the platform"),
                f.server
            ),
            evidence: vec![flow_evidence(f, detail)],
        });
        relay = Some(RelayInfo {
            address: f.server.to_string(),
            transport: f.transport,
            relayed_addresses: Vec::new(),
            realm: None,
            software: Vec::new(),
            vendor,
            allowed_by,
            location: None,
        });
        CallPath::Relayed
    } else if let Some(f) = lite {
        let vendor = f
            .tls
            .as_ref()
            .and_then(|t| t.sni.as_deref())
            .and_then(|n| vendors.by_name(n))
            .or_else(|| Some(server_certificate(f, vendors)?.1))
            .map(|v| v.name.clone());
        let detail = "ICE checks only from the client (ICE-CONTROLLING, never ICE-CONTROLLED): the far end is ICE-lite and terminates DTLS-SRTP".to_string();
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!("Path: media terminated by the server {}", f.server),
            evidence: vec![flow_evidence(f, detail.clone())],
        });
        server = Some(ServerInfo {
            address: f.server.to_string(),
            transport: f.transport,
            vendor,
            evidence: detail,
            location: None,
        });
        CallPath::ServerTerminated
    } else if let Some((f, (name, vendor, packet))) = platform_certificate {
        let detail = format!(
            "DTLS certificate {name} in packet {packet} is {}'s own, not a WebRTC peer's: the far end is its media server and terminates DTLS-SRTP",
            vendor.name
        );
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Path: media terminated by {}'s media server {}",
                vendor.name, f.server
            ),
            evidence: vec![flow_evidence(f, detail.clone())],
        });
        server = Some(ServerInfo {
            address: f.server.to_string(),
            transport: f.transport,
            vendor: Some(vendor.name.clone()),
            evidence: detail,
            location: None,
        });
        CallPath::ServerTerminated
    } else if let Some(f) = zoom_sfu {
        // Media in Zoom's SFU framing goes to its multimedia router, which
        // holds the keys unless the meeting runs Zoom's end-to-end mode
        // (which the wire does not show).
        let detail = format!(
            "Zoom media framing to UDP {} (packets {}-{}): Zoom's media router receives the media and its servers hold the keys",
            f.server.port(),
            f.first_packet,
            f.last_packet
        );
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!("Path: media terminated by Zoom's media router {}", f.server),
            evidence: vec![flow_evidence(f, detail.clone())],
        });
        server = Some(ServerInfo {
            address: f.server.to_string(),
            transport: f.transport,
            vendor: vendors.get("Zoom").map(|v| v.name.clone()),
            evidence: detail,
            location: None,
        });
        CallPath::ServerTerminated
    } else {
        let step = if participants.is_empty() {
            "Path: no media in this capture; no relay or media server seen".to_string()
        } else {
            format!("Path: direct between {}", participants.join(" and "))
        };
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step,
            evidence: Vec::new(),
        });
        CallPath::Direct
    };

    // Encrypted signaling to the same vendor as the relay or media server.
    let mut call_legs = call_legs;
    let vendor = relay
        .as_ref()
        .and_then(|r| r.vendor.clone())
        .or_else(|| server.as_ref().and_then(|s| s.vendor.clone()));
    // Only connections open when the call began: they set it up (a
    // platform's client connects for each meeting).
    let (began, _) = span(&spanning, dialogs);
    let around = |f: &FlowRecord| {
        f.first_timestamp.0 <= began.0.saturating_add(super::WEB_SIGNALING_SLACK)
            && f.last_timestamp
                .0
                .saturating_add(super::WEB_SIGNALING_SLACK)
                >= began.0
    };
    let web_signaling: Vec<&(String, &FlowRecord)> =
        web_signaling.iter().filter(|(_, f)| around(f)).collect();
    if let Some(vendor) = &vendor {
        for (v, f) in web_signaling.iter().filter(|(v, _)| v == vendor) {
            let sni = f
                .tls
                .as_ref()
                .and_then(|t| t.sni.clone())
                .or_else(|| f.quic.as_ref().and_then(|q| q.sni.clone()))
                .unwrap_or_default();
            reasoning.retain(|r| r.kind != StepKind::SignalingNotVisible);
            reasoning.insert(
                0,
                ReasoningStep {
                    kind: StepKind::Reason,
                    step: format!("Signaling: encrypted ({}) to {v}, attributed by SNI {sni}; its content cannot be read", f.protocols.join("/")),
                    evidence: vec![flow_evidence(f, format!("ClientHello names {sni}"))],
                },
            );
            call_legs.push(CallLeg {
                flow: f.id,
                role: LegRole::SignalingEncrypted,
                transport: f.transport,
                client: f.client.to_string(),
                server: f.server.to_string(),
                protocols: f.protocols.clone(),
                location: None,
            });
        }
    }

    // The platform, from the strongest signal in any of the call's flows.
    let attributed: Vec<&FlowRecord> = web_signaling
        .iter()
        .filter(|(v, _)| Some(v) == vendor.as_ref())
        .map(|(_, f)| *f)
        .collect();
    let platform = crate::assess::platform::platform_of(legs, &attributed, vendors, names);
    if let Some(p) = &platform {
        let how = p.evidence.first().map(|e| e.detail.as_str()).unwrap_or("");
        reasoning.insert(
            0,
            ReasoningStep {
                kind: StepKind::Reason,
                step: format!(
                    "Platform: {} ({} confidence: {how}); BAA: {} ({})",
                    p.name,
                    p.confidence.name(),
                    p.baa.name(),
                    p.baa_statement
                ),
                evidence: p.evidence.clone(),
            },
        );
    }

    // The verdict.
    const EXPOSING: [FindingId; 4] = [
        FindingId::MediaCleartext,
        FindingId::SrtpKeysExposed,
        FindingId::SipIdentityExposed,
        FindingId::RtcpSdesExposed,
    ];
    let exposing: Vec<(FindingId, &Evidence)> = findings
        .iter()
        .copied()
        .filter(|(id, _)| EXPOSING.contains(id))
        .collect();
    let encrypted_all = !media.is_empty() && media.iter().all(|m| m.encrypted == Encrypted::Yes);
    let keyed_end_to_end = !dtls_srtp.is_empty() || legs.iter().any(|f| has(f, "zrtp"));
    let verdict = if !exposing.is_empty() {
        let mut ids: Vec<&str> = exposing.iter().map(|(id, _)| id.name()).collect();
        ids.sort();
        ids.dedup();
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Verdict exposed: content or identifiers crossed the network in the clear ({})",
                ids.join(", ")
            ),
            evidence: exposing.iter().map(|(_, ev)| (*ev).clone()).collect(),
        });
        Verdict::Exposed
    } else if path == CallPath::ServerTerminated {
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Verdict intermediary-can-access: the media ends at the vendor's server, which holds its keys and can decrypt it ({})",
                server.as_ref().map_or("", |s| s.evidence.as_str())
            ),
            evidence: Vec::new(),
        });
        Verdict::IntermediaryCanAccess
    } else if let (true, Some((f, m))) = (media.is_empty(), platform_relay) {
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Verdict indeterminate: the media ({} packets) travels in the platform's own encrypted framing, not RTP; the wire shows neither its keys nor who holds them",
                m.packets
            ),
            evidence: vec![flow_evidence(f, format!("{} from packet {}", m.marker, m.first_packet))],
        });
        Verdict::Indeterminate
    } else if media.is_empty() && !keyed_end_to_end {
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: "Verdict indeterminate: no media was captured for this call".into(),
            evidence: Vec::new(),
        });
        Verdict::Indeterminate
    } else if keyed_end_to_end && (encrypted_all || media.is_empty()) {
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Verdict conduit-consistent: keys negotiated end to end ({}); {}",
                if dtls_srtp.is_empty() {
                    "ZRTP"
                } else {
                    "DTLS-SRTP between the endpoints"
                },
                if path == CallPath::Relayed {
                    "the relay only forwards ciphertext it cannot decrypt"
                } else {
                    "no intermediary in the media path"
                }
            ),
            evidence: Vec::new(),
        });
        Verdict::ConduitConsistent
    } else if let Some(f) = legs.iter().find(|f| f.zoom.as_ref().is_some_and(|z| z.p2p)) {
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: "Verdict indeterminate: the media goes peer to peer, encrypted by Zoom's own keying, whose keys Zoom's servers hand out over its encrypted signaling; the wire does not show whether the meeting used Zoom's end-to-end encryption, which keeps them from Zoom".into(),
            evidence: vec![flow_evidence(f, "Zoom P2P hello, then Zoom's media framing".to_string())],
        });
        Verdict::Indeterminate
    } else {
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: "Verdict indeterminate: the media's key exchange is not visible (SDES over protected signaling, or the call started before the capture)".into(),
            evidence: Vec::new(),
        });
        Verdict::Indeterminate
    };
    let mut cannot_show = vec![
        "whether any party stores recordings, transcripts or metadata".to_string(),
        "the contracts (BAAs) in place with the vendors involved".to_string(),
        "what happens beyond this capture point, on the far side's network".to_string(),
    ];
    if path == CallPath::Relayed {
        cannot_show.push(
            "what the relay operator logs about the call (it cannot decrypt DTLS-SRTP media)"
                .into(),
        );
    }
    if sip.is_empty() && web.is_empty() {
        cannot_show.push("the signaling, which was not visible: who invited whom".into());
    }
    let (start, end) = span(&spanning, dialogs);
    let mut kinds = Vec::new();
    if !sip.is_empty() {
        kinds.push("sip");
    }
    if !web.is_empty()
        || legs
            .iter()
            .any(|f| f.stun.as_ref().is_some_and(|s| !s.usernames.is_empty()))
        || !dtls_srtp.is_empty()
    {
        kinds.push("webrtc");
    }
    if kinds.is_empty() {
        kinds.push("media");
    }
    Call {
        id,
        kinds,
        start,
        end,
        legs: call_legs,
        participants,
        identities,
        sip_call_ids: call_ids,
        dialogs: dialogs.iter().map(|d| (*d).clone()).collect(),
        media,
        platform,
        path,
        relay,
        server,
        verdict,
        reasoning,
        cannot_show,
        findings: call_findings,
        timeline: crate::flow::timeline::merge(spanning.iter().filter_map(|f| f.timeline.as_ref())),
    }
}

/// The platform whose media server the flow's DTLS certificate names, with
/// the name and its packet: a name a vendor's servers carry
/// (`certificate_names`), on a certificate a CA signed, or a self-signed
/// one (Meet's "hangouts") on that vendor's media ranges and ports, since
/// any WebRTC peer may put any name in the certificate it makes.
fn server_certificate<'a, 'v>(
    f: &'a FlowRecord,
    vendors: &'v Vendors,
) -> Option<(&'a str, &'v Vendor, u64)> {
    let c = f.tls.as_ref()?.certificate.as_ref()?;
    let (name, vendor) = c
        .names()
        .find_map(|n| Some((n, vendors.by_certificate(n)?)))?;
    let at_its_server = vendors
        .by_media_server(f.server)
        .is_some_and(|v| v.name == vendor.name);
    (!c.self_signed || at_its_server).then_some((name, vendor, c.packet))
}
