//! Splits captures into seed inputs for the fuzz targets: each UDP or TCP
//! payload goes to the target whose parser it is for (by the RFC 7983
//! first byte, the SIP start line, the port), each capture's first frames
//! become an `engine` input in its framing, and each capture file's head a
//! `pcap` input. Duplicates are dropped and each target keeps at most
//! `PER_TARGET` inputs of at most `MAX_INPUT` bytes, so the seed corpus
//! stays small. Only captures the project ships or reads in CI are used.
//!
//! Usage: fuzz_seeds OUT_DIR CAPTURE...

use std::collections::{HashMap, HashSet};
use std::path::Path;
use teleprobe::decode::{Outcome, Reassembler, Transport, decode};
use teleprobe::engine::{PACKED_WIRED, PACKED_WIRELESS};
use teleprobe::proto::demux::{Demux, classify};
use teleprobe::source::{LinkType, read_all};

const PER_TARGET: usize = 300;
const MAX_INPUT: usize = 4096;

fn target_of(udp: bool, ports: (u16, u16), payload: &[u8]) -> Option<&'static str> {
    let port = |p: u16| ports.0 == p || ports.1 == p;
    if teleprobe::proto::sip::looks_like_sip(payload) {
        return Some("sip");
    }
    if port(53) || port(5353) {
        return Some("dns");
    }
    if udp && (8801..=8810).any(port) {
        return Some("zoom");
    }
    if !udp {
        return match payload.first()? {
            0x14..=0x17 => Some("tls"),
            b'A'..=b'Z' => Some("http"),
            _ => None,
        };
    }
    match classify(payload) {
        Demux::Stun | Demux::ChannelData => Some("stun"),
        Demux::Dtls => Some("tls"),
        Demux::Rtp | Demux::Rtcp => Some("rtp"),
        Demux::High => Some("quic"),
        _ => None,
    }
}

/// The engine target's framing: a link selector byte, then frames of at
/// most 255 bytes, each after its length byte.
fn engine_input(link: LinkType, frames: &[&[u8]]) -> Option<(&'static str, Vec<u8>)> {
    let (target, selector) = if let Some(i) = PACKED_WIRED.iter().position(|l| *l == link) {
        ("engine", i as u8)
    } else {
        (
            "wifi",
            PACKED_WIRELESS.iter().position(|l| *l == link)? as u8,
        )
    };
    let mut out = vec![selector];
    for f in frames {
        let f = &f[..f.len().min(255)];
        out.push(f.len() as u8);
        out.extend_from_slice(f);
        if out.len() > MAX_INPUT {
            break;
        }
    }
    Some((target, out))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: fuzz_seeds OUT_DIR CAPTURE...");
        std::process::exit(2);
    }
    let out = Path::new(&args[1]);
    let mut seeds: HashMap<&'static str, Vec<Vec<u8>>> = HashMap::new();
    let mut seen: HashSet<(&'static str, Vec<u8>)> = HashSet::new();
    let mut add = |target: &'static str, bytes: Vec<u8>| {
        let list = seeds.entry(target).or_default();
        if list.len() < PER_TARGET && !bytes.is_empty() && seen.insert((target, bytes.clone())) {
            list.push(bytes);
        }
    };
    for path in &args[2..] {
        if let Ok(head) = std::fs::read(path) {
            add("pcap", head[..head.len().min(MAX_INPUT)].to_vec());
        }
        let Ok(packets) = read_all(path) else {
            continue;
        };
        let frames: Vec<&[u8]> = packets.iter().take(40).map(|p| &p.data[..]).collect();
        if let Some(first) = packets.first() {
            if let Some((target, input)) = engine_input(first.link, &frames) {
                add(target, input);
            }
        }
        let mut pool = Reassembler::new();
        for p in &packets {
            let Outcome::Packet(d) = decode(p.link, &p.data, p.ts, &mut pool) else {
                continue;
            };
            let (udp, ports, payload) = match d.transport {
                Transport::Udp {
                    src_port,
                    dst_port,
                    payload,
                } => (true, (src_port, dst_port), payload),
                Transport::Tcp {
                    src_port,
                    dst_port,
                    payload,
                    ..
                } => (false, (src_port, dst_port), payload),
            };
            let Some(target) = target_of(udp, ports, payload) else {
                continue;
            };
            let payload = &payload[..payload.len().min(MAX_INPUT)];
            if target == "sip" {
                if let Some(at) = payload.windows(4).position(|w| w == b"\r\n\r\n") {
                    add("sdp", payload[at + 4..].to_vec());
                }
                // Recording-session detection reads SIP messages too.
                add("siprec", payload.to_vec());
            }
            add(target, payload.to_vec());
        }
    }
    let mut names: Vec<_> = seeds.keys().copied().collect();
    names.sort_unstable();
    for target in names {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).expect("create the seed folder");
        for (i, bytes) in seeds[target].iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:04}")), bytes).expect("write a seed");
        }
        println!("{target}: {} seeds", seeds[target].len());
    }
}
