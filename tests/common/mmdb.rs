//! A small MaxMind DB writer (format 2.0, IPv4 tree, 32-bit records), so
//! the GeoIP tests build their databases themselves instead of shipping a
//! third-party one. Written from the MaxMind DB File Format Specification.

use std::net::Ipv4Addr;

/// A value of the MaxMind DB data section.
pub enum Value {
    Str(String),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(String, Value)>),
    Array(Vec<Value>),
}

pub fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

pub fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (low, extra): (u8, Vec<u8>) = match size {
        0..=28 => (size as u8, vec![]),
        29..=284 => (29, vec![(size - 29) as u8]),
        285..=65820 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => (31, ((size - 65821) as u32).to_be_bytes()[1..].to_vec()),
    };
    if kind <= 7 {
        out.push(kind << 5 | low);
    } else {
        out.push(low);
        out.push(kind - 7);
    }
    out.extend_from_slice(&extra);
}

fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(out, kind, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}

fn encode(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(t) => {
            control(out, 2, t.len());
            out.extend_from_slice(t.as_bytes());
        }
        Value::U16(n) => uint(out, 5, u64::from(*n)),
        Value::U32(n) => uint(out, 6, u64::from(*n)),
        Value::U64(n) => uint(out, 9, *n),
        Value::Map(pairs) => {
            control(out, 7, pairs.len());
            for (k, v) in pairs {
                encode(out, &Value::Str(k.clone()));
                encode(out, v);
            }
        }
        Value::Array(items) => {
            control(out, 11, items.len());
            for v in items {
                encode(out, v);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Record {
    Empty,
    Node(usize),
    Data(usize),
}

/// A database of `database_type` mapping IPv4 networks to records.
pub fn write(database_type: &str, networks: &[((Ipv4Addr, u8), Value)]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut nodes: Vec<[Record; 2]> = vec![[Record::Empty; 2]];
    for ((network, prefix), value) in networks {
        let offset = data.len();
        encode(&mut data, value);
        let bits = u32::from(*network);
        let mut node = 0;
        for depth in 0..*prefix {
            let bit = ((bits >> (31 - depth)) & 1) as usize;
            if depth + 1 == *prefix {
                nodes[node][bit] = Record::Data(offset);
                break;
            }
            node = match nodes[node][bit] {
                Record::Node(next) => next,
                other => {
                    // Empty, or a shorter network's data pushed down.
                    let fill = match other {
                        Record::Data(_) => other,
                        _ => Record::Empty,
                    };
                    nodes.push([fill; 2]);
                    let next = nodes.len() - 1;
                    nodes[node][bit] = Record::Node(next);
                    next
                }
            };
        }
    }
    let count = nodes.len() as u32;
    let mut out = Vec::new();
    for pair in &nodes {
        for r in pair {
            let v = match *r {
                Record::Empty => count,
                Record::Node(i) => i as u32,
                Record::Data(off) => count + 16 + off as u32,
            };
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    let metadata = map(vec![
        ("binary_format_major_version", Value::U16(2)),
        ("binary_format_minor_version", Value::U16(0)),
        ("build_epoch", Value::U64(1_700_000_000)),
        ("database_type", s(database_type)),
        (
            "description",
            map(vec![("en", s("teleprobe test database"))]),
        ),
        ("ip_version", Value::U16(4)),
        ("languages", Value::Array(vec![s("en")])),
        ("node_count", Value::U32(count)),
        ("record_size", Value::U16(32)),
    ]);
    encode(&mut out, &metadata);
    out
}

/// A GeoLite2-ASN-shaped database.
pub fn asn(networks: &[((Ipv4Addr, u8), u32, &str)]) -> Vec<u8> {
    let rows: Vec<((Ipv4Addr, u8), Value)> = networks
        .iter()
        .map(|(net, number, org)| {
            let record = map(vec![
                ("autonomous_system_number", Value::U32(*number)),
                ("autonomous_system_organization", s(org)),
            ]);
            (*net, record)
        })
        .collect();
    write("GeoLite2-ASN", &rows)
}

/// A GeoLite2-Country-shaped database.
pub fn country(networks: &[((Ipv4Addr, u8), &str)]) -> Vec<u8> {
    let rows: Vec<((Ipv4Addr, u8), Value)> = networks
        .iter()
        .map(|(net, iso)| {
            let record = map(vec![("country", map(vec![("iso_code", s(iso))]))]);
            (*net, record)
        })
        .collect();
    write("GeoLite2-Country", &rows)
}
