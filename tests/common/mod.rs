//! Test helpers: build packets with etherparse and write them as pcap, so
//! tests can make exactly the capture they need.
#![allow(dead_code)]

use etherparse::PacketBuilder;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const ETHERNET: u32 = 1;
pub const RAW: u32 = 101;
pub const LINUX_SLL2: u32 = 276;
pub const NULL: u32 = 0;

/// An Ethernet frame carrying a UDP datagram over IPv4.
pub fn udp4_frame(src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src.0, dst.0, 64)
        .udp(src.1, dst.1);
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

/// A pcap file being assembled in memory.
pub struct Pcap {
    pub link: u32,
    pub bytes: Vec<u8>,
    pub ts_us: u64,
}

impl Pcap {
    pub fn new(link: u32) -> Pcap {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&0i32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&65535u32.to_le_bytes());
        bytes.extend_from_slice(&link.to_le_bytes());
        Pcap {
            link,
            bytes,
            ts_us: 1_700_000_000_000_000,
        }
    }

    pub fn frame(&mut self, data: &[u8]) {
        self.frame_at(self.ts_us + 20_000, data);
    }

    /// A frame captured at `ts_us` (microseconds since the epoch).
    pub fn frame_at(&mut self, ts_us: u64, data: &[u8]) {
        self.ts_us = ts_us;
        self.bytes
            .extend_from_slice(&((self.ts_us / 1_000_000) as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&((self.ts_us % 1_000_000) as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(data);
    }

    /// An Ethernet/IPv4/UDP frame.
    pub fn udp4(&mut self, src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) {
        self.frame(&udp4_frame(src, dst, payload));
    }

    pub fn tcp4(
        &mut self,
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        seq: u32,
        syn: bool,
        ack: bool,
        payload: &[u8],
    ) {
        let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src.0, dst.0, 64)
            .tcp(src.1, dst.1, seq, 65535);
        if syn {
            b = b.syn();
        }
        if ack {
            b = b.ack(1);
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        self.frame(&out);
    }

    pub fn save(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&self.bytes)
            .unwrap();
        path
    }
}

/// A STUN message: type, transaction id, attributes (type, value).
pub fn stun(msg_type: u16, tid: [u8; 12], attrs: &[(u16, Vec<u8>)]) -> Vec<u8> {
    teleprobe::proto::stun::build::StunRepr {
        message_type: msg_type,
        transaction_id: tid,
        attributes: attrs.to_vec(),
    }
    .emit()
}

/// XOR-encoded IPv4 address attribute value.
pub fn xor_v4(ip: [u8; 4], port: u16) -> Vec<u8> {
    // IPv4 is XORed with the magic cookie only: any transaction id will do.
    teleprobe::proto::stun::build::xor_address((ip, port).into(), [0; 12])
}

pub fn rtp(pt: u8, seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    teleprobe::proto::rtp::build::RtpRepr {
        marker: false,
        payload_type: pt,
        sequence: seq,
        timestamp: u32::from(seq) * 160,
        ssrc,
        extension: None,
    }
    .emit(payload)
}

/// Deterministic pseudo-random bytes (xorshift), for "encrypted" payloads.
pub fn noise(seed: u32, len: usize) -> Vec<u8> {
    let mut s = seed.wrapping_mul(0x9E37_79B9) | 1;
    for _ in 0..8 {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
    }
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s as u8
        })
        .collect()
}

pub fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(args)
        .output()
        .expect("run teleprobe")
}

/// Runs teleprobe, which must succeed; returns its standard output.
pub fn run_ok(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn report_json(path: &Path) -> serde_json::Value {
    report_json_with(path, &[])
}

/// The report with identifiers as captured (`--reveal`), to check facts.
pub fn report_json_revealed(path: &Path) -> serde_json::Value {
    report_json_with(path, &["--reveal"])
}

pub fn report_json_with(path: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["analyze", "--json", "--quiet"];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    serde_json::from_slice(&run_ok(&args)).unwrap()
}

pub fn flow_with<'a>(report: &'a serde_json::Value, protocol: &str) -> Vec<&'a serde_json::Value> {
    report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["protocols"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == protocol)
        })
        .collect()
}

/// A TLS record holding one handshake message.
pub fn tls_record(handshake_type: u8, body: &[u8]) -> Vec<u8> {
    use teleprobe::proto::tls::build::{handshake, record};
    record(22, 0x0301, &handshake(handshake_type, body))
}

/// A TLS 1.2 ClientHello record with SNI.
pub fn client_hello(sni: &str) -> Vec<u8> {
    let body = teleprobe::proto::tls::build::ClientHelloRepr {
        version: 0x0303,
        sni: Some(sni),
        ciphers: &[0xC02F, 0x000A],
        ..Default::default()
    }
    .emit();
    tls_record(1, &body)
}

/// A ServerHello record choosing `version` (legacy field) and `cipher`.
pub fn server_hello(version: u16, cipher: u16) -> Vec<u8> {
    let body = teleprobe::proto::tls::build::ServerHelloRepr {
        version,
        cipher,
        ..Default::default()
    }
    .emit();
    tls_record(2, &body)
}

/// A finding of the given id in a report, if any.
/// The distinct finding ids of a report, sorted.
pub fn finding_ids(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

pub fn findings<'a>(report: &'a serde_json::Value, id: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

/// A JSON array of strings (a flow's protocols, its notes), as strings.
pub fn strings(array: &serde_json::Value) -> Vec<&str> {
    array
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// The subjects of the report's findings `id`, in the report's order.
pub fn finding_subjects<'a>(report: &'a serde_json::Value, id: &str) -> Vec<&'a str> {
    findings(report, id)
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect()
}

/// A DNS response answering `name` with one A record.
pub fn dns_a_reply(id: u16, name: &str, address: [u8; 4]) -> Vec<u8> {
    use simple_dns::{CLASS, Name, Packet, Question, ResourceRecord, TYPE, rdata};
    let mut answer = Packet::new_reply(id);
    let name = Name::new_unchecked(name);
    answer.questions.push(Question::new(
        name.clone(),
        TYPE::A.into(),
        CLASS::IN.into(),
        false,
    ));
    answer.answers.push(ResourceRecord::new(
        name,
        CLASS::IN,
        60,
        rdata::RData::A(rdata::A {
            address: u32::from_be_bytes(address),
        }),
    ));
    answer.build_bytes_vec().unwrap()
}

/// TURN ChannelData on channel 0x4001 carrying a DTLS 1.2 ClientHello that
/// offers use_srtp (SRTP_AES128_CM_HMAC_SHA1_80).
pub fn channel_data_with_dtls_client_hello() -> Vec<u8> {
    use teleprobe::proto::tls::build::{ClientHelloRepr, dtls_handshake, dtls_record};
    let body = ClientHelloRepr {
        version: 0xFEFD,
        ciphers: &[0xC02B],
        srtp_profiles: &[1],
        dtls: true,
        ..Default::default()
    }
    .emit();
    let dtls = dtls_record(22, 0xFEFD, 0, &dtls_handshake(1, 0, &body));
    teleprobe::proto::stun::build::channel_data(0x4001, &dtls, false)
}

/// A capture shipped in captures/.
pub fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// Tests that inject onto loopback take this, so one test's frames never
/// land in another's capture.
pub static LOOPBACK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Plays the frames of shipped captures onto loopback through libpcap, as a
/// live network would carry them; returns how many were sent.
pub fn inject(names: &[&str], gap: std::time::Duration) -> usize {
    let mut out = pcap::Capture::from_device("lo").unwrap().open().unwrap();
    let mut sent = 0;
    for name in names {
        for packet in teleprobe::source::read_all(capture(name).to_str().unwrap()).unwrap() {
            out.sendpacket(packet.data.as_slice()).unwrap();
            sent += 1;
            std::thread::sleep(gap);
        }
    }
    sent
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A call's legs as (flow, role).
pub fn call_legs(call: &serde_json::Value) -> Vec<(u64, String)> {
    call["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["flow"].as_u64().unwrap(),
                l["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The ids of the findings a call lists.
pub fn call_findings(call: &serde_json::Value) -> Vec<&str> {
    call["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

/// The corpus folder; outside CI a missing corpus skips the test, in CI it fails.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TELEPROBE_NDPI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/ndpi"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared/captures/ndpi is missing: the conformance corpus must be present in CI"
    );
    eprintln!("skipping: ../shared/captures/ndpi not found (set TELEPROBE_NDPI_DIR)");
    None
}

/// The partitions of a table dataset (folders holding `flows.parquet`)
/// under `dir`, sorted; panics on a partial one left behind.
pub fn table_partitions(dir: &Path) -> Vec<PathBuf> {
    let mut parts = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            assert!(!name.starts_with(".partial"), "left behind: {path:?}");
            if path.join("flows.parquet").is_file() {
                parts.push(path);
            } else if path.is_dir() {
                stack.push(path);
            }
        }
    }
    parts.sort();
    parts
}
