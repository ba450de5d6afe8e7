//! DNS messages (RFC 1035 wire format) over UDP and TCP, read leniently
//! as Wireshark does: questions, then answers (A, AAAA, CNAME by value,
//! the rest by type), whatever the opcode (queries, inverse queries,
//! NOTIFY, dynamic UPDATE, RFC 2136). A record that cannot be read (a bad
//! name, an rdata shorter than it says) is skipped and counted and the
//! next one read; a message cut short keeps what came before. Names follow
//! compression pointers backwards only, so no loop, and allocation is per
//! name kept. Answers feed the name-to-address map that ties servers to
//! vendors.

use std::borrow::Cow;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    pub rcode: &'static str,
    /// (name, record type).
    pub questions: Vec<(String, Cow<'static, str>)>,
    pub answers: Vec<Answer>,
    /// Records (or questions) that could not be read and were skipped, and
    /// those announced by the header but missing at the end of the message.
    pub unreadable: u16,
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
        kind: Cow<'static, str>,
    },
}

/// RFC 1035/2136 response code mnemonics, as dig prints them, for the
/// header's four bits (`RCODEn` past the named ones): no allocation per
/// response.
pub fn rcode_name(code: u8) -> &'static str {
    const NAMES: [&str; 16] = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "RCODE6", "RCODE7",
        "RCODE8", "RCODE9", "RCODE10", "RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
    ];
    NAMES[usize::from(code & 0x0F)]
}

/// Mnemonic of a record type, or `TYPEn` (RFC 3597) when we do not name it
/// (only then allocated).
pub fn type_name(code: u16) -> Cow<'static, str> {
    Cow::Borrowed(match code {
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
        _ => return Cow::Owned(format!("TYPE{code}")),
    })
}

/// Cheap check before the real parse: a header with sane counts. Queries
/// ask at least one question; inverse queries (opcode 1), NOTIFY (4) and
/// UPDATE (5) may carry none.
pub fn plausible(b: &[u8]) -> bool {
    if b.len() < 12 {
        return false;
    }
    let opcode = (b[2] >> 3) & 0x0F;
    let qd = u16::from_be_bytes([b[4], b[5]]);
    let an = u16::from_be_bytes([b[6], b[7]]);
    let questions = if opcode == 0 || opcode == 2 {
        (1..=16).contains(&qd)
    } else {
        qd <= 16 && (qd > 0 || an > 0)
    };
    opcode <= 6 && questions && an <= 256
}

/// The stream probe for DNS over TCP (RFC 7766): a two-byte length, then
/// a plausible header. Only asked on port 53: ids fall anywhere.
pub fn probe_stream(b: &[u8]) -> crate::proto::Probe {
    let yes = b.len() >= 14 && plausible(&b[2..]);
    crate::proto::Probe::from_test(yes, b.len(), 14)
}

/// Reads a (possibly compressed) name at `at`; returns it and the offset
/// after it in the message (after the first pointer, if any).
fn name(b: &[u8], mut at: usize) -> Option<(String, usize)> {
    // Bytes, not chars: every byte pushed is ASCII (a graphic character or
    // an escape), so the text is valid UTF-8 by construction.
    let mut out: Vec<u8> = Vec::with_capacity(64);
    let mut after = None;
    let mut floor = at;
    for _ in 0..128 {
        let len = *b.get(at)?;
        match len >> 6 {
            0 if len == 0 => {
                if out.is_empty() {
                    out.push(b'.');
                }
                let text = String::from_utf8(out).ok()?;
                return Some((text, after.unwrap_or(at + 1)));
            }
            0 => {
                let label = b.get(at + 1..at + 1 + len as usize)?;
                if !out.is_empty() {
                    out.push(b'.');
                }
                for &c in label {
                    // Wireshark-style escapes keep odd bytes visible but harmless.
                    if c.is_ascii_graphic() && c != b'.' && c != b'\\' {
                        out.push(c);
                    } else {
                        out.extend_from_slice(&[
                            b'\\',
                            b'0' + c / 100,
                            b'0' + c / 10 % 10,
                            b'0' + c % 10,
                        ]);
                    }
                }
                if out.len() > 1024 {
                    return None;
                }
                at += 1 + len as usize;
            }
            3 => {
                let target = usize::from(u16::from_be_bytes([len, *b.get(at + 1)?]) & 0x3fff);
                after.get_or_insert(at + 2);
                // Pointers must go backwards, before any name already read.
                if target >= floor {
                    return None;
                }
                floor = target;
                at = target;
            }
            _ => return None,
        }
    }
    None
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

pub fn parse(b: &[u8]) -> Option<DnsMessage> {
    if !plausible(b) {
        return None;
    }
    let count = |i: usize| u16::from_be_bytes([b[4 + 2 * i], b[5 + 2 * i]]);
    let (qd, an) = (count(0), count(1));
    let mut m = DnsMessage {
        id: u16::from_be_bytes([b[0], b[1]]),
        response: b[2] & 0x80 != 0,
        rcode: rcode_name(b[3] & 0x0F),
        questions: Vec::new(),
        answers: Vec::new(),
        unreadable: 0,
    };
    let mut at = 12;
    for i in 0..qd {
        let Some((qname, next)) = name(b, at) else {
            // Without the name's end the rest cannot be found; a first
            // question that is no name at all says this is not DNS.
            m.unreadable += qd - i + an;
            return (i > 0).then_some(m);
        };
        let Some(qtype) = u16_at(b, next) else {
            m.unreadable += qd - i + an;
            return Some(m);
        };
        m.questions.push((qname, type_name(qtype)));
        at = next + 4;
    }
    for i in 0..an {
        let Some((rname, next)) = name(b, at) else {
            m.unreadable += an - i;
            return Some(m);
        };
        let (Some(rtype), Some(ttl_hi), Some(ttl_lo), Some(rdlen)) = (
            u16_at(b, next),
            u16_at(b, next + 4),
            u16_at(b, next + 6),
            u16_at(b, next + 8),
        ) else {
            m.unreadable += an - i;
            return Some(m);
        };
        let ttl = u32::from(ttl_hi) << 16 | u32::from(ttl_lo);
        let rdata_at = next + 10;
        let Some(rdata) = b.get(rdata_at..rdata_at + usize::from(rdlen)) else {
            m.unreadable += an - i;
            return Some(m);
        };
        at = rdata_at + rdata.len();
        let answer = match (rtype, rdata.len()) {
            (1, 4) => Some(Answer::Address {
                name: rname,
                address: IpAddr::from([rdata[0], rdata[1], rdata[2], rdata[3]]),
                ttl,
            }),
            (28, 16) => {
                let mut v6 = [0u8; 16];
                v6.copy_from_slice(rdata);
                Some(Answer::Address {
                    name: rname,
                    address: IpAddr::from(v6),
                    ttl,
                })
            }
            (1 | 28, _) => None,
            // The target may be compressed against the whole message.
            (5, _) => name(b, rdata_at)
                .filter(|(_, end)| *end <= at)
                .map(|(target, _)| Answer::Cname {
                    name: rname,
                    target,
                    ttl,
                }),
            _ => Some(Answer::Other {
                name: rname,
                kind: type_name(rtype),
            }),
        };
        match answer {
            Some(a) if m.answers.len() < 64 => m.answers.push(a),
            Some(_) => {}
            None => m.unreadable += 1,
        }
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_bytes_in_a_label_are_escaped_and_the_root_is_a_dot() {
        // "a.b\0" (one label holding a dot and a zero byte), then "Ex",
        // then the root; then a pointer back to the second label.
        let mut b = vec![4, b'a', b'.', b'b', 0, 2, b'E', b'x', 0];
        b.extend_from_slice(&[0xc0, 5]);
        assert_eq!(name(&b, 0), Some((r"a\046b\000.Ex".to_string(), 9)));
        assert_eq!(name(&b, 9), Some(("Ex".to_string(), 11)));
        assert_eq!(name(&[0], 0), Some((".".to_string(), 1)));
        assert_eq!(name(&[3, b'a'], 0), None, "a label past the end");
    }

    #[test]
    fn response_with_cname_chain() {
        use simple_dns::{
            CLASS, Name, Packet, Question, ResourceRecord, TYPE, rdata, rdata::RData,
        };
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
            vec![("www.doxy.me".to_string(), Cow::Borrowed("A"))]
        );
        assert_eq!(m.answers.len(), 2);
        assert!(
            matches!(&m.answers[1], Answer::Address { address, .. } if address.to_string() == "10.1.2.3")
        );
        assert!(parse(&bytes[..10]).is_none());
        // Cut inside the last answer: the rest is kept, the missing one counted.
        let cut = parse(&bytes[..bytes.len() - 2]).unwrap();
        assert_eq!((cut.answers.len(), cut.unreadable), (1, 1));
    }

    #[test]
    fn unreadable_records_are_skipped_and_pointer_loops_refused() {
        // One question, three answers: a CNAME whose target points forward
        // (invalid), an unknown type 65280, and an A record.
        let mut b = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0];
        b.extend_from_slice(b"\x03www\x07example\x00\x00\x01\x00\x01");
        let answer = |b: &mut Vec<u8>, rtype: u16, rdata: &[u8]| {
            b.extend_from_slice(&[0xc0, 12]);
            b.extend_from_slice(&rtype.to_be_bytes());
            b.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            b.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            b.extend_from_slice(rdata);
        };
        answer(&mut b, 5, &[0xc0, 0xff]);
        answer(&mut b, 65280, b"opaque");
        answer(&mut b, 1, &[10, 1, 2, 3]);
        let m = parse(&b).unwrap();
        assert_eq!(
            m.questions,
            vec![("www.example".to_string(), Cow::Borrowed("A"))]
        );
        assert_eq!(m.unreadable, 1, "the CNAME pointing forward");
        assert_eq!(m.answers.len(), 2);
        assert!(matches!(&m.answers[0], Answer::Other { kind, .. } if kind == "TYPE65280"));
        assert!(
            matches!(&m.answers[1], Answer::Address { address, .. } if address.to_string() == "10.1.2.3")
        );
        // A name that points at itself.
        let mut looped = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
        assert!(parse(&looped).is_none());
        looped[13] = 14;
        assert!(parse(&looped).is_none());
    }

    #[test]
    fn an_inverse_query_and_a_dynamic_update_are_read() {
        // IQUERY (opcode 1): no question, one answer.
        let mut iq = vec![0, 7, 0x08, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        iq.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        let m = parse(&iq).unwrap();
        assert_eq!(
            (m.questions.len(), m.answers.len(), m.unreadable),
            (0, 1, 0)
        );
        // UPDATE (opcode 5): the zone is the question section.
        let mut up = vec![0, 8, 0x28, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        up.extend_from_slice(b"\x06clinic\x07example\x00\x00\x06\x00\x01");
        let m = parse(&up).unwrap();
        assert_eq!(
            m.questions,
            vec![("clinic.example".to_string(), Cow::Borrowed("SOA"))]
        );
    }
}
