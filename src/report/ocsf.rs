//! Findings as OCSF Detection Finding events (class_uid 2004, OCSF 1.1), one
//! JSON object per line, so SIEMs that speak OCSF ingest them as they are.

use super::model::{Finding, FlowRecord, Report};
use crate::assess::catalogue::Severity;
use serde_json::{Value, json};
use std::net::SocketAddr;

fn severity_id(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn epoch_ms(t: &crate::time::Timestamp) -> i64 {
    t.micros().div_euclid(1000)
}

fn endpoint(addr: &SocketAddr) -> Value {
    json!({"ip": addr.ip().to_string(), "port": addr.port()})
}

pub fn event(f: &Finding, flows: &[FlowRecord], version: &str) -> Value {
    let first = f
        .evidence
        .iter()
        .map(|e| epoch_ms(&e.first_timestamp))
        .min();
    let last = f.evidence.iter().map(|e| epoch_ms(&e.last_timestamp)).max();
    let evidences: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| {
            let flow = flows.iter().find(|fl| fl.id == e.flow);
            let mut ev = json!({
                "data": {
                    "flow": e.flow,
                    "first_packet": e.first_packet,
                    "last_packet": e.last_packet,
                    "detail": e.detail,
                }
            });
            if let Some(fl) = flow {
                ev["src_endpoint"] = endpoint(&fl.client);
                ev["dst_endpoint"] = endpoint(&fl.server);
                ev["connection_info"] = json!({"protocol_name": fl.transport});
            }
            ev
        })
        .collect();
    json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id(f.severity),
        "severity": f.severity.name(),
        "status_id": 1,
        "status": "New",
        "time": last.or(first).unwrap_or(0),
        "message": format!("{}: {}", f.title, f.subject),
        "metadata": {
            "version": "1.1.0",
            "product": {"name": "teleprobe", "vendor_name": "teleprobe", "version": version},
        },
        "finding_info": {
            "uid": format!("{}:{}", f.id, f.subject),
            "title": f.title,
            "desc": f.explanation,
            "types": [f.id],
            "first_seen_time": first,
            "last_seen_time": last,
            "src_url": f.reference,
        },
        "remediation": {"desc": f.remedy},
        "evidences": evidences,
        "unmapped": {"values": f.values, "default_severity": f.default_severity.name()},
    })
}

/// One line per finding.
pub fn render(report: &Report) -> String {
    let flows = report.flows.in_memory();
    report
        .findings
        .iter()
        .map(|f| event(f, flows, report.generator.version).to_string() + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::time::Timestamp;

    #[test]
    fn epoch_milliseconds_of_timestamps() {
        assert_eq!(super::epoch_ms(&Timestamp(0)), 0);
        // 2023-11-14T22:13:20.123456Z
        assert_eq!(
            super::epoch_ms(&Timestamp(1_700_000_000_123_456_789)),
            1_700_000_000_123
        );
        assert_eq!(
            super::epoch_ms(&Timestamp(-1)),
            -1,
            "before 1970 rounds down"
        );
    }
}
