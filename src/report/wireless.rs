//! The "Wireless networks" and "Wireless clients" rows every human report
//! shows (text summary, Markdown, HTML, TUI): one row per network (class,
//! PMF, clients, findings) and per client, built once here so the formats
//! cannot disagree. Reads the redacted report only.

use super::model::{ClientRecord, Finding, NetworkRecord};

pub use crate::assess::wireless::network_name;

/// The finding ids whose subject names `who`.
fn findings_about(findings: &[Finding], who: &str) -> String {
    ids_naming(
        findings.iter().map(|f| (f.id.name(), f.subject.as_str())),
        who,
    )
    .join(", ")
}

/// The ids of the findings (id, subject) whose subject names `who` (a
/// network's BSSID, a station's MAC), in report order, each run once:
/// the rows of the reports and of the tables.
pub fn ids_naming<'a>(
    findings: impl Iterator<Item = (&'a str, &'a str)>,
    who: &str,
) -> Vec<&'a str> {
    let mut ids: Vec<&str> = findings
        .filter(|(_, subject)| subject.contains(who))
        .map(|(id, _)| id)
        .collect();
    ids.dedup();
    ids
}

pub const NETWORK_COLUMNS: [&str; 7] = [
    "network", "class", "PMF", "airodump", "channel", "clients", "findings",
];

pub fn network_row(findings: &[Finding], n: &NetworkRecord) -> [String; 7] {
    let mut class = n.class.to_string();
    if !n.modifiers.is_empty() {
        class += &format!(" +{}", n.modifiers.join(" +"));
    }
    if n.confidence != "observed" {
        class += &format!(
            " (inferred: {})",
            n.inferred_from.as_deref().unwrap_or("frames")
        );
    }
    [
        network_name(n),
        class,
        n.pmf.unwrap_or("-").to_string(),
        if n.airodump.is_empty() {
            "-".into()
        } else {
            n.airodump.clone()
        },
        n.channel.map_or("-".into(), |c| c.to_string()),
        n.clients.to_string(),
        findings_about(findings, &n.bssid),
    ]
}

pub const CLIENT_COLUMNS: [&str; 6] = [
    "station",
    "network",
    "chose",
    "EAP",
    "handshake",
    "findings",
];

pub fn client_row(findings: &[Finding], c: &ClientRecord) -> [String; 6] {
    let network = match (&c.ssid, &c.bssid) {
        (Some(s), Some(b)) => format!("{s} ({b})"),
        (None, Some(b)) => b.clone(),
        _ => "-".into(),
    };
    let eap = c.eap.as_ref().map_or("-".into(), |e| {
        let methods: Vec<&str> = e.methods.iter().map(|m| m.method).collect();
        format!(
            "{}{}{}",
            e.identity
                .as_deref()
                .map_or(String::new(), |i| format!("identity {i}; ")),
            if methods.is_empty() {
                "no method seen".into()
            } else {
                methods.join(", ")
            },
            e.outcome.map_or(String::new(), |o| format!("; {o}"))
        )
    });
    let handshake = c.handshake.as_ref().map_or("-".into(), |h| {
        format!(
            "messages {}{}",
            h.messages
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(","),
            if h.pmkid_packet.is_some() {
                " + PMKID"
            } else {
                ""
            }
        )
    });
    [
        c.mac.clone(),
        network,
        if c.akms.is_empty() {
            "-".into()
        } else {
            c.akms.join(", ")
        },
        eap,
        handshake,
        findings_about(findings, &c.mac),
    ]
}
