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
