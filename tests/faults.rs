//! Faults on the way out: what the user sees when the report cannot be
//! written, and that no report is ever left half-written under its name;
//! and inputs that are not plain files (a FIFO).

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;

fn capture() -> String {
    format!("{}/captures/sip-trunk.pcap", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_full_disk_is_an_error_naming_the_file() {
    let out = run(&["analyze", "--quiet", "-o", "/dev/full", &capture()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write /dev/full"), "{stderr}");
    assert!(stderr.contains("No space left"), "{stderr}");
}

#[test]
fn a_report_replaces_the_old_one_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    std::fs::write(&report, "the previous report\n").unwrap();
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Killed mid-write (the file-size limit sends SIGXFSZ at 4 KiB): the
    // previous report stays as it was.
    let killed = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f 8; exec '{}' analyze --quiet -o '{}' '{}'",
            env!("CARGO_BIN_EXE_teleprobe"),
            report.display(),
            capture()
        ))
        .output()
        .unwrap();
    assert!(!killed.status.success());
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "the previous report\n"
    );
    // A finished write replaces it whole, owner-only, and leaves nothing beside it.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name();
        if name != "report.json" {
            std::fs::remove_file(dir.path().join(name)).unwrap();
        }
    }
    run_ok(&[
        "analyze",
        "--quiet",
        "-o",
        report.to_str().unwrap(),
        &capture(),
    ]);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["calls"].as_array().unwrap().len(), 24);
    let mode = std::fs::metadata(&report).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.json"]);
}

/// A FIFO (a capture piped in by another process, `tcpdump -w fifo`) reads
/// like a file: the same packets and calls, and the evidence block's
/// SHA-256 of the bytes that came through is the file's.
#[test]
fn a_capture_read_from_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let source = common::capture("sip-two-calls.pcap");
    let writer = {
        let (source, fifo) = (source.clone(), fifo.clone());
        std::thread::spawn(move || std::fs::write(&fifo, std::fs::read(&source).unwrap()).unwrap())
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["analyze", "--json", "--quiet"])
        .arg(&fifo)
        .output()
        .unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let piped: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let direct = common::report_json(&source);
    assert_eq!(piped["capture"]["packets"], direct["capture"]["packets"]);
    assert_eq!(piped["calls"].as_array().unwrap().len(), 2);
    assert_eq!(
        piped["evidence"]["captures"][0]["sha256"],
        direct["evidence"]["captures"][0]["sha256"]
    );
}

/// Clock jumps inside one capture (a sensor whose clock was reset, files
/// from different days merged): time going back a year and forward two
/// neither panics nor loses packets, and the capture's span says so.
#[test]
fn a_capture_whose_clock_jumps() {
    let mut p = Pcap::new(ETHERNET);
    let year = 365 * 24 * 3600 * 1_000_000u64;
    let base = 1_700_000_000_000_000u64;
    for (i, at) in [
        base,
        base - year,
        base + 2 * year,
        base + 2 * year + 20_000,
        base,
    ]
    .into_iter()
    .enumerate()
    {
        // `udp4` stamps its frame 20 ms after the previous one.
        p.ts_us = at - 20_000;
        p.udp4(([10, 0, 0, 5], 40000 + i as u16), ([10, 0, 0, 9], 53), b"x");
    }
    let dir = tempfile::tempdir().unwrap();
    let r = report_json(&p.save(dir.path(), "jumps.pcap"));
    assert_eq!(r["capture"]["packets"], 5);
    assert_eq!(r["flows"].as_array().unwrap().len(), 5);
    let first = r["capture"]["first_timestamp"].as_str().unwrap();
    let last = r["capture"]["last_timestamp"].as_str().unwrap();
    // The span is earliest to latest, as capinfos gives it, not first to last.
    assert!(
        first.starts_with("2022-11-14") && last.starts_with("2025-11-13"),
        "{first} {last}"
    );
}

/// A pcapng file with a million interfaces (each a 20-byte block) and one
/// packet on the last: read to the end, the packet on its interface's link
/// type, in bounded time (the interface table grows with the file, 24
/// bytes an interface).
#[test]
fn a_million_pcapng_interfaces() {
    let block = |kind: u32, body: &[u8]| {
        let total = (12 + body.len()) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&total.to_le_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&total.to_le_bytes());
        b
    };
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut file = block(0x0A0D_0D0A, &shb);
    let idb = block(1, &[1, 0, 0, 0, 0xff, 0xff, 0, 0]);
    for _ in 0..1_000_000 {
        file.extend_from_slice(&idb);
    }
    let frame = {
        let mut out = Vec::new();
        etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([10, 0, 0, 5], [10, 0, 0, 9], 64)
            .udp(40000, 53)
            .write(&mut out, b"x")
            .unwrap();
        out
    };
    let mut epb = 999_999u32.to_le_bytes().to_vec();
    for word in [0u32, 0, frame.len() as u32, frame.len() as u32] {
        epb.extend_from_slice(&word.to_le_bytes());
    }
    epb.extend_from_slice(&frame);
    epb.resize(epb.len().next_multiple_of(4), 0);
    file.extend_from_slice(&block(6, &epb));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interfaces.pcapng");
    std::fs::write(&path, &file).unwrap();
    let started = std::time::Instant::now();
    let r = report_json(&path);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(r["capture"]["packets"], 1);
    assert_eq!(r["flows"].as_array().unwrap().len(), 1);
    assert!(r["capture"]["truncated"].is_null());
}

/// Runs teleprobe under `sh` with a file-size limit of `blocks` 512-byte
/// blocks and SIGXFSZ ignored, so a write past it fails with EFBIG, as
/// on a full disk, instead of killing the process.
fn run_with_file_limit(blocks: u32, args: &[&str]) -> std::process::Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec '{}' {}",
            env!("CARGO_BIN_EXE_teleprobe"),
            quoted.join(" ")
        ))
        .output()
        .unwrap()
}

/// JSON lines onto a disk that fills up: exit 2 naming the file, and the
/// file holds whole lines only (the line that did not fit was cut off).
#[test]
fn json_lines_on_a_full_disk_keep_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.jsonl");
    // 64 blocks (32 KiB): some of the 24 calls' lines fit.
    let ran = run_with_file_limit(
        64,
        &[
            "analyze",
            "--quiet",
            "-o",
            out.to_str().unwrap(),
            &capture(),
        ],
    );
    assert_eq!(ran.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(stderr.contains(out.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("too large"), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.is_empty() && text.len() <= 32768, "{}", text.len());
    assert!(text.ends_with('\n'));
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
}

/// Parquet tables that cannot be written (the disk fills up): exit 2
/// naming the folder, and no table left half-written under its name.
#[cfg(feature = "tables")]
#[test]
fn tables_on_a_full_disk_are_an_error_and_never_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables");
    let ran = run_with_file_limit(
        2,
        &[
            "analyze",
            "--quiet",
            "--parquet",
            tables.to_str().unwrap(),
            &capture(),
        ],
    );
    assert_eq!(ran.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(
        stderr.contains(&format!("cannot write tables to {}", tables.display())),
        "{stderr}"
    );
    for entry in std::fs::read_dir(&tables).unwrap() {
        let path = entry.unwrap().path();
        // Whatever is there under a table's name is a whole, readable table.
        teleprobe_tables::read_parquet(&path)
            .unwrap_or_else(|e| panic!("{} is half-written: {e}", path.display()));
    }
    // A folder that cannot be made: the same message, at once.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, "").unwrap();
    let out = run(&[
        "analyze",
        "--quiet",
        "--parquet",
        blocked.join("t").to_str().unwrap(),
        &capture(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write tables to"));
}

/// The spill file cannot be made (TMPDIR gone): the flows and calls stay
/// in memory, the report is whole and says why nothing was written out.
#[test]
fn an_unusable_spill_folder_loses_no_flow() {
    let mut p = Pcap::new(ETHERNET);
    // More flows than the store holds before it spills (4,096).
    for i in 0..5_000u32 {
        let port = 1024 + (i % 60_000) as u16;
        p.udp4(
            ([10, 1, (i >> 8) as u8, i as u8], port),
            ([10, 0, 0, 9], 9),
            b"x",
        );
    }
    // More calls than the call store holds before it writes out (64):
    // RTP streams whose signaling the capture does not show, a call each.
    for call in 0..100u16 {
        for seq in 0..8u16 {
            p.udp4(
                ([10, 2, 0, 1], 20_000 + 2 * call),
                ([10, 2, 0, 2], 30_000 + 2 * call),
                &common::rtp(0, seq, 0x1000 + u32::from(call), &[0xd5; 160]),
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let capture = p.save(dir.path(), "many.pcap");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["analyze", "--json", "--quiet"])
        .arg(&capture)
        .env("TMPDIR", dir.path().join("gone"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["flows"].as_array().unwrap().len(), 5_100);
    assert_eq!(r["calls"].as_array().unwrap().len(), 100);
    let notes = r["capture"]["notes"].to_string();
    assert!(
        notes.contains("cannot create a temporary file for flows"),
        "{notes}"
    );
    assert!(
        notes.contains("cannot create a temporary file for calls, so every call stays in memory"),
        "{notes}"
    );
}

/// Killed with SIGKILL at any moment while streaming JSON lines: the file
/// holds whole lines only, however far it got.
#[test]
fn json_lines_killed_at_any_moment_hold_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let captures: Vec<String> = [
        "sip-trunk.pcap",
        "sip-two-calls.pcap",
        "turn-relay.pcap",
        "webrtc-websocket.pcap",
        "siprec.pcap",
    ]
    .iter()
    .map(|n| common::capture(n).to_string_lossy().to_string())
    .collect();
    for (i, delay_ms) in [5u64, 20, 60, 150].into_iter().enumerate() {
        let out = dir.path().join(format!("k{i}.jsonl"));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
            .args([
                "analyze",
                "--quiet",
                "--threads",
                "1",
                "--udp-timeout",
                "1",
                "-o",
            ])
            .arg(&out)
            .args(&captures)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let Ok(text) = std::fs::read_to_string(&out) else {
            continue; // killed before the file was made
        };
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{delay_ms} ms: cut inside a line"
        );
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
    }
}

/// Standard input closed part-way through a capture (the producer died):
/// exit 2 saying the capture was cut short, and the report of what came.
#[test]
fn standard_input_closed_early() {
    let whole = std::fs::read(common::capture("sip-two-calls.pcap")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["analyze", "--json", "--quiet", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // Half the file, ending inside a packet record.
        stdin.write_all(&whole[..whole.len() / 2 + 7]).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("truncated") || stderr.contains("cut"),
        "{stderr}"
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packets = r["capture"]["packets"].as_u64().unwrap();
    assert!(packets > 0, "what came was analysed");
    assert!(r["capture"]["truncated"].is_string());
}

/// A capture replaced (renamed over) while it is read, as a rotating
/// tcpdump does: the file opened is read to its end, unchanged.
#[test]
fn a_capture_replaced_while_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.pcap");
    std::fs::copy(common::capture("sip-trunk.pcap"), &path).unwrap();
    let other = dir.path().join("other.pcap");
    std::fs::copy(common::capture("dns.pcap"), &other).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["analyze", "--json", "--quiet", "--threads", "1"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::rename(&other, &path).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sha = r["evidence"]["captures"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let trunk = common::report_json(&common::capture("sip-trunk.pcap"));
    // Either the old file was opened (read whole) or the new one was: never a mix.
    if sha == trunk["evidence"]["captures"][0]["sha256"] {
        assert_eq!(r["calls"].as_array().unwrap().len(), 24);
    } else {
        assert_eq!(
            r["capture"]["packets"],
            common::report_json(&path)["capture"]["packets"]
        );
    }
}

/// A capture still being written (tcpdump -w, read before it ends): read to
/// where it ends now, never a hang or a panic. A packet cut off by the end
/// is reported as a truncated capture (exit 2) with every whole packet
/// before it analysed; either way the evidence block's length and SHA-256
/// are those of exactly the bytes read.
#[test]
fn a_capture_that_grows_while_read() {
    use sha2::Digest;
    let whole = std::fs::read(common::capture("sip-two-calls.pcap")).unwrap();
    let all_packets =
        common::report_json(&common::capture("sip-two-calls.pcap"))["capture"]["packets"]
            .as_u64()
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.pcap");
    // A third of it, ending inside a packet record.
    let start = whole.len() / 3 + 5;
    std::fs::write(&path, &whole[..start]).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["analyze", "--json", "--quiet", "--threads", "1"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let writer = {
        let (path, rest) = (path.clone(), whole[start..].to_vec());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            for chunk in rest.chunks(997) {
                file.write_all(chunk).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packets = r["capture"]["packets"].as_u64().unwrap();
    match out.status.code() {
        Some(0) => assert_eq!(packets, all_packets, "read whole: every packet"),
        Some(2) => {
            assert!(stderr.contains("truncated"), "{stderr}");
            assert!(r["capture"]["truncated"].is_string());
            assert!(packets > 0 && packets < all_packets, "{packets}");
        }
        other => panic!("exit {other:?}: {stderr}"),
    }
    let digest = &r["evidence"]["captures"][0];
    let read = digest["bytes"].as_u64().unwrap() as usize;
    assert!(read >= start && read <= whole.len(), "{read}");
    assert_eq!(
        digest["sha256"].as_str().unwrap(),
        teleprobe::source::digest::hex(&sha2::Sha256::digest(&whole[..read])),
        "the digest is of the bytes read"
    );
}

/// A flood of new flows (300,000 UDP flows in one second, a scan or a DoS):
/// the flow table holds at most `MAX_LIVE_FLOWS`, the oldest are ended as
/// `evicted` and handed on (none lost), and the capture notes say so.
#[test]
fn a_flood_of_new_flows_keeps_the_flow_table_bounded() {
    use teleprobe::engine::{Engine, FlowSink};
    use teleprobe::facts::{DialogRecord, End, FlowRecord};
    use teleprobe::flow::MAX_LIVE_FLOWS;
    use teleprobe::source::{LinkType, RawPacket};

    #[derive(Default)]
    struct Count {
        ended: usize,
        evicted: usize,
    }
    impl FlowSink for Count {
        fn flow(&mut self, record: FlowRecord) {
            self.ended += 1;
            self.evicted += usize::from(record.end == End::Evicted);
        }
        fn dialog(&mut self, _: DialogRecord) {}
    }
    const FLOWS: usize = 300_000;
    let mut engine = Engine::new();
    let mut sink = Count::default();
    let mut most_live = 0;
    for i in 0..FLOWS {
        // 10.x.y.z:port -> 192.0.2.1:53, each a new 5-tuple, 3.3 µs apart.
        let source = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let frame = common::udp4_frame((source, 40000), ([192, 0, 2, 1], 53), b"flood");
        let packet = RawPacket {
            ts: 1_700_000_000_000_000_000 + i as i64 * 3_333,
            link: LinkType::ETHERNET,
            data: &frame,
            orig_len: frame.len() as u32,
        };
        engine.packet(packet, &mut sink);
        most_live = most_live.max(engine.live_flows());
    }
    assert_eq!(
        most_live, MAX_LIVE_FLOWS,
        "the table fills to its bound, no further"
    );
    assert_eq!(sink.evicted, FLOWS - MAX_LIVE_FLOWS);
    let (capture, _) = engine.finish(&mut sink);
    assert_eq!(
        sink.ended, FLOWS,
        "every flow is handed on, evicted or ended"
    );
    let note = capture
        .notes
        .iter()
        .find(|n| n.contains("evicted"))
        .expect("a note on eviction");
    assert!(
        note.contains(&(FLOWS - MAX_LIVE_FLOWS).to_string()),
        "{note}"
    );
}
