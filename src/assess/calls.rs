//! Calls: flows correlated into what a person would call one call. Edges
//! between flows come from the evidence the wire carries: the same SIP
//! Call-ID; an SDP c=/m= endpoint that a media flow uses; ICE usernames
//! (`a:b` on one side, `b:a` on the other, or an SDP a=ice-ufrag); a TURN
//! allocation's relayed or peer address that another flow uses. Connected
//! flows with media (or a SIP INVITE) are one call, which then gets its
//! path and its conduit-exception verdict, with the reasoning behind it.

use super::catalogue::FindingId;
use super::policy::Policy;
use super::vendors::Vendors;
use crate::assess::model::*;
use crate::facts::*;
use crate::time::Timestamp;
use std::collections::HashMap;
use std::net::SocketAddr;

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.0[root] != root {
            root = self.0[root];
        }
        let mut i = i;
        while self.0[i] != root {
            let next = self.0[i];
            self.0[i] = root;
            i = next;
        }
        root
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

fn has(f: &FlowRecord, p: &str) -> bool {
    f.protocols.contains(&p)
}

/// An ICE candidate's endpoint as a socket address; candidates may name an
/// mDNS host instead (RFC 8839 §5.1), which hides the address: `None`.
fn endpoint(address: &str, port: u16) -> Option<SocketAddr> {
    let ip: std::net::IpAddr = address.parse().ok()?;
    Some(SocketAddr::new(ip, port))
}

fn flow_evidence(f: &FlowRecord, detail: String) -> Evidence {
    Evidence {
        flow: f.id,
        first_packet: f.first_packet,
        last_packet: f.last_packet,
        first_timestamp: f.first_timestamp,
        last_timestamp: f.last_timestamp,
        detail,
    }
}

/// Media may start a little before the SDP that announced it is seen
/// (early media, capture on another segment); this much is tolerated.
const ANNOUNCE_SLACK: i64 = 5_000_000_000;

/// Findings a signaling flow raises that belong to each call whose
/// signaling it carried, when that signaling shows the fact too: a trunk's
/// SIP flow or a signaling server's connection is shared by many calls,
/// its findings are not all theirs.
fn substantiates(id: FindingId, signals: &[&Signal<'_>]) -> bool {
    let sdps = || signals.iter().flat_map(|s| s.sdps());
    let media = || sdps().flat_map(|s| &s.media);
    let dialogs = || signals.iter().filter_map(|s| s.dialog());
    match id {
        FindingId::SignalingCleartext => true,
        FindingId::SipIdentityExposed => dialogs().any(|d| !d.identities.is_empty()),
        FindingId::SipCredentialsCleartext => dialogs().any(|d| d.authorization),
        FindingId::SrtpKeysExposed => media().any(|m| m.crypto),
        FindingId::IceAddressExposed => media().any(|m| !m.candidates.is_empty()),
        _ => false,
    }
}

/// Signaling that makes one call: a SIP dialog, or an SDP offer or answer
/// read in the clear on a web connection (HTTP, WebSocket).
enum Signal<'a> {
    Dialog(&'a DialogRecord),
    Web {
        flow: &'a FlowRecord,
        sdp: &'a WebSdp,
    },
}

impl<'a> Signal<'a> {
    fn dialog(&self) -> Option<&'a DialogRecord> {
        match self {
            Signal::Dialog(d) => Some(d),
            Signal::Web { .. } => None,
        }
    }

    /// Flows that carried it.
    fn carriers(&self) -> &[u64] {
        match self {
            Signal::Dialog(d) => &d.flows,
            Signal::Web { flow, .. } => std::slice::from_ref(&flow.id),
        }
    }

    fn first_packet(&self) -> u64 {
        match self {
            Signal::Dialog(d) => d.first_packet,
            Signal::Web { sdp, .. } => sdp.sdp.packet,
        }
    }

    /// Its SDP bodies, each with when it was announced.
    fn sdps(&self) -> Box<dyn Iterator<Item = &'a SdpRecord> + 'a> {
        match self {
            Signal::Dialog(d) => Box::new(d.sdp.iter().map(|s| &s.sdp)),
            Signal::Web { sdp, .. } => Box::new(std::iter::once(&sdp.sdp)),
        }
    }

    fn announcements(&self) -> Vec<(&'a SdpRecord, Timestamp)> {
        match self {
            Signal::Dialog(d) => d.sdp.iter().map(|s| (&s.sdp, s.timestamp)).collect(),
            Signal::Web { sdp, .. } => vec![(&sdp.sdp, sdp.timestamp)],
        }
    }

    /// Until when media may still join it: a dialog's end (and some slack);
    /// web signaling never says when the call ends.
    fn until(&self) -> i64 {
        match self {
            Signal::Dialog(d) if !(d.live && d.ended.is_none()) => d
                .ended
                .unwrap_or(d.last_timestamp)
                .0
                .saturating_add(ANNOUNCE_SLACK),
            _ => i64::MAX,
        }
    }
}

/// Where an SDP says media goes: each medium's c=/m= port (and RTCP's),
/// and its ICE candidates' addresses.
fn announced_endpoints(sdp: &SdpRecord) -> impl Iterator<Item = SocketAddr> + '_ {
    sdp.media.iter().flat_map(|m| {
        let ip = m.address;
        let media = std::iter::once(m.port)
            .chain(m.rtcp_port)
            .filter(|&p| p > 0)
            .filter_map(move |p| Some(SocketAddr::new(ip?, p)));
        let candidates = m
            .candidates
            .iter()
            .filter_map(|c| endpoint(&c.address, c.port));
        media.chain(candidates)
    })
}

/// Groups the flows into calls and judges each. Each SIP dialog is a call
/// of its own; the flows that carried its messages are its signaling legs
/// but never join calls together (a trunk carries many). Media joins the
/// dialog whose SDP announced its endpoint most recently before it began.
pub fn correlate(
    flows: &[std::sync::Arc<FlowRecord>],
    dialogs: &[std::sync::Arc<DialogRecord>],
    findings: &[Finding],
    policy: &Policy,
    vendors: &Vendors,
) -> Vec<Call> {
    let n = flows.len();
    let mut signals: Vec<Signal<'_>> = dialogs.iter().map(|d| Signal::Dialog(d)).collect();
    for f in flows {
        for sdp in f.http.iter().flat_map(|h| &h.sdp) {
            signals.push(Signal::Web { flow: f, sdp });
        }
    }
    let mut uf = UnionFind((0..n + signals.len()).collect());
    let index_of: HashMap<u64, usize> = flows.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    // Flows that carried signaling: its legs, never joiners (a trunk, or a
    // signaling server, carries many calls).
    let mut carriers: Vec<bool> = vec![false; n];
    for signal in &signals {
        for i in signal.carriers().iter().filter_map(|id| index_of.get(id)) {
            carriers[*i] = true;
        }
    }
    // An offer and the answer that follows it on the same connection (an
    // HTTP request and its response) are one call.
    for k in 1..signals.len() {
        if let (
            Signal::Web {
                flow: a,
                sdp: offer,
            },
            Signal::Web {
                flow: b,
                sdp: answer,
            },
        ) = (&signals[k - 1], &signals[k])
        {
            let paired = offer.kind.as_deref() == Some("offer")
                && answer.kind.as_deref() == Some("answer")
                || offer.carrier.contains(' ') && !answer.carrier.contains(' ');
            if a.id == b.id && paired {
                uf.union(n + k - 1, n + k);
            }
        }
    }
    let mut by_call_id: HashMap<&str, usize> = HashMap::new();
    let mut by_endpoint: HashMap<SocketAddr, Vec<usize>> = HashMap::new();
    let mut by_ufrag_pair: HashMap<(String, String), usize> = HashMap::new();
    let mut by_ufrag: HashMap<&str, usize> = HashMap::new();
    let mut by_pair: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
    for (i, f) in flows.iter().enumerate() {
        if carriers[i] {
            continue;
        }
        by_pair.entry((f.client, f.server)).or_insert(i);
        for end in [f.client, f.server] {
            let list = by_endpoint.entry(end).or_default();
            if list.len() < 64 {
                list.push(i);
            }
        }
        // SIP seen on a flow without a dialog (its table was full, or no
        // INVITE-dialog method): joined by Call-ID as before dialogs.
        if let Some(sip) = &f.sip {
            for id in &sip.call_ids {
                match by_call_id.get(id.as_str()) {
                    Some(&j) => uf.union(i, j),
                    None => {
                        by_call_id.insert(id, i);
                    }
                }
            }
        }
        if let Some(stun) = &f.stun {
            for u in &stun.usernames {
                if let Some((a, b)) = u.split_once(':') {
                    let key = if a <= b {
                        (a.to_string(), b.to_string())
                    } else {
                        (b.to_string(), a.to_string())
                    };
                    match by_ufrag_pair.get(&key) {
                        Some(&j) => uf.union(i, j),
                        None => {
                            by_ufrag_pair.insert(key, i);
                        }
                    }
                    for part in [a, b] {
                        by_ufrag.entry(part).or_insert(i);
                    }
                }
            }
        }
    }
    // Each media flow joins one dialog: the one whose SDP announced its
    // endpoint last before the flow began (a re-INVITE moves media; a
    // trunk reuses ports for later calls), or else the earliest after.
    let mut chosen: HashMap<usize, (usize, Timestamp)> = HashMap::new();
    for (k, signal) in signals.iter().enumerate() {
        let until = signal.until();
        for (sdp, announced) in signal.announcements() {
            for endpoint in announced_endpoints(sdp) {
                for &j in by_endpoint.get(&endpoint).into_iter().flatten() {
                    let f = &flows[j];
                    let overlaps = f.first_timestamp.0 <= until
                        && f.last_timestamp.0 >= announced.0 - ANNOUNCE_SLACK;
                    if !overlaps {
                        continue;
                    }
                    let began = f.first_timestamp.0 + ANNOUNCE_SLACK;
                    let better = match chosen.get(&j) {
                        None => true,
                        Some(&(_, best)) => {
                            let (now_before, best_before) = (announced.0 <= began, best.0 <= began);
                            match (now_before, best_before) {
                                (true, true) => announced > best,
                                (false, false) => announced < best,
                                (now, _) => now,
                            }
                        }
                    };
                    if better {
                        chosen.insert(j, (k, announced));
                    }
                }
            }
        }
        for ufrag in signal
            .sdps()
            .flat_map(|s| &s.media)
            .filter_map(|m| m.ice_ufrag.as_deref())
        {
            if let Some(&j) = by_ufrag.get(ufrag) {
                uf.union(n + k, j);
            }
        }
    }
    for (&j, &(k, _)) in &chosen {
        uf.union(j, n + k);
    }
    for (i, f) in flows.iter().enumerate() {
        if carriers[i] {
            continue;
        }
        // SDP of a SIP flow without dialogs announces where media goes.
        if let Some(sip) = &f.sip {
            for sdp in &sip.sdp {
                for m in &sdp.media {
                    for port in std::iter::once(m.port).chain(m.rtcp_port) {
                        let addr = m.address.map(|ip| SocketAddr::new(ip, port));
                        if let Some(&j) = addr
                            .as_ref()
                            .and_then(|a| by_endpoint.get(a))
                            .and_then(|l| l.first())
                        {
                            uf.union(i, j);
                        }
                    }
                    if let Some(&j) = m.ice_ufrag.as_deref().and_then(|u| by_ufrag.get(u)) {
                        uf.union(i, j);
                    }
                }
            }
        }
        // RTCP on the next ports of an RTP flow between the same hosts
        // (RFC 3550 §11) belongs with it even when the SDP is not visible.
        if has(f, "rtcp") || has(f, "srtcp") {
            let below = |a: SocketAddr| Some(SocketAddr::new(a.ip(), a.port().checked_sub(1)?));
            if let (Some(c), Some(s)) = (below(f.client), below(f.server)) {
                let rtp = by_pair
                    .get(&(c, s))
                    .or_else(|| by_pair.get(&(s, c)))
                    .copied();
                if let Some(j) = rtp {
                    uf.union(i, j);
                }
            }
        }
        // A TURN allocation joins the flows that use its relayed and peer addresses.
        if let (Some(stun), Some(_)) = (&f.stun, &f.turn) {
            for a in stun.relayed_addresses.iter().chain(&stun.peer_addresses) {
                for &j in by_endpoint.get(a).into_iter().flatten() {
                    uf.union(i, j);
                }
            }
        }
    }
    // Components, in the order of their first packet.
    let mut component_of: HashMap<usize, usize> = HashMap::new();
    let mut components: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let carrier = |node: usize| carriers.get(node).copied().unwrap_or(false);
    for node in 0..n + signals.len() {
        if carrier(node) {
            continue;
        }
        let root = uf.find(node);
        let c = *component_of.entry(root).or_insert_with(|| {
            components.push((Vec::new(), Vec::new()));
            components.len() - 1
        });
        if node < n {
            components[c].0.push(node);
        } else {
            components[c].1.push(node - n);
        }
    }
    let first_packet = |(members, ss): &(Vec<usize>, Vec<usize>)| {
        let flows = members.iter().map(|&i| flows[i].first_packet);
        flows
            .chain(ss.iter().map(|&k| signals[k].first_packet()))
            .min()
    };
    components.sort_by_key(|c| first_packet(c));
    // Encrypted web signaling (HTTPS, WebSocket, QUIC) named by SNI: it is
    // attributed to a call whose relay or media server is the same vendor.
    let web_signaling: Vec<(String, &FlowRecord)> = flows
        .iter()
        .filter(|f| f.sip.is_none() && f.stun.is_none() && f.rtp.is_none() && !has(f, "dtls"))
        .filter_map(|f| {
            let sni = f
                .tls
                .as_ref()
                .and_then(|t| t.sni.as_deref())
                .or_else(|| f.quic.as_ref().and_then(|q| q.sni.as_deref()))?;
            Some((vendors.by_name(sni)?.name.clone(), &**f))
        })
        .collect();
    // Which findings have evidence in which flow, built once.
    let mut findings_by_flow: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        for e in &f.evidence {
            let list = findings_by_flow.entry(e.flow).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let mut calls = Vec::new();
    for (members, ss) in components {
        let call_signals: Vec<&Signal<'_>> = ss.iter().map(|&k| &signals[k]).collect();
        let call_dialogs: Vec<&DialogRecord> =
            call_signals.iter().filter_map(|s| s.dialog()).collect();
        let mut legs: Vec<&FlowRecord> = members.iter().map(|&i| &*flows[i]).collect();
        let mut signaling: Vec<u64> = Vec::new();
        for signal in &call_signals {
            for &i in signal.carriers().iter().filter_map(|id| index_of.get(id)) {
                if !signaling.contains(&flows[i].id) {
                    signaling.push(flows[i].id);
                    legs.push(&flows[i]);
                }
            }
        }
        legs.sort_by_key(|f| f.id);
        let media = legs
            .iter()
            .any(|f| has(f, "rtp") || has(f, "srtp") || has(f, "dtls") || has(f, "zrtp"));
        let invite = !call_signals.is_empty()
            || legs.iter().any(|f| {
                f.sip
                    .as_ref()
                    .is_some_and(|s| s.requests.contains_key("INVITE"))
            });
        if !media && !invite {
            continue;
        }
        let mut related: Vec<usize> = Vec::new();
        for f in &legs {
            for &k in findings_by_flow.get(&f.id).into_iter().flatten() {
                if !signaling.contains(&f.id) || substantiates(findings[k].id, &call_signals) {
                    related.push(k);
                }
            }
        }
        related.sort_unstable();
        related.dedup();
        let related: Vec<&Finding> = related.iter().map(|&i| &findings[i]).collect();
        calls.push(judge(
            calls.len() as u64 + 1,
            Members {
                legs: &legs,
                signaling: &signaling,
                dialogs: &call_dialogs,
                web: &call_signals
                    .iter()
                    .filter_map(|s| match s {
                        Signal::Web { flow, sdp } => Some((*flow, *sdp)),
                        Signal::Dialog(_) => None,
                    })
                    .collect::<Vec<_>>(),
            },
            &related,
            policy,
            vendors,
            &web_signaling,
        ));
    }
    calls
}

/// What one call is made of: its flows, in id order, and its SIP dialogs.
/// `signaling` names the flows that are legs only because they carried its
/// dialogs' messages: they may carry other calls' too.
struct Members<'a> {
    legs: &'a [&'a FlowRecord],
    signaling: &'a [u64],
    dialogs: &'a [&'a DialogRecord],
    /// SDP read in the clear on web connections, with the flow of each.
    web: &'a [(&'a FlowRecord, &'a WebSdp)],
}

/// Judges one call; `findings` are those with evidence in its flows.
fn judge(
    id: u64,
    members: Members<'_>,
    findings: &[&Finding],
    policy: &Policy,
    vendors: &Vendors,
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
    for f in findings {
        if !call_findings.contains(&f.id) {
            call_findings.push(f.id);
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
            } else if f.turn.is_some() {
                LegRole::Relay
            } else if relayed_addresses
                .iter()
                .any(|a| *a == f.client || *a == f.server)
            {
                LegRole::RelayedMedia
            } else if f.rtp.is_some() || has(f, "dtls") || has(f, "srtcp") || has(f, "rtcp") {
                LegRole::Media
            } else {
                LegRole::Ice
            },
            transport: f.transport,
            client: f.client.to_string(),
            server: f.server.to_string(),
            protocols: f.protocols.clone(),
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
        });
        CallPath::Relayed
    } else if let Some(f) = lite {
        let vendor = f
            .tls
            .as_ref()
            .and_then(|t| t.sni.as_deref())
            .and_then(|n| vendors.by_name(n))
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
            });
        }
    }

    // The verdict.
    const EXPOSING: [FindingId; 4] = [
        FindingId::MediaCleartext,
        FindingId::SrtpKeysExposed,
        FindingId::SipIdentityExposed,
        FindingId::RtcpSdesExposed,
    ];
    let exposing: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| EXPOSING.contains(&f.id))
        .collect();
    let encrypted_all = !media.is_empty() && media.iter().all(|m| m.encrypted == Encrypted::Yes);
    let keyed_end_to_end = !dtls_srtp.is_empty() || legs.iter().any(|f| has(f, "zrtp"));
    let verdict = if !exposing.is_empty() {
        let mut ids: Vec<&str> = exposing.iter().map(|f| f.id.name()).collect();
        ids.sort();
        ids.dedup();
        reasoning.push(ReasoningStep {
            kind: StepKind::Reason,
            step: format!(
                "Verdict exposed: content or identifiers crossed the network in the clear ({})",
                ids.join(", ")
            ),
            evidence: exposing
                .iter()
                .filter_map(|f| f.evidence.first().cloned())
                .collect(),
        });
        Verdict::Exposed
    } else if path == CallPath::ServerTerminated {
        reasoning.push(ReasoningStep {
kind: StepKind::Reason,
            step: "Verdict intermediary-can-access: the media's keys were negotiated (DTLS) with the vendor's server, which can decrypt it".into(),
            evidence: Vec::new(),
        });
        Verdict::IntermediaryCanAccess
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
