//! What a streaming output has not written yet: the calls and findings
//! that settled since its last look ([`Session::settled`]), each handed
//! out once. A call is known by its dialog (trunk calls share every flow
//! of their signaling), else by its first flow (leaving out web
//! signaling, which may be attributed later); a finding by its id and
//! subject. Calls are numbered in the order they were handed out. The
//! JSON-lines writer and the per-period tables both use it; it must never
//! hand out a call or finding twice, nor change one beyond its number.

use crate::assess::catalogue::FindingId;
use crate::assess::model::{Call, Finding, LegRole};
use crate::flow::Timeouts;
use crate::session::{Analysis, Session};
use crate::time::Nanos;
use std::collections::HashSet;

pub struct NewlySettled {
    /// Capture time between looks.
    every: Nanos,
    last_look: Nanos,
    /// Whether the last look left calls or findings unsettled, and how many
    /// flows had ended by then: with neither, a new look finds nothing new.
    pending: bool,
    observed: u64,
    calls_sent: HashSet<String>,
    findings_sent: HashSet<(FindingId, String)>,
    numbered: u64,
    /// Calls concluded during the capture taken so far.
    concluded_taken: usize,
}

impl NewlySettled {
    /// Looks at most once per a quarter of the UDP idle timeout (at least
    /// a second) of capture time: settling takes that long anyway.
    pub fn new(timeouts: Timeouts) -> NewlySettled {
        NewlySettled {
            every: (timeouts.udp / 4).max(1_000_000_000),
            last_look: 0,
            pending: false,
            observed: 0,
            calls_sent: HashSet::new(),
            findings_sent: HashSet::new(),
            numbered: 0,
            concluded_taken: 0,
        }
    }

    /// What settled since the last look, if it is time to look.
    pub fn look(&mut self, session: &Session) -> Option<(Vec<Call>, Vec<Finding>)> {
        let now = session.clock();
        if now - self.last_look < self.every {
            return None;
        }
        self.last_look = now;
        let observed = session.flows_observed();
        if !self.pending && observed == self.observed {
            return None;
        }
        self.observed = observed;
        // The calls concluded since the last look (settled, and no longer
        // among the calls still open), then those that settled since.
        let mut calls = session.concluded_calls(self.concluded_taken);
        self.concluded_taken += calls.len();
        let (open, findings, pending) = session.settled();
        calls.extend(open);
        self.pending = pending;
        Some(self.fresh(calls, &findings))
    }

    /// Every call and finding of the finished report not handed out yet.
    pub fn rest(&mut self, analysis: &Analysis) -> (Vec<Call>, Vec<Finding>) {
        let report = &analysis.report;
        let calls = report.calls.iter().map(std::borrow::Cow::into_owned);
        self.fresh(calls, &report.findings)
    }

    fn fresh(
        &mut self,
        calls: impl IntoIterator<Item = Call>,
        findings: &[Finding],
    ) -> (Vec<Call>, Vec<Finding>) {
        let mut new_calls = Vec::new();
        for mut call in calls {
            let key = match call.sip_call_ids.first() {
                Some(id) => format!("sip {id}"),
                None => {
                    let first_flow = call
                        .legs
                        .iter()
                        .filter(|l| l.role != LegRole::SignalingEncrypted)
                        .map(|l| l.flow)
                        .min()
                        .unwrap_or(0);
                    format!("flow {first_flow}")
                }
            };
            if self.calls_sent.insert(key) {
                self.numbered += 1;
                call.id = self.numbered;
                new_calls.push(call);
            }
        }
        let new_findings = findings
            .iter()
            .filter(|f| self.findings_sent.insert((f.id, f.subject.clone())))
            .cloned()
            .collect();
        (new_calls, new_findings)
    }
}
