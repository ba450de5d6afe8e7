//! Recorded and mirrored calls: a SIPREC recording session (RFC 7866) is a call of its
//! own, to the recording server; here it is tied to the call it records
//! (the metadata's Call-IDs, else its participants' addresses of record
//! against the calls' SIP identities) and reported: `call-recorded`,
//! `recording-metadata-cleartext`, `recording-media-cleartext`. Platforms
//! that record in their cloud leave no trace on the wire: their calls say
//! so in `cannot_show`. Reads redacted records only (the metadata's AoRs
//! map to the same pseudonyms as the SIP headers they match). Signaling
//! mirrored to a monitoring collector (HEP3) is tied to the calls whose
//! Call-IDs it carries: `signaling-mirrored`, `hep-auth-key-cleartext`.

use super::catalogue::{FindingId, Severity};
use super::model::{Call, Evidence, ReasoningStep, StepKind};
use super::{Assessor, evidence};
use crate::facts::Encrypted;
use crate::proto::sip::siprec::RecordingDetail;
use std::net::SocketAddr;

/// Platforms whose recordings are made on their servers.
const CLOUD_RECORDING: [&str; 4] = ["Zoom", "Microsoft Teams", "Google Meet", "Webex"];

impl Assessor {
    pub(super) fn recording_findings(&mut self, calls: &mut [Call]) {
        for call in calls.iter_mut() {
            if call
                .platform
                .as_ref()
                .is_some_and(|p| CLOUD_RECORDING.contains(&p.name.as_str()))
            {
                call.cannot_show.push(
                    "Platform cloud recording happens on the vendor's servers and leaves no trace in a network capture; check the meeting's recording settings and the BAA".into(),
                );
            }
        }
        // Each recording session: the call it is, its SIP flow, its metadata.
        let mut sessions: Vec<(usize, RecordingDetail, Evidence, SocketAddr)> = Vec::new();
        for (i, call) in calls.iter().enumerate() {
            for leg in &call.legs {
                let Some(f) = self.call_flow(leg.flow) else {
                    continue;
                };
                // The call's own dialog on this flow says whether it is a
                // recording session; a flow carries many (a recording
                // client keeps its connection to the server), and its own
                // facts hold the first only.
                let own = call
                    .dialogs
                    .iter()
                    .filter(|d| d.flows.contains(&f.id))
                    .find_map(|d| d.recording.as_ref());
                let first_on_flow = || {
                    f.sip
                        .as_ref()
                        .and_then(|s| s.recording.as_ref())
                        .filter(|r| {
                            r.call_id
                                .as_ref()
                                .is_none_or(|id| call.sip_call_ids.contains(id))
                        })
                };
                let Some(r) = own.or_else(first_on_flow) else {
                    continue;
                };
                let ev = evidence(
                    f,
                    r.packet,
                    f.last_packet,
                    format!("SIPREC signals: {}", r.signals.join(", ")),
                );
                sessions.push((i, r.clone(), ev, f.server));
                break;
            }
        }
        for (rs, detail, ev, srs) in sessions {
            // The recorded call: named by Call-ID in the metadata, else by
            // a participant's address of record.
            let recorded = calls.iter().position(|c| {
                !std::ptr::eq(c, &calls[rs])
                    && (c
                        .sip_call_ids
                        .iter()
                        .any(|id| detail.recorded_call_ids.contains(id))
                        || detail
                            .aors
                            .iter()
                            .any(|aor| c.identities.iter().any(|i| i.contains(aor.as_str()))))
            });
            let how = match recorded {
                Some(cs)
                    if calls[cs]
                        .sip_call_ids
                        .iter()
                        .any(|id| detail.recorded_call_ids.contains(id)) =>
                {
                    "Call-ID in the metadata"
                }
                Some(_) => "a participant's address of record",
                None => "",
            };
            let outside = !self.policy.in_clinic(srs.ip());
            let subject = match recorded {
                Some(cs) => format!("call {}", calls[cs].id),
                None => format!("call {} (recording session)", calls[rs].id),
            };
            let mut values: Vec<(&'static str, String)> = vec![
                ("recording_session", format!("call {}", calls[rs].id)),
                ("recording_server", srs.to_string()),
                ("signals", detail.signals.join(", ")),
                ("recorder_outside_clinic", outside.to_string()),
            ];
            if let Some(cs) = recorded {
                values.push(("linked_by", how.to_string()));
                values.push(("recorded_call", calls[cs].id.to_string()));
            }
            self.report(
                FindingId::CallRecorded,
                subject.clone(),
                &values,
                ev.clone(),
            );
            if outside {
                self.raise(FindingId::CallRecorded, &subject, Severity::High);
            }
            if detail.metadata_bytes > 0 {
                self.report(
                    FindingId::RecordingMetadataCleartext,
                    format!("call {}", calls[rs].id),
                    &[
                        ("participants_named", detail.aors.len().to_string()),
                        ("names", detail.names.join(", ")),
                        ("aors", detail.aors.join(", ")),
                        ("metadata_bytes", detail.metadata_bytes.to_string()),
                    ],
                    ev.clone(),
                );
            }
            let clear_media = calls[rs]
                .media
                .iter()
                .filter(|m| m.encrypted == Encrypted::No)
                .count();
            let recorded_encrypted = recorded.is_some_and(|cs| {
                !calls[cs].media.is_empty()
                    && calls[cs]
                        .media
                        .iter()
                        .all(|m| m.encrypted == Encrypted::Yes)
            });
            if clear_media > 0 {
                let subject = format!("call {}", calls[rs].id);
                self.report(
                    FindingId::RecordingMediaCleartext,
                    subject.clone(),
                    &[
                        ("streams", clear_media.to_string()),
                        ("recorded_call_encrypted", recorded_encrypted.to_string()),
                    ],
                    ev.clone(),
                );
                // The recording undoes the call's own encryption.
                if recorded_encrypted {
                    self.raise(
                        FindingId::RecordingMediaCleartext,
                        &subject,
                        Severity::Critical,
                    );
                }
            }
            // What the recorded call's own participants asked and were told.
            if let Some(cs) = recorded {
                let mut aware = None;
                let mut told_on = false;
                let mut opted_out = None;
                for leg in &calls[cs].legs {
                    let Some(a) = self
                        .call_flow(leg.flow)
                        .and_then(|f| f.sip.as_ref())
                        .map(|s| s.recording_awareness.clone())
                    else {
                        continue;
                    };
                    aware = aware.or(a.record_aware_packet);
                    told_on |= a.record.iter().any(|(v, _)| v == "on");
                    opted_out = opted_out.or(a
                        .recordpref
                        .iter()
                        .find(|(v, _)| v == "off" || v == "pause")
                        .cloned());
                }
                let cs_subject = format!("call {}", calls[cs].id);
                if let (Some(packet), false) = (aware, told_on) {
                    self.report(
                        FindingId::RecordingNotIndicated,
                        cs_subject.clone(),
                        &[("recording_session", format!("call {}", calls[rs].id))],
                        Evidence {
                            first_packet: packet,
                            last_packet: packet,
                            detail: "a participant supports record-aware; no a=record:on reached the call".into(),
                            ..ev.clone()
                        },
                    );
                }
                if let Some((pref, packet)) = opted_out
                    && !calls[rs].media.is_empty()
                {
                    self.report(
                        FindingId::RecordingPreferenceIgnored,
                        cs_subject,
                        &[
                            ("recordpref", pref.clone()),
                            ("recording_session", format!("call {}", calls[rs].id)),
                        ],
                        Evidence {
                            first_packet: packet,
                            last_packet: packet,
                            detail: format!("a=recordpref:{pref} offered; the recording session still streamed media"),
                            ..ev.clone()
                        },
                    );
                }
            }
            let rs_id = calls[rs].id;
            let step = match recorded {
                Some(cs) => format!(
                    "This call is a SIPREC recording session ({}) to the recording server {srs}, recording call {} (linked by {how})",
                    detail.signals.join(", "),
                    calls[cs].id
                ),
                None => format!(
                    "This call is a SIPREC recording session ({}) to the recording server {srs}; the call it records is not in this capture",
                    detail.signals.join(", ")
                ),
            };
            let rs_call = &mut calls[rs];
            rs_call.reasoning.push(ReasoningStep {
                step,
                evidence: vec![ev.clone()],
                kind: StepKind::Reason,
            });
            for id in [
                FindingId::CallRecorded,
                FindingId::RecordingMetadataCleartext,
            ] {
                if !rs_call.findings.contains(&id) {
                    rs_call.findings.push(id);
                }
            }
            if let Some(cs) = recorded {
                let c = &mut calls[cs];
                c.reasoning.push(ReasoningStep {
                    step: format!(
                        "Recorded: call {rs_id} sends a copy of this call's media and metadata to the recording server {srs}{}",
                        if outside { ", outside the clinic's networks" } else { "" }
                    ),
                    evidence: vec![ev],
                    kind: StepKind::Reason,
                });
                if !c.findings.contains(&FindingId::CallRecorded) {
                    c.findings.push(FindingId::CallRecorded);
                }
            }
        }
    }
}

impl Assessor {
    /// Calls whose SIP was copied to a HEP collector, and keys sent in the clear.
    pub(super) fn mirror_findings(&mut self, calls: &mut [Call]) {
        let mirrors: Vec<(crate::proto::hep::HepDetail, Evidence, SocketAddr)> = self
            .call_flows
            .iter()
            .filter_map(|f| {
                let h = f.hep.as_ref()?;
                let ev = evidence(
                    f,
                    h.first_packet,
                    f.last_packet,
                    format!(
                        "{} HEP3 messages, {} of them SIP",
                        h.messages, h.sip_messages
                    ),
                );
                Some(((**h).clone(), ev, f.server))
            })
            .collect();
        for (hep, ev, collector) in mirrors {
            let inside = self.policy.in_clinic(collector.ip());
            let agents: Vec<String> = hep.agent_ids.iter().map(u32::to_string).collect();
            if let (Some(packet), Some(len)) = (hep.auth_key_packet, hep.auth_key_length) {
                self.report(
                    FindingId::HepAuthKeyCleartext,
                    format!("collector {collector}"),
                    &[
                        ("key_length", len.to_string()),
                        ("agents", agents.join(", ")),
                    ],
                    Evidence {
                        first_packet: packet,
                        last_packet: packet,
                        detail: format!("HEP3 authentication key chunk ({len} bytes) in the clear"),
                        ..ev.clone()
                    },
                );
            }
            let mut tied = false;
            for call in calls.iter_mut() {
                // The call's dialogs say which HEP flows copied them; the
                // flow's own list holds the first 64 Call-IDs it copied.
                let by_dialog = |id: &String| {
                    call.dialogs
                        .iter()
                        .any(|d| &d.call_id == id && d.mirrored.iter().any(|m| m.flow == ev.flow))
                };
                let shared: Vec<&String> = call
                    .sip_call_ids
                    .iter()
                    .filter(|id| hep.call_ids.contains(id) || by_dialog(id))
                    .collect();
                if shared.is_empty() {
                    continue;
                }
                tied = true;
                let subject = format!("call {}", call.id);
                self.report(
                    FindingId::SignalingMirrored,
                    subject.clone(),
                    &[
                        ("collector", collector.to_string()),
                        ("collector_inside_clinic", inside.to_string()),
                        (
                            "call_ids",
                            shared
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        ("agents", agents.join(", ")),
                    ],
                    ev.clone(),
                );
                if inside {
                    self.set_severity(FindingId::SignalingMirrored, &subject, Severity::Medium);
                }
                call.reasoning.push(ReasoningStep {
                    step: format!(
                        "Signaling mirrored: a monitoring agent copied this call's SIP to the HEP collector {collector}{}",
                        if inside { "" } else { ", outside the clinic's networks" }
                    ),
                    evidence: vec![ev.clone()],
                    kind: StepKind::Reason,
                });
                if !call.findings.contains(&FindingId::SignalingMirrored) {
                    call.findings.push(FindingId::SignalingMirrored);
                }
            }
            if !tied && hep.sip_messages > 0 {
                let subject = format!("collector {collector}");
                self.report(
                    FindingId::SignalingMirrored,
                    subject.clone(),
                    &[
                        ("collector", collector.to_string()),
                        ("sip_messages", hep.sip_messages.to_string()),
                        ("call_ids", hep.call_ids.join(", ")),
                    ],
                    ev,
                );
                if inside {
                    self.set_severity(FindingId::SignalingMirrored, &subject, Severity::Medium);
                }
            }
        }
    }
}
