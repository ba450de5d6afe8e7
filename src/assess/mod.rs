//! Assessment: rules over flow records that yield the findings of the
//! catalogue, shaped by the policy and the vendor knowledge base. Records
//! arrive already redacted, one at a time as flows end, so findings never
//! hold a value redaction did not see. Call-relevant flows are held only
//! until their call settles and is concluded ([`Assessor::conclude_settled`]);
//! concluded calls past a few dozen are written out ([`calls::store`]).
//! Connections waiting for their servers' names (a line per server for
//! vendor attribution, messaging candidates) are named and let go at the
//! same looks, past `NAMES_AT` waiting. Memory does not grow with the
//! capture except for the findings (capped) and the sessions and vendors
//! found.

pub mod calls;
pub mod catalogue;
mod forks;
pub mod geo;
mod ledger;
pub mod model;
pub mod platform;
pub mod policy;
mod recording;
mod rules;
pub mod trackers;
mod tracking;
pub mod vendors;
pub mod wireless;

use crate::facts::{DialogRecord, DnsName, FlowRecord};
use catalogue::{FindingId, Severity, rule};
use hashbrown::HashMap;
use model::{Call, Evidence, Finding, MessagingSession, Summary, VendorSeen};
use platform::ServerNames;
use policy::Policy;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use vendors::{Baa, Vendors};

const MAX_EVIDENCE: usize = 32;
/// Server addresses waiting at once to be named by the capture's DNS
/// answers (at the next look, or the end).
const MAX_SERVER_LINES: usize = 20_000;
/// Flows listed as seen with each vendor.
const MAX_VENDOR_FLOWS: usize = 256;
/// Distinct findings kept; beyond, they are counted in the summary only, so
/// memory stays bounded on captures with very many problem flows.
const MAX_FINDINGS: usize = 5_000;

/// The findings one call flow raised, in the order raised, each with the
/// evidence of that flow.
type OwnFindings = std::sync::Arc<[(FindingId, Evidence)]>;

/// A flow's ends, kept for the first flow to each server address since
/// the last look (to name it by the capture's DNS answers) and for the
/// flows seen with a vendor (their platform finding's evidence).
#[derive(Clone)]
struct FlowLine {
    server: SocketAddr,
    client: SocketAddr,
    transport: crate::facts::Proto,
    /// Without its detail, made only for the few lines a finding cites.
    evidence: Evidence,
}

impl FlowLine {
    fn of(f: &FlowRecord) -> FlowLine {
        FlowLine {
            server: f.server,
            client: f.client,
            transport: f.transport,
            evidence: evidence(f, f.first_packet, f.last_packet, String::new()),
        }
    }

    /// The flow's evidence, its detail the flow's ends.
    fn evidence(&self) -> Evidence {
        Evidence {
            detail: format!("{} {} -> {}", self.transport, self.client, self.server),
            ..self.evidence.clone()
        }
    }
}

#[derive(Clone)]
pub struct Assessor {
    policy: Policy,
    vendors: Vendors,
    findings: Vec<Finding>,
    index: FindingIndex,
    vendors_seen: Vec<VendorSeen>,
    /// The first flow to each server address since the last look at the
    /// servers' names, until the capture's DNS answers so far name the
    /// address (`MAX_SERVER_LINES`), in the order observed. A list and a
    /// set rather than a map from address to line: a full map's table was
    /// 5 MB, a tenth of a long capture's heap.
    server_lines: Vec<FlowLine>,
    /// The server addresses of `server_lines`.
    servers_lined: hashbrown::HashSet<IpAddr>,
    /// Flows to servers past `MAX_SERVER_LINES` addresses: not named by DNS.
    servers_not_kept: u64,
    /// The flows listed with a vendor in `vendors_seen`.
    vendor_lines: HashMap<u64, FlowLine>,
    /// Flows that can belong to a call (signaling, ICE, relay, media).
    /// Shared, so a streaming look clones the assessment cheaply.
    call_flows: Vec<std::sync::Arc<FlowRecord>>,
    /// The findings each held call flow raised, each with the flow's own
    /// evidence: what its call is judged on, whether or not the report's
    /// list (`MAX_FINDINGS`, `MAX_EVIDENCE` each) had room for them.
    own_findings: HashMap<u64, OwnFindings>,
    /// The call flow being observed, and the findings it raised so far.
    raising: Option<(u64, Vec<(FindingId, Evidence)>)>,
    /// SIP dialogs that ended (or are running, in a snapshot): one call each.
    dialogs: Vec<std::sync::Arc<DialogRecord>>,
    /// Connections that may be messaging sessions (chat, push), until the
    /// next look at settled calls (or the end) adds them to `messaging`.
    messaging_flows: Vec<std::sync::Arc<FlowRecord>>,
    /// Such connections past `MAX_CALL_FLOWS` waiting at once, not kept.
    messaging_not_kept: u64,
    /// The messaging sessions of the connections added so far.
    messaging: platform::MessagingSessions,
    /// Names connections gave their servers (SNI, HTTP Host, certificate).
    server_names: ServerNames,
    /// Operator and country databases (`--geoip`).
    geo: std::sync::Arc<geo::GeoIp>,
    /// Findings past `MAX_FINDINGS`, counted by id.
    not_listed: BTreeMap<&'static str, u64>,
    /// Call-relevant flows past `MAX_CALL_FLOWS`, left out of correlation.
    calls_truncated: u64,
    /// Flows observed so far.
    observed: u64,
    /// The capture's wireless networks and clients (redacted), to place
    /// calls' devices on them.
    wireless: Option<std::sync::Arc<crate::facts::WirelessReport>>,
    /// Tracker hosts (built in, plus `--trackers`).
    trackers: std::sync::Arc<trackers::Trackers>,
    /// Flows' contacts with tracker hosts, tied to calls at the end.
    contacts: Vec<tracking::Contact>,
    /// Names answered with a CNAME to a tracker host: (name, target, evidence).
    cloaked: Vec<(String, String, Evidence)>,
    /// Calls concluded while the capture ran ([`Assessor::conclude_settled`]),
    /// their flows let go; past a few dozen, written out.
    concluded: calls::store::CallStore,
    /// What the end needs of each concluded call, so it reads none back.
    concluded_ledger: ledger::CallLedger,
    /// Signaling flows of concluded dialogs that were still running: when
    /// they end, they carried signaling and make no call of their own.
    known_carriers: hashbrown::HashSet<u64>,
    /// Call-relevant flows and dialogs held before settled calls are
    /// concluded during the capture.
    conclude_at: usize,
}

/// Call-relevant flows and dialogs held before the settled calls among
/// them are concluded and their flows let go: often enough that memory
/// stays flat, rarely enough that a short capture is judged in one go.
pub const CONCLUDE_AT: usize = 512;

const MAX_CALL_FLOWS: usize = 10_000;

/// Connections waiting for their servers' names (server lines, messaging
/// candidates) that a look at settled calls names with the DNS answers so
/// far and lets go: a capture that takes minutes holds a few thousand, not
/// every server it saw. On its own mark, not the calls': a look at the
/// calls changes no name.
const NAMES_AT: usize = 4_096;

/// Pushes onto a list that stops at `cap`, growing it by doubling from
/// one but never past `cap`: a full list of 20,000 holds 20,000, not the
/// 32,768 doubling would reserve, and a list of one holds one, not the
/// four a `Vec` starts with. Whether it was pushed.
fn push_capped<T>(list: &mut Vec<T>, value: T, cap: usize) -> bool {
    if list.len() >= cap {
        return false;
    }
    if list.len() == list.capacity() {
        list.reserve_exact(list.len().max(1).min(cap - list.len()));
    }
    list.push(value);
    true
}

/// The findings' positions by (id, subject), hashed from the findings
/// themselves: no subject is copied into a key (5,000 findings listed
/// would hold their subjects twice).
#[derive(Clone, Default)]
struct FindingIndex {
    positions: hashbrown::HashTable<usize>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl FindingIndex {
    fn of(findings: &[Finding]) -> FindingIndex {
        let mut index = FindingIndex::default();
        for i in 0..findings.len() {
            index.insert(findings, i);
        }
        index
    }

    fn hash(hasher: &hashbrown::DefaultHashBuilder, id: FindingId, subject: &str) -> u64 {
        use std::hash::BuildHasher;
        hasher.hash_one((id, subject))
    }

    /// The position in `findings` of (id, subject).
    fn get(&self, findings: &[Finding], id: FindingId, subject: &str) -> Option<usize> {
        let hash = Self::hash(&self.hasher, id, subject);
        self.positions
            .find(hash, |&i| {
                findings[i].id == id && findings[i].subject == subject
            })
            .copied()
    }

    /// Indexes `findings[i]`, which no other position holds.
    fn insert(&mut self, findings: &[Finding], i: usize) {
        let hasher = &self.hasher;
        let hash = Self::hash(hasher, findings[i].id, &findings[i].subject);
        self.positions.insert_unique(hash, i, |&j| {
            Self::hash(hasher, findings[j].id, &findings[j].subject)
        });
    }
}

/// The names each address was given by `dns`, in the answers' order.
fn addresses_named(dns: &[DnsName]) -> HashMap<IpAddr, Vec<&str>> {
    let mut by_address: HashMap<IpAddr, Vec<&str>> = HashMap::new();
    for n in dns {
        for a in n.addresses.iter().filter_map(|a| a.parse::<IpAddr>().ok()) {
            by_address.entry(a).or_default().push(&n.name);
        }
    }
    by_address
}

fn evidence(flow: &FlowRecord, first: u64, last: u64, detail: String) -> Evidence {
    Evidence {
        flow: flow.id,
        first_packet: first,
        last_packet: last,
        first_timestamp: flow.first_timestamp,
        last_timestamp: flow.last_timestamp,
        detail,
    }
}

impl Assessor {
    pub fn new(policy: Policy, vendors: Vendors) -> Assessor {
        Assessor {
            policy,
            vendors,
            findings: Vec::new(),
            index: FindingIndex::default(),
            vendors_seen: Vec::new(),
            server_lines: Vec::new(),
            servers_lined: Default::default(),
            servers_not_kept: 0,
            vendor_lines: HashMap::new(),
            call_flows: Vec::new(),
            own_findings: HashMap::new(),
            raising: None,
            dialogs: Vec::new(),
            messaging_flows: Vec::new(),
            messaging_not_kept: 0,
            messaging: Default::default(),
            server_names: ServerNames::default(),
            geo: Default::default(),
            not_listed: BTreeMap::new(),
            calls_truncated: 0,
            observed: 0,
            wireless: None,
            trackers: Default::default(),
            contacts: Vec::new(),
            cloaked: Vec::new(),
            concluded: Default::default(),
            concluded_ledger: Default::default(),
            known_carriers: Default::default(),
            conclude_at: CONCLUDE_AT,
        }
    }

    /// Renders each concluded call as it is written out, for the JSON
    /// report to copy ([`calls::store::CallStore::render_with`]), when
    /// given a renderer.
    pub fn with_rendered_calls(mut self, render: Option<calls::store::Renderer>) -> Assessor {
        if let Some(render) = render {
            self.concluded.render_with(render);
        }
        self
    }

    /// Concludes settled calls once `flows` call-relevant flows and dialogs
    /// are held (0: at every look; tests).
    pub fn with_conclude_at(mut self, flows: usize) -> Assessor {
        self.conclude_at = flows;
        self
    }

    /// Holds `calls` concluded calls in memory before writing them out
    /// (0: each as it comes; tests).
    pub fn with_calls_held(mut self, calls: usize) -> Assessor {
        self.concluded = calls::store::CallStore::with_hold(calls);
        self
    }

    /// Call-relevant flows and dialogs held for correlation.
    pub fn held(&self) -> usize {
        self.call_flows.len() + self.dialogs.len()
    }

    /// Whether holding this much calls for a look: at the settled calls,
    /// or at the servers of the connections waiting for their names.
    pub fn due(&self) -> bool {
        self.calls_due() || self.names_due()
    }

    fn calls_due(&self) -> bool {
        self.held() >= self.conclude_at.max(1) || self.contacts_filling()
    }

    /// Whether enough connections wait for their servers' names (server
    /// lines and messaging candidates, a few hundred bytes each) to look
    /// them up now.
    fn names_due(&self) -> bool {
        self.server_lines.len() + self.messaging_flows.len() >= NAMES_AT
    }

    /// Names the servers of the connections waiting for names with the
    /// DNS answers so far (`dns`: a platform's names among them) and lets
    /// the connections go: a platform's server reached joins
    /// `summary.vendors`, a messaging connection its session. As with the
    /// calls concluded while the capture runs, an answer that comes only
    /// after the look no longer names what the look let go.
    fn name_servers(&mut self, dns: &[DnsName]) {
        let lines = std::mem::take(&mut self.server_lines);
        self.servers_lined.clear();
        self.vendors_of_lines(lines, &addresses_named(dns));
        let servers: hashbrown::HashSet<IpAddr> =
            self.messaging_flows.iter().map(|f| f.server.ip()).collect();
        let mut names = self.server_names.of_servers(&servers);
        names.add_dns(dns, &self.vendors, |ip| servers.contains(&ip));
        self.add_messaging(&names);
    }

    /// Notes the platform of each line's server that `by_address` names,
    /// in the order the flows were seen (reports must not depend on a
    /// map's order).
    fn vendors_of_lines(
        &mut self,
        mut lines: Vec<FlowLine>,
        by_address: &HashMap<IpAddr, Vec<&str>>,
    ) {
        lines.sort_unstable_by_key(|l| l.evidence.flow);
        for line in &lines {
            let Some(names) = by_address.get(&line.server.ip()) else {
                continue;
            };
            for name in names {
                if let Some(v) = self.vendors.by_name(name).map(|v| v.name.clone()) {
                    let how = format!(
                        "address {} resolved from {name} (flow {})",
                        line.server.ip(),
                        line.evidence.flow
                    );
                    self.saw_vendor(&v, how, line);
                }
            }
        }
    }

    /// Adds the messaging connections waiting to their sessions, their
    /// servers named by `names`.
    fn add_messaging(&mut self, names: &ServerNames) {
        let mut flows = std::mem::take(&mut self.messaging_flows);
        flows.sort_by_key(|f| f.id);
        self.messaging
            .add(&flows, &self.vendors, names, MAX_CALL_FLOWS);
    }

    /// A copy to conclude calls on: the call-relevant flows and dialogs
    /// (shared), and of the findings only those with evidence in them or
    /// in the `running` flows, which are all a call draws on, and the
    /// relays', which a platform call may own; not the
    /// lines, contacts and calls concluded before, which concluding does
    /// not read. Copying those at every look would double the memory. Of
    /// the names the capture gave servers, those of `servers` only.
    fn look(&self, running: &[FlowRecord], servers: &hashbrown::HashSet<IpAddr>) -> Assessor {
        let flows: hashbrown::HashSet<u64> = self
            .call_flows
            .iter()
            .map(|f| f.id)
            .chain(running.iter().map(|f| f.id))
            .collect();
        let findings: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| {
                // A relay's finding is the relay address's, whichever
                // allocation showed it first: a platform call may own it.
                f.id == FindingId::RelayThirdParty
                    || f.evidence.iter().any(|e| flows.contains(&e.flow))
            })
            .cloned()
            .collect();
        let index = FindingIndex::of(&findings);
        Assessor {
            policy: self.policy.clone(),
            vendors: self.vendors.clone(),
            findings,
            index,
            vendors_seen: Vec::new(),
            server_lines: Vec::new(),
            servers_lined: Default::default(),
            servers_not_kept: 0,
            vendor_lines: HashMap::new(),
            call_flows: self.call_flows.clone(),
            own_findings: self.own_findings.clone(),
            raising: None,
            dialogs: self.dialogs.clone(),
            messaging_flows: Vec::new(),
            messaging_not_kept: 0,
            messaging: Default::default(),
            server_names: self.server_names.of_servers(servers),
            geo: self.geo.clone(),
            not_listed: BTreeMap::new(),
            calls_truncated: 0,
            observed: 0,
            wireless: None,
            trackers: self.trackers.clone(),
            contacts: Vec::new(),
            cloaked: Vec::new(),
            concluded: Default::default(),
            concluded_ledger: Default::default(),
            known_carriers: self.known_carriers.clone(),
            conclude_at: self.conclude_at,
        }
    }

    /// The servers of the call-relevant flows and of `running`: all that
    /// concluding the calls among them asks names of.
    fn call_servers(&self, running: &[FlowRecord]) -> hashbrown::HashSet<IpAddr> {
        self.call_flows
            .iter()
            .map(|f| &**f)
            .chain(running)
            .map(|f| f.server.ip())
            .collect()
    }

    /// Concludes the calls that have settled by `cutoff` (redacted `running`
    /// flows and `live` dialogs are looked at, not kept: they may still
    /// belong to a call) and lets go of the flows they were made of, so a
    /// capture of any length holds only the calls still open. A call is
    /// concluded as it would be at the end of the capture; the findings
    /// concluding it raises are kept. Nothing happens below the holding
    /// threshold.
    pub fn conclude_settled(
        &mut self,
        running: Vec<FlowRecord>,
        live: Vec<DialogRecord>,
        dns: &[DnsName],
        cutoff: crate::time::Timestamp,
    ) {
        if self.names_due() {
            self.name_servers(dns);
        }
        if !self.calls_due() {
            return;
        }
        // On a copy that has seen the running flows: a call's verdict draws
        // on their findings.
        let servers = self.call_servers(&running);
        let mut look = self.look(&running, &servers);
        for record in running {
            look.observe_owned(record);
        }
        for dialog in live {
            look.observe_dialog(dialog);
        }
        look.call_flows.sort_by_key(|f| f.id);
        look.dialogs.sort_by_key(|d| d.first_packet);
        let settled = calls::settled(
            &look.call_flows,
            &look.dialogs,
            &look.known_carriers,
            cutoff,
        );
        // Tracker contacts no call still open or yet to begin can have in
        // its window are tied to the calls concluded by now, here or below.
        let horizon = crate::time::Timestamp(
            settled
                .open_since
                .map_or(cutoff.0, |t| t.0.min(cutoff.0))
                .saturating_sub(calls::WEB_SIGNALING_SLACK),
        );
        if settled.released.is_empty() && settled.dialogs.is_empty() {
            self.settle_contacts(horizon);
            return;
        }
        let flows: Vec<std::sync::Arc<FlowRecord>> = look
            .call_flows
            .iter()
            .filter(|f| settled.flows.contains(&f.id))
            .cloned()
            .collect();
        let dialogs: Vec<std::sync::Arc<DialogRecord>> = settled
            .dialogs
            .iter()
            .map(|&i| look.dialogs[i].clone())
            .collect();
        let names = look.take_names(dns, |ip| servers.contains(&ip));
        let before: Vec<(usize, Severity)> = look
            .findings
            .iter()
            .map(|f| (f.evidence.len() + f.more_evidence as usize, f.severity))
            .collect();
        let first_id = self.concluded.len() as u64 + 1;
        let web = look.call_flows.clone();
        let calls = look.conclude_calls(&flows, &dialogs, first_id, &web, &names);
        // What concluding raised, raised here too.
        for (i, f) in look.findings.iter().enumerate() {
            let (seen, severity) = before.get(i).copied().unwrap_or((0, f.severity));
            let values: Vec<(&str, String)> = f
                .values
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            for ev in f.evidence.iter().skip(seen) {
                self.report(f.id, f.subject.clone(), &values, ev.clone());
            }
            // Values and severity concluding added to a finding.
            if let Some(j) = self.index.get(&self.findings, f.id, &f.subject) {
                let here = &mut self.findings[j];
                for (k, v) in &f.values {
                    here.values.insert_if_absent(k, || v.clone());
                }
                // Concluding may lower a finding the copy held (a relay is
                // the platform's own) or raise one; one it did not hold, it
                // only raises.
                if i < before.len() && f.severity != severity {
                    here.severity = f.severity;
                } else if i >= before.len() {
                    here.severity = here.severity.max(f.severity);
                }
            }
        }
        for call in calls {
            self.concluded_ledger.add(&call);
            self.concluded.push(call);
        }
        self.call_flows
            .retain(|f| !settled.released.contains(&f.id));
        self.own_findings
            .retain(|id, _| !settled.released.contains(id));
        self.dialogs
            .retain(|d| !dialogs.iter().any(|c| std::sync::Arc::ptr_eq(c, d)));
        self.known_carriers
            .retain(|id| !settled.released.contains(id));
        self.known_carriers.extend(settled.running_carriers);
        self.settle_contacts(horizon);
    }

    /// Gives servers their operator and country from these databases.
    pub fn with_geoip(mut self, geo: std::sync::Arc<geo::GeoIp>) -> Assessor {
        self.geo = geo;
        self
    }

    /// A call-relevant flow by id (`call_flows` is sorted by then).
    fn call_flow(&self, id: u64) -> Option<&FlowRecord> {
        let i = self.call_flows.binary_search_by_key(&id, |f| f.id).ok()?;
        Some(&self.call_flows[i])
    }

    /// Uses `trackers` instead of the built-in tracker list.
    pub fn with_trackers(mut self, trackers: std::sync::Arc<trackers::Trackers>) -> Assessor {
        self.trackers = trackers;
        self
    }

    /// Judges what follows by `policy` (a policy file re-read on SIGHUP).
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Adds evidence to the finding (id, subject), creating it if needed.
    fn report(&mut self, id: FindingId, subject: String, values: &[(&str, String)], ev: Evidence) {
        if self.policy.ignores(id) {
            return;
        }
        self.raised_by_call_flow(id, &ev);
        let i = match self.index.get(&self.findings, id, &subject) {
            Some(i) => i,
            None if self.findings.len() >= MAX_FINDINGS => {
                *self.not_listed.entry(id.name()).or_default() += 1;
                return;
            }
            None => {
                let r = rule(id);
                let finding = Finding {
                    id,
                    severity: self.policy.severity_of(id, r.severity),
                    default_severity: r.severity,
                    title: r.title,
                    subject,
                    explanation: r.explanation,
                    reference: r.reference,
                    remedy: r.remedy,
                    values: Default::default(),
                    evidence: Vec::new(),
                    more_evidence: 0,
                };
                // Below the cap: the arm above took the full list.
                push_capped(&mut self.findings, finding, MAX_FINDINGS);
                let i = self.findings.len() - 1;
                self.index.insert(&self.findings, i);
                i
            }
        };
        let f = &mut self.findings[i];
        for (k, v) in values {
            f.values.insert_if_absent(k, || v.clone());
        }
        // Most findings have one piece of evidence: room for one, not four.
        if !push_capped(&mut f.evidence, ev, MAX_EVIDENCE) {
            f.more_evidence += 1;
        }
    }

    /// Keeps a finding the call flow being observed raised, with its
    /// evidence, for the flow's call: whether the report lists it or not.
    fn raised_by_call_flow(&mut self, id: FindingId, ev: &Evidence) {
        if let Some((flow, raised)) = &mut self.raising
            && *flow == ev.flow
        {
            raised.push((id, ev.clone()));
        }
    }

    /// Raises the severity of the finding (id, subject) to at least
    /// `severity`, when the evidence makes it graver than the catalogue's
    /// default; a policy override of that id stands.
    fn raise(&mut self, id: FindingId, subject: &str, severity: Severity) {
        if let Some(f) = self.overridable(id, subject) {
            f.severity = f.severity.max(severity);
        }
    }

    /// Sets the severity of the finding (id, subject) from its evidence
    /// (a tracker's category); a policy override of that id stands.
    fn set_severity(&mut self, id: FindingId, subject: &str, severity: Severity) {
        if let Some(f) = self.overridable(id, subject) {
            f.severity = severity;
        }
    }

    /// The finding (id, subject), unless the policy fixes that id's severity.
    fn overridable(&mut self, id: FindingId, subject: &str) -> Option<&mut Finding> {
        if self.policy.severity.keys().any(|k| k.0 == id) {
            return None;
        }
        let i = self.index.get(&self.findings, id, subject)?;
        self.findings.get_mut(i)
    }

    /// Notes that the flow of `line` reached vendor `name`, and how it was
    /// recognised.
    fn saw_vendor(&mut self, name: &str, how: String, line: &FlowLine) {
        let flow = line.evidence.flow;
        let Some(v) = self.vendors.get(name) else {
            return;
        };
        let (vendor, baa) = (v.name.clone(), v.baa);
        let i = match self.vendors_seen.iter().position(|s| s.name == vendor) {
            Some(i) => i,
            None => {
                self.vendors_seen.push(VendorSeen {
                    allowed: self.policy.vendor_allowed(&vendor),
                    name: vendor,
                    baa,
                    seen_by: Vec::new(),
                    flows: Vec::new(),
                });
                self.vendors_seen.len() - 1
            }
        };
        let seen = &mut self.vendors_seen[i];
        if seen.seen_by.len() < 16 && !seen.seen_by.contains(&how) {
            seen.seen_by.push(how);
        }
        if seen.flows.len() < MAX_VENDOR_FLOWS && !seen.flows.contains(&flow) {
            seen.flows.push(flow);
            self.vendor_lines.insert(flow, line.clone());
        }
    }

    /// How many flows and dialogs have been observed: a change means new
    /// findings or calls may have appeared.
    pub fn observed(&self) -> u64 {
        self.observed
    }

    /// Keeps a (redacted) SIP dialog for correlation into its call.
    pub fn observe_dialog(&mut self, d: DialogRecord) {
        self.observed += 1;
        if self.dialogs.len() < MAX_CALL_FLOWS {
            self.dialogs.push(std::sync::Arc::new(d));
        } else {
            self.calls_truncated += 1;
        }
    }

    /// The capture's names for server addresses, taken out of the
    /// assessment: what connections said (SNI, Host, certificates) and the
    /// DNS answers so far, of the addresses `wanted` says yes to.
    fn take_names(&mut self, dns: &[DnsName], wanted: impl Fn(IpAddr) -> bool) -> ServerNames {
        let mut names = std::mem::take(&mut self.server_names);
        names.add_dns(dns, &self.vendors, wanted);
        names
    }

    /// Correlates `flows` and `dialogs` into calls numbered from
    /// `first_id` and concludes each: its servers placed, its platform's
    /// relays attributed, and the findings that belong to one call
    /// (a platform without a BAA carried it, a server terminated its
    /// media, it was recorded, mirrored or forked).
    fn conclude_calls(
        &mut self,
        flows: &[std::sync::Arc<FlowRecord>],
        dialogs: &[std::sync::Arc<DialogRecord>],
        first_id: u64,
        web: &[std::sync::Arc<FlowRecord>],
        names: &ServerNames,
    ) -> Vec<Call> {
        let judging = calls::Judging {
            policy: &self.policy,
            vendors: &self.vendors,
            names,
        };
        let mut calls = calls::correlate(
            flows,
            dialogs,
            &self.known_carriers,
            first_id,
            web,
            &self.own_findings,
            &judging,
        );
        self.place_servers(&mut calls);
        self.attribute_platform_relays(&mut calls, names);
        for call in &mut calls {
            let Some(p) = &call.platform else { continue };
            if p.baa != Baa::No || self.policy.vendor_allowed(&p.name) {
                continue;
            }
            let Some(mut ev) = p.evidence.first().cloned() else {
                continue;
            };
            ev.detail = format!("call {} on {}: {}", call.id, p.name, ev.detail);
            let values = [("vendor", p.name.clone()), ("baa", p.baa_statement.clone())];
            self.report(
                FindingId::VendorWithoutBaa,
                format!("call {}: {}", call.id, p.name),
                &values,
                ev,
            );
            if !call.findings.contains(&FindingId::VendorWithoutBaa) {
                call.findings.push(FindingId::VendorWithoutBaa);
            }
        }
        for call in &mut calls {
            let Some(server) = &call.server else { continue };
            let Some(leg) = call.legs.iter().find(|l| server.address == l.server) else {
                continue;
            };
            let Some(f) = self.call_flow(leg.flow) else {
                continue;
            };
            let mut values = vec![("server", server.address.clone())];
            if let Some(v) = &server.vendor {
                values.push(("vendor", v.clone()));
            }
            let ev = evidence(f, f.first_packet, f.last_packet, server.evidence.clone());
            call.findings.push(FindingId::MediaTerminatedByServer);
            self.report(
                FindingId::MediaTerminatedByServer,
                format!("call {}: {}", call.id, server.address),
                &values,
                ev,
            );
        }
        self.recording_findings(&mut calls);
        self.mirror_findings(&mut calls);
        self.fork_findings(&mut calls);
        calls
    }

    /// Ends the assessment: attributes server addresses to vendors through
    /// the capture's DNS answers, adds vendor-without-baa, orders findings.
    pub fn finish(self, dns: &[DnsName]) -> Assessment {
        self.finish_with(dns, true)
    }

    /// [`Assessor::finish`] for the calls still open only: the calls
    /// concluded before are left out (numbers go on after them), so a
    /// streaming look does not copy every call a long capture concluded
    /// ([`Assessor::concluded`] hands those out).
    pub fn finish_open(self, dns: &[DnsName]) -> Assessment {
        self.finish_with(dns, false)
    }

    /// Calls concluded while the capture ran, in the order concluded.
    pub fn concluded(&self) -> &calls::store::CallStore {
        &self.concluded
    }

    fn finish_with(mut self, dns: &[DnsName], with_concluded: bool) -> Assessment {
        let by_address = addresses_named(dns);
        // Relays allow-listed by the name they were reached by (DNS).
        for f in self
            .findings
            .iter_mut()
            .filter(|f| f.id == FindingId::RelayThirdParty && !f.values.contains_key("allowed_by"))
        {
            let Some(ip) = f
                .values
                .get("relay")
                .and_then(|r| r.parse::<SocketAddr>().ok())
                .map(|a| a.ip())
            else {
                continue;
            };
            let names: Vec<String> = by_address
                .get(&ip)
                .map(|n| n.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default();
            if names.is_empty() {
                continue;
            }
            f.values.insert("names".to_string(), names.join(", "));
            if let Some(rule) = self.policy.allowed_relay(Some(ip), None, &names) {
                f.values.insert("allowed_by".to_string(), rule.name.clone());
                f.severity = Severity::Info;
            }
        }
        let lines = std::mem::take(&mut self.server_lines);
        self.vendors_of_lines(lines, &by_address);
        self.call_flows.sort_by_key(|f| f.id);
        self.dialogs.sort_by_key(|d| d.first_packet);
        let names = self.take_names(dns, |_| true);
        let (flows, dialogs) = (self.call_flows.clone(), self.dialogs.clone());
        let first_id = self.concluded.len() as u64 + 1;
        let concluded_early = self.concluded.len();
        let (mut found_calls, mut ledger) = if with_concluded {
            (
                std::mem::take(&mut self.concluded),
                std::mem::take(&mut self.concluded_ledger),
            )
        } else {
            (self.concluded.empty_like(), ledger::CallLedger::default())
        };
        for call in self.conclude_calls(&flows, &dialogs, first_id, &flows, &names) {
            ledger.add(&call);
            found_calls.push(call);
        }
        self.add_messaging(&names);
        let sessions_not_kept = self.messaging.not_kept;
        let messaging = std::mem::take(&mut self.messaging).finish();
        let ledger::CallLedger {
            verdicts,
            platforms,
            mut spans,
        } = ledger;
        // A platform without a BAA that carried a call (each such call has
        // a finding of its own); one merely contacted (browsing, a CDN):
        // information. Whether the policy allows it is asked now: a
        // reloaded policy may have changed it.
        let mut carrying: Vec<String> = platforms
            .without_baa()
            .filter(|name| !self.policy.vendor_allowed(name))
            .map(str::to_string)
            .collect();
        for session in &messaging {
            let p = &session.platform;
            if p.baa != Baa::No || self.policy.vendor_allowed(&p.name) {
                continue;
            }
            if !carrying.contains(&p.name) {
                carrying.push(p.name.clone());
            }
            let Some(mut ev) = p.evidence.first().cloned() else {
                continue;
            };
            ev.detail = format!(
                "messaging session {} on {} ({} connections): {}",
                session.id,
                p.name,
                session.flows.len(),
                ev.detail
            );
            let values = [("vendor", p.name.clone()), ("baa", p.baa_statement.clone())];
            self.report(
                FindingId::VendorWithoutBaa,
                format!("messaging {}: {}", session.id, p.name),
                &values,
                ev,
            );
        }
        let without_baa: Vec<(String, Vec<u64>, Vec<String>)> = self
            .vendors_seen
            .iter()
            .filter(|v| v.baa == Baa::No && !v.allowed && !carrying.contains(&v.name))
            .map(|v| (v.name.clone(), v.flows.clone(), v.seen_by.clone()))
            .collect();
        let line_of = std::mem::take(&mut self.vendor_lines);
        for (name, flows, seen_by) in without_baa {
            let Some(vendor) = self.vendors.get(&name).cloned() else {
                continue;
            };
            for flow in flows {
                let Some(line) = line_of.get(&flow) else {
                    continue;
                };
                let mut ev = line.evidence();
                ev.detail = format!("{}; recognised by {}", ev.detail, seen_by.join("; "));
                self.report(
                    FindingId::PlatformContacted,
                    name.clone(),
                    &[("vendor", name.clone()), ("baa", vendor.note.clone())],
                    ev,
                );
            }
        }
        let spans = spans.sealed();
        self.wireless_calls(&mut found_calls, &spans);
        self.tracker_findings(&mut found_calls, &spans);
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.id.name().cmp(b.id.name()))
                .then(a.subject.cmp(&b.subject))
        });
        let mut counts: BTreeMap<String, u64> = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ]
        .iter()
        .map(|s| (s.name().to_string(), 0))
        .collect();
        for f in &self.findings {
            *counts.entry(f.severity.name().to_string()).or_default() += 1;
        }
        let platforms = platforms.finish(&messaging, &self.policy);
        let mut notes = Vec::new();
        if self.servers_not_kept > 0 {
            notes.push(format!(
                "{} flows went to servers past the first {MAX_SERVER_LINES} server addresses \
                 waiting at once to be looked up in the capture's DNS answers: those \
                 addresses were not looked up, so a \
                 vendor known only by a DNS name may be missing from summary.vendors \
                 (published address ranges, SNI and HTTP Host were still checked)",
                self.servers_not_kept
            ));
        }
        notes.extend(names.not_kept_note());
        if self.messaging_not_kept > 0 {
            notes.push(format!(
                "{} connections that may be messaging (chat, push) came after the first \
                 {MAX_CALL_FLOWS} waiting at once for their servers' names and were not \
                 kept: messaging sessions they began are missing from the report",
                self.messaging_not_kept
            ));
        }
        if sessions_not_kept > 0 {
            notes.push(format!(
                "{sessions_not_kept} messaging connections were of sessions past the first \
                 {MAX_CALL_FLOWS} (one per client and platform): those sessions are missing \
                 from the report"
            ));
        }
        Assessment {
            calls: found_calls,
            concluded_early,
            notes,
            messaging,
            findings: self.findings,
            summary: Summary {
                findings_by_severity: counts,
                findings_not_listed: self
                    .not_listed
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                flows_not_correlated: self.calls_truncated,
                verdicts,
                vendors: self.vendors_seen,
                platforms,
            },
        }
    }
}

/// What the assessment concluded, once every flow has been seen.
pub struct Assessment {
    pub calls: calls::store::CallStore,
    /// How many of the calls were concluded while the capture ran.
    pub concluded_early: usize,
    /// What the assessment could not do, for the capture's notes.
    pub notes: Vec<String>,
    pub messaging: Vec<MessagingSession>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

#[cfg(test)]
mod tests {
    use super::push_capped;

    #[test]
    fn a_capped_list_holds_its_cap_and_reserves_no_more() {
        let mut list = Vec::new();
        let pushed = (0..25_000)
            .filter(|&i| push_capped(&mut list, i, 20_000))
            .count();
        assert_eq!(pushed, 20_000);
        assert_eq!(list.len(), 20_000);
        assert_eq!(list.capacity(), 20_000);
        assert_eq!(list.last(), Some(&19_999));
    }
}
