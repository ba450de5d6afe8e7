//! DNS messages over UDP and TCP through `simple-dns`: questions, answers
//! (A, AAAA, CNAME) and response codes. Answers feed the name-to-address map
//! that later ties server addresses to vendors.

use simple_dns::{Packet, rdata::RData};
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    pub rcode: String,
    pub questions: Vec<(String, String)>,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Address {
        name: String,
        address: IpAddr,
        ttl: u32,
    },
    Cname {
        name: String,
        target: String,
        ttl: u32,
    },
    Other {
        name: String,
        kind: String,
    },
}

/// RFC 1035/2136 response code mnemonics, as dig prints them.
pub fn rcode_name(code: u8) -> String {
    match code {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        _ => format!("RCODE{code}"),
    }
}

/// Mnemonic of a record type, or `TYPEn` (RFC 3597) when we do not name it.
pub fn type_name(code: u16) -> String {
    let name = match code {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        41 => "OPT",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        _ => return format!("TYPE{code}"),
    };
    name.to_string()
}

/// Cheap check before the real parse: a header with sane counts.
pub fn plausible(b: &[u8]) -> bool {
    if b.len() < 12 {
        return false;
    }
    let opcode = (b[2] >> 3) & 0x0F;
    let qd = u16::from_be_bytes([b[4], b[5]]);
    let an = u16::from_be_bytes([b[6], b[7]]);
    opcode <= 6 && (1..=16).contains(&qd) && an <= 256
}

pub fn parse(b: &[u8]) -> Option<DnsMessage> {
    if !plausible(b) {
        return None;
    }
    let packet = Packet::parse(b).ok()?;
    let response = b[2] & 0x80 != 0;
    let rcode = rcode_name(b[3] & 0x0F);
    let questions = packet
        .questions
        .iter()
        .take(16)
        .map(|q| (q.qname.to_string(), type_name(u16::from(q.qtype))))
        .collect();
    let answers = packet
        .answers
        .iter()
        .take(64)
        .map(|rr| {
            let name = rr.name.to_string();
            match &rr.rdata {
                RData::A(a) => Answer::Address {
                    name,
                    address: IpAddr::V4(std::net::Ipv4Addr::from(a.address)),
                    ttl: rr.ttl,
                },
                RData::AAAA(a) => Answer::Address {
                    name,
                    address: IpAddr::V6(std::net::Ipv6Addr::from(a.address)),
                    ttl: rr.ttl,
                },
                RData::CNAME(c) => Answer::Cname {
                    name,
                    target: c.0.to_string(),
                    ttl: rr.ttl,
                },
                other => Answer::Other {
                    name,
                    kind: type_name(u16::from(other.type_code())),
                },
            }
        })
        .collect();
    Some(DnsMessage {
        id: u16::from_be_bytes([b[0], b[1]]),
        response,
        rcode,
        questions,
        answers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_with_cname_chain() {
        use simple_dns::{CLASS, Name, Question, ResourceRecord, TYPE, rdata};
        let mut p = Packet::new_reply(0x1234);
        p.questions.push(Question::new(
            Name::new_unchecked("www.doxy.me"),
            TYPE::A.into(),
            CLASS::IN.into(),
            false,
        ));
        p.answers.push(ResourceRecord::new(
            Name::new_unchecked("www.doxy.me"),
            CLASS::IN,
            60,
            RData::CNAME(rdata::CNAME(Name::new_unchecked("doxy.me"))),
        ));
        p.answers.push(ResourceRecord::new(
            Name::new_unchecked("doxy.me"),
            CLASS::IN,
            60,
            RData::A(rdata::A {
                address: 0x0a010203,
            }),
        ));
        let bytes = p.build_bytes_vec().unwrap();
        let m = parse(&bytes).unwrap();
        assert!(m.response);
        assert_eq!(
            m.questions,
            vec![("www.doxy.me".to_string(), "A".to_string())]
        );
        assert_eq!(m.answers.len(), 2);
        assert!(
            matches!(&m.answers[1], Answer::Address { address, .. } if address.to_string() == "10.1.2.3")
        );
        assert!(parse(&bytes[..10]).is_none());
    }
}
