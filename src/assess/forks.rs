//! Media forks: a call's RTP copied to an address the call never
//! negotiated (a recorder fed without SIPREC, an `rtp_forward`, a port
//! mirror to a remote box). A stream of a call and a stream of another flow
//! with the same SSRC and payload type, overlapping in time, whose
//! destination is not one of the call's endpoints, is a copy. Not a fork:
//! the call's own legs (an SFU's fan-out reaches participants), a
//! recording session's media (reported as `call-recorded`), the same host
//! on another port (RFC 7198 duplication). When the call's stream is
//! encrypted and the copy is not, the copy undid the encryption. Only a
//! call with visible signaling or ICE says what was negotiated. Must never
//! call a call's own legs a copy (a fork is an address no leg names).

use super::Assessor;
use super::catalogue::{FindingId, Severity};
use super::model::{Call, ReasoningStep, StepKind};
use crate::facts::{Encrypted, FlowRecord, RtpStream};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

/// A stream's endpoints: who sent it, to whom.
fn endpoints(f: &FlowRecord, s: &RtpStream) -> (SocketAddr, SocketAddr) {
    if s.direction == "client-to-server" {
        (f.client, f.server)
    } else {
        (f.server, f.client)
    }
}

/// A copy found: what the finding and the call's reasoning say of it
/// (kept instead of the flows, which the assessor still holds).
struct Fork {
    call: usize,
    ssrc: String,
    negotiated: SocketAddr,
    destination: SocketAddr,
    copy_flow: u64,
    copy_packets: u64,
    /// The call's stream's, then the copy's.
    encrypted: (Encrypted, Encrypted),
    evidence: super::model::Evidence,
}

impl Assessor {
    pub(super) fn fork_findings(&mut self, calls: &mut [Call]) {
        // Every stream of the call-relevant flows, by (SSRC, payload type).
        let mut by_key: HashMap<(&str, u8), Vec<(&FlowRecord, &RtpStream)>> = HashMap::new();
        for f in &self.call_flows {
            for s in f.rtp.iter().flat_map(|r| &r.streams) {
                by_key
                    .entry((s.ssrc.as_str(), s.payload_type))
                    .or_default()
                    .push((f, s));
            }
        }
        let recording_flows: HashSet<u64> = calls
            .iter()
            .filter(|c| {
                c.legs.iter().any(|l| {
                    self.call_flow(l.flow)
                        .is_some_and(|f| f.sip.as_ref().is_some_and(|s| s.recording.is_some()))
                })
            })
            .flat_map(|c| c.legs.iter().map(|l| l.flow))
            .collect();
        let mut found = Vec::new();
        for (ci, call) in calls.iter().enumerate() {
            // Only a call whose endpoints were negotiated (SIP, ICE) can
            // tell its own destination from a copy's.
            if call.kinds.iter().all(|k| *k == "media")
                || call.legs.iter().any(|l| recording_flows.contains(&l.flow))
            {
                continue;
            }
            let legs: HashSet<u64> = call.legs.iter().map(|l| l.flow).collect();
            let endpoints_of_call: HashSet<IpAddr> =
                super::model::CallLeg::addresses(&call.legs).collect();
            for leg in &call.legs {
                let Some(f) = self.call_flow(leg.flow) else {
                    continue;
                };
                for s in f.rtp.iter().flat_map(|r| &r.streams) {
                    let (_, negotiated) = endpoints(f, s);
                    let Some(others) = by_key.get(&(s.ssrc.as_str(), s.payload_type)) else {
                        continue;
                    };
                    for (g, copy) in others {
                        let (_, destination) = endpoints(g, copy);
                        let overlap = copy.first_timestamp <= s.last_timestamp
                            && copy.last_timestamp >= s.first_timestamp;
                        if legs.contains(&g.id)
                            || recording_flows.contains(&g.id)
                            || !overlap
                            || destination.ip() == negotiated.ip()
                            || endpoints_of_call.contains(&destination.ip())
                        {
                            continue;
                        }
                        let ev = super::evidence(
                            g,
                            copy.first_packet,
                            copy.last_packet,
                            format!(
                                "{} packets of SSRC {} to {destination}",
                                copy.packets, s.ssrc
                            ),
                        );
                        found.push(Fork {
                            call: ci,
                            ssrc: s.ssrc.clone(),
                            negotiated,
                            destination,
                            copy_flow: g.id,
                            copy_packets: copy.packets,
                            encrypted: (s.encrypted, copy.encrypted),
                            evidence: ev,
                        });
                    }
                }
            }
        }
        for fork in found {
            let Fork {
                call: ci,
                ssrc,
                negotiated,
                destination,
                copy_flow,
                copy_packets,
                encrypted: (stream_encrypted, copy_encrypted),
                evidence: ev,
            } = fork;
            let call = &mut calls[ci];
            let decrypted = stream_encrypted == Encrypted::Yes && copy_encrypted == Encrypted::No;
            let id = if decrypted {
                FindingId::MediaForkedDecrypted
            } else {
                FindingId::MediaForked
            };
            let subject = format!("call {}: SSRC {ssrc} to {destination}", call.id);
            self.report(
                id,
                subject.clone(),
                &[
                    ("ssrc", ssrc.clone()),
                    ("negotiated_destination", negotiated.to_string()),
                    ("copy_destination", destination.to_string()),
                    ("copy_flow", copy_flow.to_string()),
                    ("copy_packets", copy_packets.to_string()),
                    ("call_stream_encrypted", stream_encrypted.name().to_string()),
                    ("copy_encrypted", copy_encrypted.name().to_string()),
                ],
                ev.clone(),
            );
            if decrypted {
                self.raise(id, &subject, Severity::Critical);
            }
            call.reasoning.push(ReasoningStep {
                step: format!(
                    "Media forked: SSRC {ssrc} of this call was also sent to {destination}, an address the call never negotiated (flow {copy_flow}){}",
                    if decrypted { ", decrypted" } else { "" }
                ),
                evidence: vec![ev],
                kind: StepKind::Reason,
            });
            if !call.findings.contains(&id) {
                call.findings.push(id);
            }
        }
    }
}
