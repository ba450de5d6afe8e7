//! Calls: flows correlated into what a person would call one call. A call
//! starts from its signaling: each SIP dialog, and each SDP read in the
//! clear on a web connection, is one. Media joins the signaling whose SDP
//! announced its endpoint (c=/m=, RTCP, ICE candidates) last before the
//! media began; ICE usernames (`a:b` on one side, `b:a` on the other, or an
//! SDP a=ice-ufrag), a TURN allocation's relayed or peer addresses and RTCP
//! on the next port join flows too, when they ran within 30 s of each other
//! (an identifier reused later names another session). A flow that carried
//! signaling is a leg of each call it signalled but never joins calls
//! together (a trunk carries hundreds). Each call is then judged
//! ([`judge`]). [`settled`] tells which calls can be concluded while the
//! capture runs. Must never read packets: it sees only the facts of ended
//! (or running) flows and dialogs.

use super::catalogue::FindingId;
use super::policy::Policy;
use super::vendors::Vendors;
use crate::assess::model::*;
use crate::facts::*;
use crate::time::Timestamp;
use hashbrown::HashMap;
use std::net::SocketAddr;

mod judge;
pub mod store;
use judge::{Members, judge};

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

/// Whether a flow's DTLS keys a call (a WebRTC session's): it negotiates
/// SRTP keys (use_srtp offered or chosen, RFC 5764), or it shares its flow
/// with ICE (a WebRTC peer connection, whose data channels run over DTLS
/// too and whose consent checks go on every few seconds, RFC 7675). DTLS
/// alone is as often a VPN's tunnel (AnyConnect, GlobalProtect,
/// FortiClient on 443), CAPWAP or CoAP: taking it for a call would fill a
/// clinic's report with calls that are not.
pub(in crate::assess) fn keys_a_call(f: &FlowRecord) -> bool {
    let srtp = f
        .tls
        .as_ref()
        .is_some_and(|t| !t.srtp_profiles_offered.is_empty() || t.srtp_profile.is_some());
    has(f, "dtls") && (srtp || carries_ice(f))
}

/// Whether a flow's STUN is ICE's (RFC 8445 §7): checks carry a short-term
/// credential (USERNAME, MESSAGE-INTEGRITY) and ICE's own attributes
/// (PRIORITY, ICE-CONTROLLING or -CONTROLLED), and so do their answers'
/// integrity. A bare Binding request is NAT discovery, which VPN clients
/// and games send too.
fn carries_ice(f: &FlowRecord) -> bool {
    f.stun.as_ref().is_some_and(|s| {
        s.message_integrity
            || !s.usernames.is_empty()
            || !s.priorities.is_empty()
            || s.ice_controlling
            || s.ice_controlled
    })
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

/// A UDP flow an ICE agent (or Zoom's P2P hello, a platform's pings such
/// as Telegram's reflector probes) uses to check a path from its socket: the candidate pairs of
/// one session share that socket.
fn checks_connectivity(f: &FlowRecord) -> bool {
    f.transport == Proto::Udp
        && (f.stun.is_some() || f.zoom.as_ref().is_some_and(|z| z.p2p) || !f.markers.is_empty())
}

/// How far apart in time two flows may be and still be joined by an
/// identifier they share (a Call-ID, ICE username, relayed address): an
/// ICE session checks its paths every few seconds and a UDP flow ends
/// after two minutes idle, so a reuse later is another session (a TURN
/// server hands a relayed address to the next allocation).
const JOIN_SLACK: i64 = 30_000_000_000;

/// Whether two flows ran at about the same time ([`JOIN_SLACK`]).
fn near(f: &FlowRecord, g: &FlowRecord) -> bool {
    f.first_timestamp.0 <= g.last_timestamp.0.saturating_add(JOIN_SLACK)
        && g.first_timestamp.0 <= f.last_timestamp.0.saturating_add(JOIN_SLACK)
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

/// What one SIP dialog read in the clear exposes of its call, each with the
/// dialog's own packets (the policy's ignored findings left out). A call's
/// SIP findings are its dialogs', not its signaling flow's: a trunk or a
/// phone's connection to its PBX carries many calls, and its own facts
/// keep the first few of them.
fn dialog_findings(d: &DialogRecord, policy: &Policy) -> Vec<(FindingId, Evidence)> {
    let whole = |detail: String| Evidence {
        flow: d.flows.first().copied().unwrap_or_default(),
        first_packet: d.first_packet,
        last_packet: d.last_packet,
        first_timestamp: d.first_timestamp,
        last_timestamp: d.last_timestamp,
        detail,
    };
    let mut out = vec![(
        FindingId::SignalingCleartext,
        whole(format!(
            "{} SIP messages of dialog {}",
            d.messages_total, d.call_id
        )),
    )];
    let ids = super::rules::identity_lines(&d.identities);
    if !ids.is_empty() {
        let detail = format!("readable in SIP headers: {}", ids.join(", "));
        out.push((FindingId::SipIdentityExposed, whole(detail)));
    }
    if d.authorization {
        let messages = d.messages.iter().map(|m| (m.message.as_str(), m.packet));
        let detail = super::rules::credentials_detail(messages);
        out.push((FindingId::SipCredentialsCleartext, whole(detail)));
    }
    for s in &d.sdp {
        let carried = format!("SDP in packet {} ({})", s.sdp.packet, s.sdp.message);
        for (id, detail, _) in super::rules::sdp_exposures(&s.sdp, &carried) {
            let ev = Evidence {
                flow: s.flow,
                first_packet: s.sdp.packet,
                last_packet: s.sdp.packet,
                first_timestamp: s.timestamp,
                last_timestamp: s.timestamp,
                detail,
            };
            out.push((id, ev));
        }
    }
    out.retain(|(id, _)| !policy.ignores(*id));
    out
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

    fn first_timestamp(&self) -> Timestamp {
        match self {
            Signal::Dialog(d) => d.first_timestamp,
            Signal::Web { sdp, .. } => sdp.timestamp,
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

/// What judging a call draws on besides its flows.
pub struct Judging<'a> {
    pub policy: &'a Policy,
    pub vendors: &'a Vendors,
    pub names: &'a super::platform::ServerNames,
}

/// The part of the flows and dialogs that can be concluded now
/// ([`settled`]).
#[derive(Debug, Default)]
pub struct Settled {
    /// Flows (ids) of the settled calls: members, and the signaling flows
    /// that carried their dialogs (some may still run).
    pub flows: hashbrown::HashSet<u64>,
    /// Dialogs (indices) of the settled calls.
    pub dialogs: Vec<usize>,
    /// Ended flows no call can draw on any longer: the settled calls'
    /// members, quiet flows that made no call, carriers of nothing left.
    pub released: hashbrown::HashSet<u64>,
    /// Signaling flows of settled dialogs that still run: carriers when
    /// they end.
    pub running_carriers: Vec<u64>,
    /// When the earliest call still open began: no call concluded later
    /// began before it (`None`: none is open).
    pub open_since: Option<Timestamp>,
}

/// How long before or after a call began encrypted web signaling (a
/// platform's HTTPS, WebSocket or QUIC connection named by SNI) may have
/// been open to be attributed to the call: a meeting client connects
/// before joining.
pub const WEB_SIGNALING_SLACK: i64 = 60_000_000_000;

/// Which calls have settled by `cutoff`: every member flow ended by then
/// (`End::Live` marks a running one), every dialog handed over (not live)
/// and quiet since, and its web signaling flow too. A settled call can be
/// concluded and its ended flows released: no later flow is expected to
/// join it. Flows that made no call are released once quiet, except
/// encrypted web signaling, which waits until no call still open could
/// draw on it.
pub fn settled(
    flows: &[std::sync::Arc<FlowRecord>],
    dialogs: &[std::sync::Arc<DialogRecord>],
    known_carriers: &hashbrown::HashSet<u64>,
    cutoff: Timestamp,
) -> Settled {
    let grouping = group(flows, dialogs, known_carriers);
    let running = |f: &FlowRecord| f.end == End::Live;
    let quiet_flow = |f: &FlowRecord| !running(f) && f.last_timestamp <= cutoff;
    let mut out = Settled::default();
    // When the calls still open began (their web signaling stays).
    let mut open_starts: Vec<i64> = Vec::new();
    // Of those, the ones a call concluded later may begin with.
    let mut call_starts: Vec<i64> = Vec::new();
    let mut carried_by_open: hashbrown::HashSet<u64> = Default::default();
    let mut loose_web: Vec<usize> = Vec::new();
    for (members, ss) in &grouping.components {
        let signals_quiet = ss.iter().all(|&k| match &grouping.signals[k] {
            Signal::Dialog(d) => !d.live && d.last_timestamp <= cutoff,
            Signal::Web { flow, .. } => quiet_flow(flow),
        });
        let done = signals_quiet && members.iter().all(|&i| quiet_flow(&flows[i]));
        let carriers = ss
            .iter()
            .flat_map(|&k| grouping.signals[k].carriers())
            .filter_map(|id| grouping.index_of.get(id).copied());
        let alone_web = matches!((members.as_slice(), ss.as_slice()), ([i], []) if web_signaling_candidate(&flows[*i]));
        if !done {
            carried_by_open.extend(carriers.map(|i| flows[i].id));
            if alone_web {
                // A connection alone is no call: it begins none.
                continue;
            }
            let began = members
                .iter()
                .map(|&i| flows[i].first_timestamp)
                .chain(ss.iter().map(|&k| grouping.signals[k].first_timestamp()))
                .min();
            open_starts.extend(began.map(|t| t.0));
            // A call concluded later may begin when this did, unless it is
            // SIP without a call (a phone's registration, keepalives): a
            // call on such a flow spans its own dialog, not the flow.
            if !ss.is_empty() || !members.iter().all(|&i| registration_only(&flows[i])) {
                call_starts.extend(began.map(|t| t.0));
            }
            continue;
        }
        if alone_web {
            // Alone, it makes no call: it may be another's signaling.
            loose_web.extend(members);
            continue;
        }
        for &i in members {
            out.flows.insert(flows[i].id);
            out.released.insert(flows[i].id);
        }
        for i in carriers {
            out.flows.insert(flows[i].id);
        }
        out.dialogs
            .extend(ss.iter().filter_map(|&k| match grouping.signals[k] {
                Signal::Dialog(d) => dialogs.iter().position(|x| std::ptr::eq(&**x, d)),
                Signal::Web { .. } => None,
            }));
    }
    // Carriers of settled signaling alone: released once ended; still
    // running, they are carriers when they end.
    for id in out.flows.clone() {
        let Some(&i) = grouping.index_of.get(&id) else {
            continue;
        };
        if !grouping.carriers[i] || carried_by_open.contains(&id) {
            continue;
        }
        if running(&flows[i]) {
            out.running_carriers.push(id);
        } else {
            out.released.insert(id);
        }
    }
    // Flows in no component: carriers of nothing left.
    for (i, f) in flows.iter().enumerate() {
        if grouping.carriers[i] && !carried_by_open.contains(&f.id) && quiet_flow(f) {
            out.released.insert(f.id);
        }
    }
    // Encrypted web signaling waits while a call still open, or one yet
    // to begin, may have begun while it was open.
    open_starts.sort_unstable();
    out.open_since = call_starts.iter().min().map(|&t| Timestamp(t));
    for i in loose_web {
        let f = &flows[i];
        let (from, to) = (
            f.first_timestamp.0.saturating_sub(WEB_SIGNALING_SLACK),
            f.last_timestamp.0.saturating_add(WEB_SIGNALING_SLACK),
        );
        let later = open_starts.partition_point(|&t| t < from);
        let needed = to >= cutoff.0 || open_starts.get(later).is_some_and(|&t| t <= to);
        if !needed {
            out.released.insert(f.id);
        }
    }
    out
}

/// A SIP flow that carried no call (registrations, OPTIONS keepalives).
fn registration_only(f: &FlowRecord) -> bool {
    f.protocols.iter().all(|p| *p == "sip")
        && f.sip
            .as_ref()
            .is_some_and(|s| !s.requests.contains_key("INVITE"))
}

/// A flow that may be a platform's encrypted signaling: named by SNI, and
/// carrying none of the call protocols itself.
fn web_signaling_candidate(f: &FlowRecord) -> bool {
    let named = f.tls.as_ref().is_some_and(|t| t.sni.is_some())
        || f.quic.as_ref().is_some_and(|q| q.sni.is_some());
    named && f.sip.is_none() && f.stun.is_none() && f.rtp.is_none() && !has(f, "dtls")
}

/// Flows and signaling grouped into would-be calls, before judging.
struct Grouping<'a> {
    signals: Vec<Signal<'a>>,
    index_of: HashMap<u64, usize>,
    /// Flows that carried signaling (by index): legs of its calls, never
    /// members of a component.
    carriers: Vec<bool>,
    /// Each component's member flows and signals (indices), in the order of
    /// their first packet.
    components: Vec<(Vec<usize>, Vec<usize>)>,
}

/// Groups the flows and dialogs: each SIP dialog is a call of its own; the
/// flows that carried its messages (and `known_carriers`, which carried
/// dialogs concluded earlier) never join calls together (a trunk carries
/// many). Media joins the dialog whose SDP announced its endpoint most
/// recently before it began.
fn group<'a>(
    flows: &'a [std::sync::Arc<FlowRecord>],
    dialogs: &'a [std::sync::Arc<DialogRecord>],
    known_carriers: &hashbrown::HashSet<u64>,
) -> Grouping<'a> {
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
    let mut carriers: Vec<bool> = flows
        .iter()
        .map(|f| known_carriers.contains(&f.id))
        .collect();
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
    // Identifiers (Call-IDs, ICE usernames, addresses) join flows of
    // about the same time only: reused later, they name another session.
    let near = |i: usize, j: usize| near(&flows[i], &flows[j]);
    let mut by_call_id: HashMap<&str, usize> = HashMap::new();
    let mut by_endpoint: HashMap<SocketAddr, Vec<usize>> = HashMap::new();
    let mut by_ufrag_pair: HashMap<(String, String), usize> = HashMap::new();
    let mut by_ufrag: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_pair: HashMap<(SocketAddr, SocketAddr), Vec<usize>> = HashMap::new();
    // An ICE agent gathers and checks from one local socket: UDP flows
    // with STUN from the same client address and port, at the same time,
    // are candidate pairs (a relay, a direct path) of one session. The
    // socket may be the server side of a pair whose far end sent the first
    // check; a TURN or STUN server's socket is never a client, so it joins
    // nothing.
    let mut by_ice_socket: HashMap<SocketAddr, Vec<usize>> = HashMap::new();
    for (i, f) in flows.iter().enumerate() {
        if carriers[i] {
            continue;
        }
        let same_pair = by_pair.entry((f.client, f.server)).or_default();
        if same_pair.len() < 8 {
            same_pair.push(i);
        }
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
                if let Some(j) = by_call_id.insert(id, i)
                    && near(i, j)
                {
                    uf.union(i, j);
                }
            }
        }
        if checks_connectivity(f) {
            let peers = by_ice_socket.entry(f.client).or_default();
            if peers.len() < 16 {
                peers.push(i);
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
                    if let Some(j) = by_ufrag_pair.insert(key, i)
                        && near(i, j)
                    {
                        uf.union(i, j);
                    }
                    for part in [a, b] {
                        let list = by_ufrag.entry(part).or_default();
                        if list.len() < 16 && list.last() != Some(&i) {
                            list.push(i);
                        }
                    }
                }
            }
        }
    }
    for (i, f) in flows.iter().enumerate() {
        if carriers[i] || !checks_connectivity(f) {
            continue;
        }
        for end in [f.client, f.server] {
            for &j in by_ice_socket.get(&end).into_iter().flatten() {
                let g = &flows[j];
                let overlap =
                    f.first_timestamp <= g.last_timestamp && g.first_timestamp <= f.last_timestamp;
                if j != i && overlap {
                    uf.union(i, j);
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
        for (sdp, announced) in signal.announcements() {
            for ufrag in sdp.media.iter().filter_map(|m| m.ice_ufrag.as_deref()) {
                for &j in by_ufrag.get(ufrag).into_iter().flatten() {
                    let f = &flows[j];
                    if f.first_timestamp.0 <= until.saturating_add(JOIN_SLACK)
                        && f.last_timestamp.0.saturating_add(JOIN_SLACK) >= announced.0
                    {
                        uf.union(n + k, j);
                    }
                }
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
                            .and_then(|l| l.iter().find(|&&j| near(i, j)))
                        {
                            uf.union(i, j);
                        }
                    }
                    let ufrag = m.ice_ufrag.as_deref().and_then(|u| by_ufrag.get(u));
                    for &j in ufrag.into_iter().flatten().filter(|&&j| near(i, j)) {
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
                let rtp = [(c, s), (s, c)]
                    .iter()
                    .flat_map(|pair| by_pair.get(pair).into_iter().flatten())
                    .find(|&&j| near(i, j))
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
                    if near(i, j) {
                        uf.union(i, j);
                    }
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
    Grouping {
        signals,
        index_of,
        carriers,
        components,
    }
}

/// Groups the flows into calls ([`group`]) and judges each, numbering them
/// from `first_id`. Encrypted web signaling is looked for among `web`
/// (the flows, or more of them when only some are judged).
#[allow(clippy::too_many_arguments)]
pub fn correlate(
    flows: &[std::sync::Arc<FlowRecord>],
    dialogs: &[std::sync::Arc<DialogRecord>],
    known_carriers: &hashbrown::HashSet<u64>,
    first_id: u64,
    web: &[std::sync::Arc<FlowRecord>],
    own_findings: &HashMap<u64, std::sync::Arc<[(FindingId, Evidence)]>>,
    judging: &Judging<'_>,
) -> Vec<Call> {
    let Grouping {
        signals,
        index_of,
        components,
        ..
    } = group(flows, dialogs, known_carriers);
    // Encrypted web signaling (HTTPS, WebSocket, QUIC) named by SNI: it is
    // attributed to a call whose relay or media server is the same vendor.
    let web_signaling: Vec<(String, &FlowRecord)> = web
        .iter()
        .filter(|f| web_signaling_candidate(f))
        .filter_map(|f| {
            let sni = f
                .tls
                .as_ref()
                .and_then(|t| t.sni.as_deref())
                .or_else(|| f.quic.as_ref().and_then(|q| q.sni.as_deref()))?;
            Some((judging.vendors.by_name(sni)?.name.clone(), &**f))
        })
        .collect();
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
        // Media: RTP, RTCP (a one-way capture may hold only the reports),
        // their keying (ZRTP, DTLS that keys a call), Zoom's media framing
        // (its hellos alone are not), or media a TURN relay carried inside
        // Send/Data indications or ChannelData.
        const MEDIA: [&str; 5] = ["rtp", "srtp", "rtcp", "srtcp", "zrtp"];
        let media = legs.iter().any(|f| {
            MEDIA.iter().any(|p| has(f, p))
                || keys_a_call(f)
                || f.markers.iter().any(|m| m.relayed_media)
                || f.zoom
                    .as_ref()
                    .is_some_and(|z| z.media_packets + z.rtcp_packets + z.opaque_packets > 0)
                || f.turn
                    .as_ref()
                    .is_some_and(|t| t.carried.iter().any(|p| MEDIA.contains(p) || *p == "dtls"))
        });
        let invite = !call_signals.is_empty()
            || legs.iter().any(|f| {
                f.sip
                    .as_ref()
                    .is_some_and(|s| s.requests.contains_key("INVITE"))
            });
        if !media && !invite {
            continue;
        }
        // What the call's own flows raised and what its dialogs show, in
        // the order of their packets. A flow that carried its dialogs
        // counts through them; other signaling (web) only with what this
        // call's signaling showed too.
        let from_dialogs: Vec<(FindingId, Evidence)> = call_dialogs
            .iter()
            .flat_map(|d| dialog_findings(d, judging.policy))
            .collect();
        let carries_dialogs = |f: &FlowRecord| call_dialogs.iter().any(|d| d.flows.contains(&f.id));
        let mut related: Vec<(FindingId, &Evidence)> = legs
            .iter()
            .filter(|f| !(signaling.contains(&f.id) && carries_dialogs(f)))
            .flat_map(|f| {
                let own = own_findings.get(&f.id).map_or(&[][..], |o| &o[..]);
                own.iter()
                    .filter(|(id, _)| {
                        !signaling.contains(&f.id) || substantiates(*id, &call_signals)
                    })
                    .map(|(id, ev)| (*id, ev))
            })
            .chain(from_dialogs.iter().map(|(id, ev)| (*id, ev)))
            .collect();
        related.sort_by_key(|(_, ev)| (ev.first_packet, ev.flow));
        calls.push(judge(
            first_id + calls.len() as u64,
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
            judging.policy,
            judging.vendors,
            judging.names,
            &web_signaling,
        ));
    }
    calls
}
