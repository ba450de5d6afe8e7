//! Which platform a set of flows belongs to, from the strongest signal in
//! them, and the messaging sessions (chat, push) the capture shows. Works
//! without any DNS or TLS handshake (captures start mid-call): wire
//! signatures only a platform's clients send come first; names the capture
//! gave a server elsewhere (a DNS answer, another connection's SNI, HTTP
//! Host or certificate) strengthen the attribution of later flows to it.
//! Must never guess: no signal, no platform.

use super::model::{Call, CallPlatform, Evidence, MessagingSession, PlatformConfidence};
use super::vendors::{Vendor, Vendors};
use crate::facts::{DnsName, FlowRecord, Proto};
use hashbrown::HashMap;
use std::net::IpAddr;

/// Server addresses kept with the names the capture gave them; beyond,
/// later names are not kept (memory stays bounded).
const MAX_NAMED_SERVERS: usize = 20_000;

/// A name the capture gave a server, and the platform it belongs to.
#[derive(Clone)]
struct ServerName {
    vendor: String,
    how: String,
    /// The flow that named it (none for DNS answers, which name addresses).
    flow: Option<u64>,
}

/// The names the capture gave each server address: the DNS answers, and
/// the SNI, HTTP Host or certificate of each connection to it, when the
/// name belongs to a platform.
#[derive(Clone, Default)]
pub struct ServerNames {
    by_address: HashMap<IpAddr, Vec<ServerName>>,
    /// Names of servers past `MAX_NAMED_SERVERS`, not kept.
    not_kept: u64,
}

impl ServerNames {
    /// Notes that `flow` named `server` by a name of `vendor` ("SNI x").
    pub fn note(&mut self, server: IpAddr, vendor: &str, how: String, flow: u64) {
        self.insert(server, vendor, how, Some(flow));
    }

    fn insert(&mut self, server: IpAddr, vendor: &str, how: String, flow: Option<u64>) {
        if self.by_address.len() >= MAX_NAMED_SERVERS && !self.by_address.contains_key(&server) {
            self.not_kept += 1;
            return;
        }
        let names = self.by_address.entry(server).or_default();
        if names.len() < 4 && !names.iter().any(|n| n.vendor == vendor) {
            names.push(ServerName {
                vendor: vendor.to_string(),
                how,
                flow,
            });
        }
    }

    /// Adds what the capture's DNS answers resolved to platform names, for
    /// the addresses `wanted` says yes to.
    pub fn add_dns(&mut self, dns: &[DnsName], vendors: &Vendors, wanted: impl Fn(IpAddr) -> bool) {
        for n in dns {
            let mut addresses = n
                .addresses
                .iter()
                .filter_map(|a| a.parse::<IpAddr>().ok())
                .filter(|a| wanted(*a))
                .peekable();
            if addresses.peek().is_none() {
                continue;
            }
            let Some(v) = vendors.by_name(&n.name) else {
                continue;
            };
            for a in addresses {
                self.insert(a, &v.name, format!("DNS answer {}", n.name), None);
            }
        }
    }

    /// The names of `servers` only: all a look at a few calls asks about,
    /// without copying every name the capture gave.
    pub fn of_servers(&self, servers: &hashbrown::HashSet<IpAddr>) -> ServerNames {
        ServerNames {
            by_address: servers
                .iter()
                .filter_map(|ip| Some((*ip, self.by_address.get(ip)?.clone())))
                .collect(),
            not_kept: 0,
        }
    }

    /// What the capture's notes say when servers' names were not kept.
    pub fn not_kept_note(&self) -> Option<String> {
        (self.not_kept > 0).then(|| {
            format!(
                "{} platform names of servers came after the first {MAX_NAMED_SERVERS} servers \
                 named and were not kept: calls and messaging sessions with those servers \
                 lack that signal of their platform",
                self.not_kept
            )
        })
    }

    fn of(&self, server: IpAddr) -> &[ServerName] {
        self.by_address.get(&server).map_or(&[], Vec::as_slice)
    }
}

/// The evidence of one flow, pointing at the packet that carried `detail`.
fn evidence_at(f: &FlowRecord, packet: u64, detail: String) -> Evidence {
    Evidence {
        flow: f.id,
        first_packet: packet,
        last_packet: f.last_packet,
        first_timestamp: f.first_timestamp,
        last_timestamp: f.last_timestamp,
        detail,
    }
}

/// The platform whose signals in `flows` are strongest: its own wire
/// markers, STUN types or attributes, media framing, TURN REALM, ALPN or
/// certificate (high); STUN SOFTWARE, a TLS/QUIC server name, a name the
/// capture gave the server elsewhere, its media servers' published address
/// and port (medium); a server in its published ranges (low). `web` are encrypted signaling connections attributed to
/// the call. Ties go to the signal seen first.
pub fn platform_of<'v>(
    flows: &[&FlowRecord],
    web: &[&FlowRecord],
    vendors: &'v Vendors,
    names: &ServerNames,
) -> Option<CallPlatform> {
    use PlatformConfidence::*;
    let mut signals: Vec<(PlatformConfidence, &'v Vendor, Evidence)> = Vec::new();
    let mut add = |confidence, vendor: Option<&'v Vendor>, f: &FlowRecord, packet, detail| {
        if let Some(v) = vendor {
            signals.push((confidence, v, evidence_at(f, packet, detail)));
        }
    };
    for f in flows.iter().chain(web).copied() {
        for m in &f.markers {
            let detail = format!("{} ({} packets) in flow {}", m.marker, m.packets, f.id);
            add(High, vendors.by_marker(m.marker), f, m.first_packet, detail);
        }
        if let Some(z) = &f.zoom {
            let what = match (z.p2p, z.media_packets + z.rtcp_packets > 0) {
                (true, true) => "Zoom P2P hello and media framing",
                (true, false) => "Zoom P2P hello",
                (false, true) => "Zoom media framing",
                (false, false) => "Zoom SFU hello (session id echoed)",
            };
            let detail = format!("{what} on UDP {} in flow {}", f.server.port(), f.id);
            add(High, vendors.get("Zoom"), f, z.first_packet, detail);
        }
        if let Some(s) = &f.stun {
            if let Some((v, what)) = vendors.by_stun(&s.unnamed_message_types, &s.attribute_types) {
                let detail = format!("{what} in flow {}", f.id);
                add(High, Some(v), f, s.first_packet, detail);
            }
            if let Some(realm) = &s.realm {
                let detail = format!("TURN REALM \"{realm}\" in flow {}", f.id);
                add(High, vendors.by_realm(realm), f, s.first_packet, detail);
            }
            for sw in &s.software {
                let detail = format!("STUN SOFTWARE \"{sw}\" in flow {}", f.id);
                add(Medium, vendors.by_software(sw), f, s.first_packet, detail);
            }
        }
        if let Some(t) = &f.tls {
            let hello = t.client_hello_packet.unwrap_or(f.first_packet);
            for alpn in &t.alpn {
                let detail = format!("ALPN {alpn} in flow {}", f.id);
                add(High, vendors.by_alpn(alpn), f, hello, detail);
            }
            if let Some(c) = &t.certificate {
                for name in c.names() {
                    let detail = format!("certificate {name} in flow {}", f.id);
                    add(High, vendors.by_certificate(name), f, c.packet, detail);
                }
            }
        }
        let sni = f
            .tls
            .as_ref()
            .and_then(|t| t.sni.as_deref())
            .or_else(|| f.quic.as_ref().and_then(|q| q.sni.as_deref()));
        if let Some(sni) = sni {
            let detail = format!("server name {sni} in flow {}", f.id);
            add(Medium, vendors.by_name(sni), f, f.first_packet, detail);
        }
        for n in names
            .of(f.server.ip())
            .iter()
            .filter(|n| n.flow != Some(f.id))
        {
            let by = n.flow.map(|id| format!(" (flow {id})")).unwrap_or_default();
            let detail = format!(
                "server {} of flow {} named by {}{by}",
                f.server.ip(),
                f.id,
                n.how
            );
            add(Medium, vendors.get(&n.vendor), f, f.first_packet, detail);
        }
        // The server's address in a vendor's published ranges: on its media
        // port, on its messaging port, or alone (only for ranges that are
        // the platform's own).
        let server = f.server;
        let by_range = [
            (
                Medium,
                vendors.by_media_server(server),
                "media server",
                "published media ranges and ports",
            ),
            (
                Low,
                vendors.by_messaging_server(server),
                "messaging server",
                "published ranges and ports",
            ),
            (
                Low,
                vendors.by_address(server.ip()),
                "server",
                "published ranges",
            ),
        ];
        for (confidence, vendor, role, ranges) in by_range {
            if vendor.is_some() {
                let detail = format!("{role} {server} in the platform's {ranges} (flow {})", f.id);
                add(confidence, vendor, f, f.first_packet, detail);
            }
        }
    }
    let best = signals.iter().map(|(c, _, _)| *c).max()?;
    let (_, vendor, _) = signals.iter().find(|(c, _, _)| *c == best)?;
    let mut ours: Vec<&(PlatformConfidence, &Vendor, Evidence)> = signals
        .iter()
        .filter(|(_, v, _)| v.name == vendor.name)
        .collect();
    ours.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut evidence: Vec<Evidence> = Vec::new();
    for (_, _, ev) in ours {
        if evidence.len() < 8 && !evidence.iter().any(|e| e.detail == ev.detail) {
            evidence.push(ev.clone());
        }
    }
    Some(CallPlatform {
        name: vendor.name.clone(),
        operator: vendor.operator.clone(),
        baa: vendor.baa,
        baa_statement: vendor.note.clone(),
        baa_source: vendor.baa_source.clone(),
        confidence: best,
        evidence,
    })
}

/// Whether a flow may be a messaging connection: TCP to a port some
/// platform's messaging service uses, or opening the way one does.
pub fn may_be_messaging(f: &FlowRecord, vendors: &Vendors) -> bool {
    f.transport == Proto::Tcp
        && (vendors.messaging_port(f.server.port())
            || f.markers
                .iter()
                .any(|m| vendors.is_messaging_marker(m.marker))
            || f.tls.as_ref().is_some_and(|t| {
                t.alpn.iter().any(|a| vendors.is_messaging_alpn(a))
                    || t.sni
                        .as_deref()
                        .is_some_and(|s| vendors.is_messaging_name(s))
            }))
}

/// What a messaging candidate keeps of its flow: the addresses, times and
/// the signals [`platform_of`] and [`MessagingSessions`] read of a TCP
/// connection (wire markers; of the TLS handshake the server name, ALPN
/// and the certificate's names), nothing else: a long capture holds
/// thousands until a look adds them to their sessions.
pub fn messaging_view(f: &FlowRecord) -> FlowRecord {
    let tls = f.tls.as_ref().map(|t| {
        Box::new(crate::proto::tls::state::TlsDetail {
            sni: t.sni.clone(),
            alpn: t.alpn.clone(),
            client_hello_packet: t.client_hello_packet,
            certificate: t.certificate.as_ref().map(|c| {
                crate::proto::tls::state::CertificateDetail {
                    subject: String::new(),
                    common_name: c.common_name.clone(),
                    issuer: String::new(),
                    not_before: c.not_before,
                    not_after: c.not_after,
                    self_signed: c.self_signed,
                    dns_names: c.dns_names.clone(),
                    names_host: c.names_host,
                    packet: c.packet,
                }
            }),
            ..Default::default()
        })
    });
    FlowRecord {
        first_timestamp: f.first_timestamp,
        last_timestamp: f.last_timestamp,
        first_packet: f.first_packet,
        last_packet: f.last_packet,
        client_to_server: f.client_to_server,
        server_to_client: f.server_to_client,
        end: f.end,
        tls,
        markers: f.markers.clone(),
        ..FlowRecord::bare(f.id, f.transport, f.client, f.server)
    }
}

/// The messaging sessions the capture shows, gathered a batch of
/// connections (candidates by [`may_be_messaging`]) at a time: a
/// connection is one when its platform is named and it goes to that
/// platform's messaging port or opens as its messaging protocol does. The
/// connections of one client to one platform make one session. Holds the
/// sessions, never the connections: a long capture's candidates are let go
/// batch by batch.
#[derive(Clone, Default)]
pub struct MessagingSessions {
    /// Each session with its lowest flow id, which orders and numbers
    /// them at the end.
    sessions: Vec<(u64, MessagingSession)>,
    by_key: HashMap<(IpAddr, String), usize>,
    /// Connections of sessions past `cap`, not kept.
    pub not_kept: u64,
}

impl MessagingSessions {
    /// Adds `flows` (in order of id) to their sessions.
    pub fn add(
        &mut self,
        flows: &[std::sync::Arc<FlowRecord>],
        vendors: &Vendors,
        names: &ServerNames,
        cap: usize,
    ) {
        for f in flows {
            let Some(platform) = platform_of(&[f], &[], vendors, names) else {
                continue;
            };
            let Some(vendor) = vendors.get(&platform.name) else {
                continue;
            };
            let opens_as_messaging = f
                .markers
                .iter()
                .any(|m| vendor.messaging_markers.iter().any(|k| k == m.marker))
                || f.tls.as_ref().is_some_and(|t| {
                    t.alpn
                        .iter()
                        .any(|a| vendor.messaging_alpn.iter().any(|k| k == a))
                        || t.sni.as_deref().is_some_and(|s| vendor.names_messaging(s))
                });
            if !opens_as_messaging && !vendor.messaging_ports.contains(&f.server.port()) {
                continue;
            }
            let server = f.server.to_string();
            let key = (f.client.ip(), platform.name.clone());
            match self.by_key.get(&key) {
                Some(&i) => {
                    let (lowest, s) = &mut self.sessions[i];
                    *lowest = (*lowest).min(f.id);
                    s.start = s.start.min(f.first_timestamp);
                    s.end = s.end.max(f.last_timestamp);
                    if s.flows.len() < 256 {
                        s.flows.push(f.id);
                    }
                    if s.servers.len() < 16 && !s.servers.contains(&server) {
                        s.servers.push(server);
                    }
                    // The session's evidence stays strongest first.
                    if platform.confidence > s.platform.confidence {
                        s.platform.confidence = platform.confidence;
                        s.platform.evidence.splice(0..0, platform.evidence);
                    } else {
                        s.platform.evidence.extend(platform.evidence);
                    }
                    s.platform.evidence.truncate(8);
                }
                None if self.sessions.len() >= cap => self.not_kept += 1,
                None => {
                    self.by_key.insert(key, self.sessions.len());
                    self.sessions.push((
                        f.id,
                        MessagingSession {
                            id: 0,
                            kind: "messaging",
                            client: f.client.ip().to_string(),
                            servers: vec![server],
                            flows: vec![f.id],
                            start: f.first_timestamp,
                            end: f.last_timestamp,
                            platform,
                        },
                    ));
                }
            }
        }
    }

    /// The sessions in the order of their first connections, numbered
    /// from 1, each listing its connections in order.
    pub fn finish(self) -> Vec<MessagingSession> {
        let mut sessions = self.sessions;
        sessions.sort_by_key(|(lowest, _)| *lowest);
        sessions
            .into_iter()
            .zip(1..)
            .map(|((_, mut s), id)| {
                s.id = id;
                s.flows.sort_unstable();
                s
            })
            .collect()
    }
}

impl super::Assessor {
    /// A call's TURN relay whose own flow carries its platform's signal
    /// (WhatsApp's STUN types on the relay, Telegram's REALM) is that
    /// platform's relay, not an unknown third party: the relay names the
    /// platform, and `relay-third-party` for it becomes information (the
    /// platform's BAA status is the call's `vendor-without-baa`).
    pub(super) fn attribute_platform_relays(
        &mut self,
        calls: &mut [super::model::Call],
        names: &ServerNames,
    ) {
        use super::catalogue::{FindingId, Severity};
        use super::model::LegRole;
        for call in calls.iter_mut() {
            let Some(platform) = call.platform.as_ref().map(|p| p.name.clone()) else {
                continue;
            };
            let mut theirs: Vec<String> = Vec::new();
            for leg in call.legs.iter().filter(|l| l.role == LegRole::Relay) {
                let Some(f) = self.call_flow(leg.flow) else {
                    continue;
                };
                let own = platform_of(&[f], &[], &self.vendors, names).is_some_and(|p| {
                    p.name == platform && p.confidence == PlatformConfidence::High
                });
                if own {
                    theirs.push(leg.server.clone());
                }
            }
            if let Some(r) = &mut call.relay {
                if r.vendor.is_none() && theirs.contains(&r.address) {
                    r.vendor = Some(platform.clone());
                }
            }
            for f in self.findings.iter_mut().filter(|f| {
                f.id == FindingId::RelayThirdParty
                    && f.values.get("relay").is_some_and(|r| theirs.contains(r))
            }) {
                f.values.insert("platform".to_string(), platform.clone());
                if !f.values.contains_key("allowed_by") {
                    f.severity = Severity::Info;
                }
            }
        }
    }
}

/// The platforms that carried the calls and messaging sessions, in the
/// order first seen, with their relays and media servers: gathered call by
/// call as each is concluded (the assessment's call ledger), so the end
/// reads no call written out back for it.
#[derive(Clone, Default)]
pub struct PlatformsInUse {
    found: Vec<super::model::PlatformUse>,
}

impl PlatformsInUse {
    /// The entry of platform `p`, made when first seen.
    fn entry(&mut self, p: &CallPlatform) -> &mut super::model::PlatformUse {
        let i = match self.found.iter().position(|u| u.name == p.name) {
            Some(i) => i,
            None => {
                self.found.push(super::model::PlatformUse {
                    name: p.name.clone(),
                    operator: p.operator.clone(),
                    baa: p.baa,
                    baa_statement: p.baa_statement.clone(),
                    allowed: false,
                    calls: Vec::new(),
                    messaging_sessions: Vec::new(),
                    servers: Vec::new(),
                });
                self.found.len() - 1
            }
        };
        &mut self.found[i]
    }

    pub fn add_call(&mut self, call: &Call) {
        let Some(p) = &call.platform else { return };
        let used = self.entry(p);
        used.calls.push(call.id);
        let relay = call
            .relay
            .as_ref()
            .map(|r| ("relay", r.address.clone(), r.location.clone()));
        let server = call
            .server
            .as_ref()
            .map(|s| ("media-server", s.address.clone(), s.location.clone()));
        for (role, address, location) in relay.into_iter().chain(server) {
            let servers = &mut used.servers;
            if servers.len() < 32 && !servers.iter().any(|s| s.address == address) {
                servers.push(super::model::PlatformServer {
                    address,
                    role,
                    location,
                });
            }
        }
    }

    /// The platforms without a BAA that carried a call, so far (before
    /// [`PlatformsInUse::finish`] adds the messaging sessions, every
    /// platform here carried one).
    pub fn without_baa(&self) -> impl Iterator<Item = &str> {
        self.found
            .iter()
            .filter(|used| used.baa == super::vendors::Baa::No && !used.calls.is_empty())
            .map(|used| used.name.as_str())
    }

    /// Adds the messaging sessions, after every call, and whether the
    /// policy allows each platform.
    pub fn finish(
        mut self,
        messaging: &[MessagingSession],
        policy: &super::policy::Policy,
    ) -> Vec<super::model::PlatformUse> {
        for s in messaging {
            self.entry(&s.platform).messaging_sessions.push(s.id);
        }
        for used in &mut self.found {
            used.allowed = policy.vendor_allowed(&used.name);
        }
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A push connection from `client` to Apple's APNs port: FaceTime /
    /// iMessage by its published range and messaging port.
    fn push(id: u64, client: [u8; 4], at_seconds: i64) -> Arc<FlowRecord> {
        let at = crate::time::Timestamp(at_seconds * 1_000_000_000);
        Arc::new(FlowRecord {
            first_timestamp: at,
            last_timestamp: at,
            first_packet: id,
            last_packet: id,
            ..FlowRecord::bare(
                id,
                Proto::Tcp,
                std::net::SocketAddr::from((client, 50_000)),
                std::net::SocketAddr::from(([17, 1, 2, 3], 5_223)),
            )
        })
    }

    /// Batches added at different looks make the sessions one batch would:
    /// numbered by their first connections (a long connection that ended
    /// later has a lower id), each listing its connections in order and
    /// spanning all of them; sessions past the cap are counted.
    #[test]
    fn sessions_added_batch_by_batch_are_the_sessions_of_one_batch() {
        let vendors = Vendors::built_in();
        let names = ServerNames::default();
        let (a, b, c) = ([10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 0, 3]);
        let mut sessions = MessagingSessions::default();
        sessions.add(&[push(7, a, 70), push(8, a, 80)], &vendors, &names, 2);
        sessions.add(
            &[push(3, b, 30), push(5, a, 50), push(9, c, 90)],
            &vendors,
            &names,
            2,
        );
        assert_eq!(sessions.not_kept, 1, "c's session is past the cap of 2");
        let sessions = sessions.finish();
        let got: Vec<(u64, &str, &[u64])> = sessions
            .iter()
            .map(|s| (s.id, s.client.as_str(), s.flows.as_slice()))
            .collect();
        assert_eq!(
            got,
            [(1, "10.0.0.2", &[3][..]), (2, "10.0.0.1", &[5, 7, 8][..])]
        );
        assert_eq!(sessions[1].start, crate::time::Timestamp(50_000_000_000));
        assert_eq!(sessions[1].end, crate::time::Timestamp(80_000_000_000));
        assert!(
            sessions
                .iter()
                .all(|s| s.platform.name == "FaceTime / iMessage")
        );
    }
}
