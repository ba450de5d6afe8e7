//! The tracker rules: a DNS query, TLS or QUIC server name, or cleartext
//! HTTP request naming a tracker host (assess/trackers.rs) is a contact;
//! a contact by a call's device within the policy's window around the call
//! is `tracker-during-call` (the OCR bulletin's case), any other is
//! `tracker-outside-visit`, and a cleartext HTTP one is also
//! `tracker-cleartext`. A call's own platform is never its tracker, and a
//! multi-purpose host of a platform outside any call is that platform's
//! product, not tracking.
//! Contacts are tied to calls once no call still open or yet to come can
//! have them in its window (at each look at the settled calls, and at the
//! end), so those held span the calls still open, not the capture.
//! Works on redacted records; holds at most `MAX_CONTACTS` contacts.

use super::catalogue::{FindingId, Severity};
use super::model::{Evidence, ReasoningStep, StepKind};
use super::trackers::Confidence;
use super::{Assessor, evidence};
use crate::facts::FlowRecord;
use hashbrown::HashMap;
use std::net::IpAddr;

const MAX_CONTACTS: usize = 10_000;

/// One flow's contact with a tracker host.
#[derive(Debug, Clone)]
pub(super) struct Contact {
    host: String,
    tracker: usize,
    /// `dns`, `tls`, `quic` or `http`.
    via: &'static str,
    device: IpAddr,
    evidence: Evidence,
    /// A cleartext HTTP request: method and path (query strings are never kept).
    request: Option<String>,
    /// The platform (vendor list) the host also belongs to, if any.
    vendor: Option<String>,
}

impl Assessor {
    /// Notes the tracker hosts a finished flow names.
    pub(super) fn observe_trackers(&mut self, f: &FlowRecord) {
        let mut names: Vec<(&str, &'static str, u64, Option<String>)> = Vec::new();
        for q in f.dns.iter().flat_map(|d| &d.queries) {
            names.push((&q.name, "dns", q.packet, None));
        }
        if let Some(sni) = f.tls.as_ref().and_then(|t| t.sni.as_deref()) {
            names.push((sni, "tls", f.first_packet, None));
        }
        if let Some(sni) = f.quic.as_ref().and_then(|q| q.sni.as_deref()) {
            names.push((sni, "quic", f.first_packet, None));
        }
        for r in f.http.iter().flat_map(|h| &h.requests) {
            if let Some(host) = r.host.as_deref() {
                let host = host.split(':').next().unwrap_or(host);
                names.push((
                    host,
                    "http",
                    r.packet,
                    Some(format!("{} {}", r.method, r.path)),
                ));
            }
        }
        // First-party cloaking: a name of the site's own domain whose DNS
        // answer is a CNAME to a tracker host.
        for a in f.dns.iter().flat_map(|d| &d.answers) {
            if !a.kind.eq_ignore_ascii_case("CNAME") {
                continue;
            }
            let target = a.data.trim_end_matches('.');
            if self.trackers.index_of(target).is_some() && self.trackers.index_of(&a.name).is_none()
            {
                if self.cloaked.len() >= MAX_CONTACTS {
                    *self.not_listed.entry("tracker-cname-cloaked").or_default() += 1;
                    continue;
                }
                let detail = format!("{} is a CNAME of {target}", a.name);
                self.cloaked.push((
                    a.name.to_ascii_lowercase(),
                    target.to_ascii_lowercase(),
                    evidence(f, a.packet, a.packet, detail),
                ));
            }
        }
        for (host, via, packet, request) in names {
            let Some(tracker) = self.trackers.index_of(host) else {
                continue;
            };
            let vendor = self.vendors.by_name(host).map(|v| v.name.clone());
            if self.contacts.len() >= MAX_CONTACTS {
                *self.not_listed.entry("tracker-contacts").or_default() += 1;
                continue;
            }
            let detail = format!("{via} names {host}");
            self.contacts.push(Contact {
                host: host.to_ascii_lowercase(),
                tracker,
                via,
                device: f.client.ip(),
                evidence: evidence(f, packet, packet, detail),
                request,
                vendor,
            });
        }
    }

    /// Whether the tracker contacts held fill half their cap: a look at the
    /// settled calls then ties those it can, however few calls are held.
    pub(super) fn contacts_filling(&self) -> bool {
        self.contacts.len() >= MAX_CONTACTS / 2
    }

    /// How long before or after a call a contact is tied to it (policy
    /// `trackers.window_seconds`), in nanoseconds.
    fn tracker_window(&self) -> i64 {
        i64::from(self.policy.trackers.window_seconds) * 1_000_000_000
    }

    /// Ties the contacts no call still open (or yet to begin, at or after
    /// `horizon`) can have in its window to the calls concluded so far,
    /// and reports them: what is held is the contacts around open calls.
    pub(super) fn settle_contacts(&mut self, horizon: crate::time::Timestamp) {
        let window = self.tracker_window();
        let (settled, open): (Vec<Contact>, Vec<Contact>) = std::mem::take(&mut self.contacts)
            .into_iter()
            .partition(|c| c.evidence.first_timestamp.0.saturating_add(window) < horizon.0);
        self.contacts = open;
        if settled.is_empty() {
            return;
        }
        let mut spans = std::mem::take(&mut self.concluded_ledger.spans);
        let mut calls = std::mem::take(&mut self.concluded);
        self.tie_contacts(settled, &mut calls, &spans.sealed());
        self.concluded = calls;
        self.concluded_ledger.spans = spans;
    }

    /// Ties each contact left to the calls its device took part in within
    /// the window, and reports them; reports first-party cloaking.
    pub(super) fn tracker_findings(
        &mut self,
        calls: &mut super::calls::store::CallStore,
        spans: &SealedSpans<'_>,
    ) {
        for (name, target, ev) in std::mem::take(&mut self.cloaked) {
            let t = self.trackers.by_host(&target).cloned();
            let mut values = vec![("name", name.clone()), ("cname_target", target.clone())];
            if let Some(t) = t {
                values.push(("organization", t.org));
                values.push(("category", t.category.name().to_string()));
            }
            self.report(FindingId::TrackerCnameCloaked, name, &values, ev);
        }
        let contacts = std::mem::take(&mut self.contacts);
        self.tie_contacts(contacts, calls, spans);
    }

    fn tie_contacts(
        &mut self,
        contacts: Vec<Contact>,
        calls: &mut super::calls::store::CallStore,
        spans: &SealedSpans<'_>,
    ) {
        let window = self.tracker_window();
        if contacts.is_empty() {
            return;
        }
        // Per call (by position), the tracker steps it gets, in contact order.
        let mut steps: HashMap<usize, Vec<ReasoningStep>> = HashMap::new();
        for c in &contacts {
            let t = self.trackers.get(c.tracker).clone();
            let at = c.evidence.first_timestamp;
            let base = t.category.severity();
            // A host that also serves the vendor's product is one step less sure.
            let severity = match t.confidence {
                Confidence::Dedicated => base,
                Confidence::MultiPurpose => lower(base),
            };
            let values = |extra: Vec<(&'static str, String)>| -> Vec<(&'static str, String)> {
                let mut v = vec![
                    ("host", c.host.clone()),
                    ("organization", t.org.clone()),
                    ("product", t.product.clone()),
                    ("category", t.category.name().to_string()),
                    (
                        "confidence",
                        match t.confidence {
                            Confidence::Dedicated => "dedicated".into(),
                            Confidence::MultiPurpose => "multi-purpose".into(),
                        },
                    ),
                    ("seen_in", c.via.to_string()),
                    ("device", c.device.to_string()),
                ];
                v.extend(extra);
                v
            };
            if let Some(request) = &c.request {
                let subject = format!("{} {}", c.host, request);
                self.report(
                    FindingId::TrackerCleartext,
                    subject,
                    &values(vec![("request", request.clone())]),
                    c.evidence.clone(),
                );
            }
            let mut during = false;
            for ci in spans.calls_with(c.device) {
                let call = spans.span(ci);
                let in_window = at.0 >= call.start.0 - window && at.0 <= call.end.0 + window;
                // The call's own platform is not tracking its call.
                let own_platform =
                    c.vendor.is_some() && spans.platform(call) == c.vendor.as_deref();
                if !in_window || own_platform {
                    continue;
                }
                during = true;
                let offset = (at.0 - call.start.0) / 1_000_000_000;
                let when = if at.0 < call.start.0 {
                    format!("{} s before the call started", -offset)
                } else if at.0 <= call.end.0 {
                    format!("{offset} s into the call")
                } else {
                    format!(
                        "{} s after the call ended",
                        (at.0 - call.end.0) / 1_000_000_000
                    )
                };
                let subject = format!("call {}: {}", call.id, c.host);
                self.report(
                    FindingId::TrackerDuringCall,
                    subject.clone(),
                    &values(vec![("call", call.id.to_string()), ("when", when.clone())]),
                    c.evidence.clone(),
                );
                self.set_severity(FindingId::TrackerDuringCall, &subject, severity);
                steps.entry(ci).or_default().push(ReasoningStep {
                    step: format!(
                        "Tracker {} ({} {}, {}) contacted by device {}, {when}",
                        c.host,
                        t.org,
                        t.product,
                        t.category.name(),
                        c.device
                    ),
                    evidence: vec![c.evidence.clone()],
                    kind: StepKind::Reason,
                });
            }
            // Outside any call, a multi-purpose host of a platform is that
            // platform's product (platform-contacted covers it), not tracking.
            let platform_product = c.vendor.is_some() && t.confidence == Confidence::MultiPurpose;
            if !during && !platform_product {
                self.report(
                    FindingId::TrackerOutsideVisit,
                    c.host.clone(),
                    &values(Vec::new()),
                    c.evidence.clone(),
                );
            }
        }
        // Only the calls that get something are read back.
        let mut steps: Vec<(usize, Vec<ReasoningStep>)> = steps.into_iter().collect();
        steps.sort_unstable_by_key(|(position, _)| *position);
        for (position, steps) in steps {
            calls.add_to(position, |call| {
                if !call.findings.contains(&FindingId::TrackerDuringCall) {
                    call.findings.push(FindingId::TrackerDuringCall);
                }
                for step in steps {
                    let shown = call
                        .reasoning
                        .iter()
                        .filter(|s| s.step.starts_with("Tracker "))
                        .count();
                    if shown < 8 {
                        call.reasoning.push(step);
                    }
                }
            });
        }
    }
}

/// What tying trackers to calls reads of each call, gathered as each is
/// concluded (the assessment's call ledger; most calls of a long capture
/// are written out by the end): when each ran, its platform, and the
/// devices in it. A few dozen bytes a call: calls are concluded by the
/// ten thousand on a long capture.
#[derive(Clone, Default)]
pub(super) struct CallSpans {
    spans: Vec<CallSpan>,
    /// The platforms' names the spans refer to (a handful per capture).
    platforms: Vec<String>,
    /// (device, call position) for each device of each call, in the order
    /// added; sorted once all calls are in ([`CallSpans::sealed`]).
    /// Positions past `u32::MAX` (four billion calls) keep no devices.
    devices: Vec<(IpAddr, u32)>,
}

impl CallSpans {
    /// Adds the next call in the store's order.
    pub(super) fn add(&mut self, call: &super::model::Call) {
        let position = self.spans.len();
        let platform = call.platform.as_ref().map(|p| {
            match self.platforms.iter().position(|name| *name == p.name) {
                Some(i) => i,
                None => {
                    self.platforms.push(p.name.clone());
                    self.platforms.len() - 1
                }
            }
        });
        self.spans.push(CallSpan {
            id: call.id,
            start: call.start,
            end: call.end,
            platform,
        });
        let Ok(position) = u32::try_from(position) else {
            return;
        };
        // Each device once: a call's legs name the same ends many times.
        let first = self.devices.len();
        for ip in super::model::CallLeg::addresses(&call.legs) {
            if !self.devices[first..].iter().any(|(d, _)| *d == ip) {
                self.devices.push((ip, position));
            }
        }
    }

    /// The spans of the calls so far, their devices sorted to be looked
    /// up (calls added later are sorted in at the next call).
    pub(super) fn sealed(&mut self) -> SealedSpans<'_> {
        self.devices.sort_unstable();
        self.devices.dedup();
        SealedSpans(self)
    }
}

/// [`CallSpans`] with their devices sorted: what tying trackers and Wi-Fi
/// to calls looks up.
pub(super) struct SealedSpans<'a>(&'a CallSpans);

impl SealedSpans<'_> {
    /// The calls (by position in the store, ascending) the device at `ip`
    /// took part in.
    pub(super) fn calls_with(&self, ip: IpAddr) -> impl Iterator<Item = usize> + '_ {
        let devices = &self.0.devices;
        let first = devices.partition_point(|(device, _)| *device < ip);
        devices[first..]
            .iter()
            .take_while(move |(device, _)| *device == ip)
            .map(|&(_, position)| position as usize)
    }

    fn span(&self, position: usize) -> &CallSpan {
        &self.0.spans[position]
    }

    fn platform(&self, span: &CallSpan) -> Option<&str> {
        span.platform.map(|i| self.0.platforms[i].as_str())
    }
}

/// What tying trackers to a call reads of it.
#[derive(Clone)]
struct CallSpan {
    id: u64,
    start: crate::time::Timestamp,
    end: crate::time::Timestamp,
    /// Index into [`CallSpans`]'s platform names.
    platform: Option<usize>,
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}
