//! What one flow learns from DNS: questions, answers and response codes,
//! each stored once and capped. Which names resolve to which addresses is
//! worked out here ([`address_owners`]) but kept across flows by the
//! dissector.

use super::parse::{Answer, DnsMessage};
use crate::proto::Seen;
use crate::proto::record::{Address, bump};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct DnsDetail {
    pub queries: Vec<DnsQuery>,
    pub answers: Vec<DnsAnswer>,
    pub response_codes: BTreeMap<String, u64>,
    /// Records skipped because they could not be read (the rest of each
    /// message was kept).
    #[serde(default, skip_serializing_if = "crate::proto::record::is_zero")]
    pub unreadable_records: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct DnsQuery {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub packet: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct DnsAnswer {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: String,
    pub ttl: u32,
    pub packet: u64,
}

impl DnsDetail {
    pub fn on_message(&mut self, at: Seen, m: &DnsMessage) {
        let d = self;
        d.unreadable_records += u64::from(m.unreadable);
        for (name, kind) in &m.questions {
            if d.queries.len() < 64 && !d.queries.iter().any(|q| &q.name == name && q.kind == *kind)
            {
                d.queries.push(DnsQuery {
                    name: name.clone(),
                    kind: kind.to_string(),
                    packet: at.packet,
                });
            }
        }
        if !m.response {
            return;
        }
        bump(&mut d.response_codes, m.rcode);
        for a in &m.answers {
            if d.answers.len() >= 128 {
                break;
            }
            // Strings only for an answer kept: most repeat one seen before.
            let mut keep = |name: &String, kind: &str, data: &str, ttl: u32| {
                if !d.answers.iter().any(|x| &x.name == name && x.data == data) {
                    d.answers.push(DnsAnswer {
                        name: name.clone(),
                        kind: kind.to_string(),
                        data: data.to_string(),
                        ttl,
                        packet: at.packet,
                    });
                }
            };
            match a {
                Answer::Address { name, address, ttl } => {
                    let kind = if address.is_ipv4() { "A" } else { "AAAA" };
                    address.with_text(|data| keep(name, kind, data, *ttl));
                }
                Answer::Cname { name, target, ttl } => keep(name, "CNAME", target, *ttl),
                Answer::Other { name, kind } => keep(name, kind, "", 0),
            }
        }
    }
}

/// The names each A/AAAA answer of a response gives an address to: the
/// record's owner and every alias whose CNAME chain (at most 8 deep) leads to it.
pub fn address_owners(m: &DnsMessage) -> Vec<(String, IpAddr)> {
    let mut owners = Vec::new();
    for a in &m.answers {
        let Answer::Address { name, address, .. } = a else {
            continue;
        };
        let mut names = vec![name.clone()];
        for _ in 0..8 {
            let before = names.len();
            for c in &m.answers {
                if let Answer::Cname {
                    name: alias,
                    target,
                    ..
                } = c
                {
                    if names.contains(target) && !names.contains(alias) {
                        names.push(alias.clone());
                    }
                }
            }
            if names.len() == before {
                break;
            }
        }
        owners.extend(names.into_iter().map(|n| (n, *address)));
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_own_the_address_their_chain_reaches() {
        let m = DnsMessage {
            unreadable: 0,
            id: 1,
            response: true,
            rcode: "NOERROR",
            questions: vec![("meet.example".into(), "A".into())],
            answers: vec![
                Answer::Cname {
                    name: "meet.example".into(),
                    target: "edge.cdn.example".into(),
                    ttl: 60,
                },
                Answer::Address {
                    name: "edge.cdn.example".into(),
                    address: "198.51.100.7".parse().unwrap(),
                    ttl: 60,
                },
            ],
        };
        let owners: Vec<String> = address_owners(&m).into_iter().map(|(n, _)| n).collect();
        assert_eq!(owners, ["edge.cdn.example", "meet.example"]);
        let mut d = DnsDetail::default();
        let at = Seen {
            packet: 2,
            ts: 0,
            dir: crate::flow::Dir::ServerToClient,
        };
        d.on_message(at, &m);
        d.on_message(at, &m);
        assert_eq!((d.queries.len(), d.answers.len()), (1, 2));
        assert_eq!(d.response_codes["NOERROR"], 2);
        assert_eq!(d.answers[1].data, "198.51.100.7");
    }
}
