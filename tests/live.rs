//! Live capture for real: the binary opens the loopback interface through
//! libpcap, the test sends STUN over a real UDP socket to 127.0.0.1, then
//! stops the capture with SIGINT as a user's Ctrl-C would. The report must
//! be complete and valid, name the flow and protocol, and carry libpcap's
//! received/dropped counters. Needs root (CI runs as root); skipped otherwise.

mod common;

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::is_root;

fn binding_request(tid: u8) -> Vec<u8> {
    common::stun(
        0x0001,
        [tid; 12],
        &[(0x8022, b"teleprobe-live-test".to_vec())],
    )
}

/// A `teleprobe live -i lo ARGS...` capture, started: the first line of its
/// standard error (the "capturing on lo" banner) has been read.
struct Live {
    child: std::process::Child,
    stderr: BufReader<std::process::ChildStderr>,
    banner: String,
}

fn start_live(args: &[&str], stdout: Stdio) -> Live {
    let mut child = Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["live", "-i", "lo", "--quiet"])
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    stderr.read_line(&mut banner).unwrap();
    Live {
        child,
        stderr,
        banner,
    }
}

impl Live {
    /// The address `--metrics 127.0.0.1:0` was bound to, from the banner.
    fn metrics_address(&self) -> String {
        self.banner
            .trim()
            .strip_prefix("teleprobe: metrics on http://")
            .and_then(|a| a.strip_suffix("/metrics"))
            .unwrap_or_else(|| panic!("banner: {}", self.banner))
            .to_string()
    }

    /// Sends `signal` (as Ctrl-C or a service manager would), waits for a
    /// clean exit within 10 s and returns the rest of standard error.
    fn stop(self, signal: i32) -> String {
        let (status, rest) = self.end(signal);
        assert!(status.success(), "{rest}");
        rest
    }

    /// Sends `signal`, waits for the exit within 10 s; its status and the
    /// rest of standard error.
    fn end(mut self, signal: i32) -> (std::process::ExitStatus, String) {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "capture did not stop on signal {signal}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stderr, &mut rest).unwrap();
        (status, rest)
    }
}

#[test]
fn ctrl_c_during_live_capture_leaves_a_complete_report() {
    if !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must run this test"
        );
        eprintln!("skipping: live capture needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("live.json");
    let port = 47000 + (std::process::id() % 1000) as u16;
    let filter = format!("udp port {port}");
    let live = start_live(&["-o", report.to_str().unwrap(), &filter], Stdio::null());
    assert!(live.banner.contains("capturing on lo"), "{}", live.banner);

    let receiver = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    for tid in 0..5 {
        sender
            .send_to(&binding_request(tid), ("127.0.0.1", port))
            .unwrap();
    }
    let mut buf = [0u8; 512];
    receiver
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    for _ in 0..5 {
        receiver.recv_from(&mut buf).unwrap();
    }
    // Let libpcap deliver them, then Ctrl-C.
    std::thread::sleep(Duration::from_millis(500));
    let rest = live.stop(libc::SIGINT);
    assert!(
        rest.contains("packets received"),
        "drop counters are reported: {rest}"
    );

    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["schema"], "teleprobe.report/1");
    assert_eq!(r["capture"]["files"][0], "live:lo");
    assert_eq!(r["capture"]["packets"], 5);
    let stats = &r["capture"]["interface_stats"];
    assert!(stats["received"].as_u64().unwrap() >= 5, "{stats}");
    assert_eq!(stats["dropped"], 0);
    let flows = r["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0]["server"], format!("127.0.0.1:{port}"));
    assert_eq!(flows[0]["protocols"][0], "stun");
    assert_eq!(flows[0]["stun"]["message_types"]["Binding request"], 5);
    let stun = &r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "stun-software-disclosed")
        .unwrap()["subject"];
    assert_eq!(stun, "teleprobe-live-test");
}

#[test]
fn live_errors_say_what_to_do() {
    let out = common::run(&["live", "-i", "nosuch-if0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("teleprobe devices"));
    if is_root() {
        let out = common::run(&["live", "-i", "lo", "udp portt 5"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("does not compile"));
    }
    let out = common::run(&["devices"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.starts_with("lo "))
    );
}

#[test]
fn drops_root_after_opening_the_interface() {
    if !is_root() {
        return;
    }
    let out = common::run(&["live", "-i", "lo", "--user", "no-such-user-x", "udp port 9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such user"));

    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let report = dir.path().join("r.json");
    let live = start_live(
        &[
            "--user",
            "nobody",
            "-o",
            report.to_str().unwrap(),
            "udp port 9",
        ],
        Stdio::null(),
    );
    // The capture runs as nobody now.
    let status = std::fs::read_to_string(format!("/proc/{}/status", live.child.id())).unwrap();
    let uid_line = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap()
        .to_string();
    live.stop(libc::SIGTERM);
    assert!(
        uid_line.split_whitespace().nth(1) != Some("0"),
        "{uid_line}"
    );
    assert_ne!(
        std::fs::metadata(&report).unwrap().uid(),
        0,
        "the report is written as the unprivileged user"
    );
}

#[test]
fn three_calls_on_a_live_interface() {
    if !is_root() {
        return;
    }
    let _loopback = common::LOOPBACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("calls.json");
    // The recorded calls used these ports; the filter keeps other loopback traffic out.
    let filter =
        "udp and (port 5060 or portrange 16000-18001 or port 3478 or portrange 42000-65000)";
    let live = start_live(&["-o", report.to_str().unwrap(), filter], Stdio::null());
    let sent = common::inject(
        &[
            "sip-rtp-cleartext.pcap",
            "webrtc-aiortc.pcap",
            "webrtc-aiortc-turn.pcap",
        ],
        Duration::from_micros(200),
    );
    std::thread::sleep(Duration::from_millis(500));
    live.stop(libc::SIGINT);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        r["capture"]["packets"].as_u64().unwrap() as usize,
        sent,
        "every injected frame was captured"
    );
    assert_eq!(r["capture"]["interface_stats"]["dropped"], 0);
    let mut calls: Vec<(String, String)> = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    calls.sort();
    assert_eq!(
        calls,
        [
            ("direct".to_string(), "conduit-consistent".to_string()),
            ("direct".to_string(), "exposed".to_string()),
            ("relayed".to_string(), "conduit-consistent".to_string()),
        ]
    );
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in [
        "media-cleartext",
        "signaling-cleartext",
        "relay-third-party",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
}

#[test]
fn writes_only_the_telehealth_flows_it_saw() {
    if !is_root() {
        return;
    }
    let _loopback = common::LOOPBACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let pcapng = dir.path().join("telehealth.pcapng");
    let report = dir.path().join("r.json");
    // The SIP call and the DNS lookups, both on loopback; only the call is kept.
    let filter = "(udp or tcp) and (port 53 or port 5060 or portrange 16000-18001)";
    let live = start_live(
        &[
            "--only-telehealth",
            "-w",
            pcapng.to_str().unwrap(),
            "-o",
            report.to_str().unwrap(),
            filter,
        ],
        Stdio::null(),
    );
    let sent = common::inject(
        &["dns.pcap", "sip-rtp-cleartext.pcap"],
        Duration::from_micros(200),
    );
    std::thread::sleep(Duration::from_millis(500));
    live.stop(libc::SIGINT);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["capture"]["packets"].as_u64().unwrap() as usize, sent);
    let written = teleprobe::source::read_all(pcapng.to_str().unwrap()).unwrap();
    let call =
        teleprobe::source::read_all(common::capture("sip-rtp-cleartext.pcap").to_str().unwrap())
            .unwrap();
    assert_eq!(
        written.len(),
        call.len(),
        "every frame of the call, none of the DNS"
    );
    assert!(written.iter().zip(&call).all(|(a, b)| a.data == b.data));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&pcapng).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        r["capture"]["notes"][0]
            .as_str()
            .unwrap()
            .contains(&format!("{} packets written", call.len()))
    );
}

#[test]
fn jsonl_streams_a_call_while_the_capture_runs() {
    if !is_root() {
        return;
    }
    let _loopback = common::LOOPBACK.lock().unwrap_or_else(|e| e.into_inner());
    let mut live = start_live(
        &[
            "--format",
            "jsonl",
            "--udp-timeout",
            "3",
            "udp and (port 5060 or portrange 16000-18001)",
        ],
        Stdio::piped(),
    );
    assert!(live.banner.contains("capturing on lo"), "{}", live.banner);
    // Lines as they arrive, with when they arrived.
    let stdout = BufReader::new(live.child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in stdout.lines() {
            let _ = tx.send((Instant::now(), line.unwrap()));
        }
    });
    common::inject(&["sip-rtp-cleartext.pcap"], Duration::from_millis(1));
    let injected = Instant::now();
    // The call settles one UDP timeout (3 s) after its last packet, with
    // no packet arriving meanwhile: the quiet link's clock ends the flows.
    let mut lines: Vec<serde_json::Value> = Vec::new();
    let (arrived, call) = loop {
        let (at, line) = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the call is streamed while the capture still runs");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        lines.push(v.clone());
        if v["type"] == "call" {
            break (at, v);
        }
    };
    assert!(live.child.try_wait().unwrap().is_none(), "still capturing");
    let waited = arrived.duration_since(injected);
    assert!(
        waited >= Duration::from_secs(2),
        "not before the timeout: {waited:?}"
    );
    assert_eq!(call["verdict"], "exposed");
    assert_eq!(call["kinds"][0], "sip");
    assert_eq!(call["media"].as_array().unwrap().len(), 2);
    live.stop(libc::SIGINT);
    reader.join().unwrap();
    lines.extend(
        rx.try_iter()
            .map(|(_, l)| serde_json::from_str::<serde_json::Value>(&l).unwrap()),
    );
    assert_eq!(
        lines.iter().filter(|v| v["type"] == "call").count(),
        1,
        "each call is written once"
    );
    let mut findings: Vec<(String, String)> = lines
        .iter()
        .filter(|v| v["type"] == "finding")
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let written = findings.len();
    findings.sort();
    findings.dedup();
    assert_eq!(findings.len(), written, "each finding is written once");
    let ids: Vec<&str> = findings.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "media-cleartext",
            "media-cleartext",
            "rtcp-sdes-exposed",
            "signaling-cleartext",
            "sip-identity-exposed"
        ]
    );
}

/// A scrape of GET /metrics with a plain HTTP/1.1 client over TCP.
fn scrape(address: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.contains("Content-Type: text/plain; version=0.0.4"));
    response.split_once("\r\n\r\n").unwrap().1.to_string()
}

fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.split([' ', '{']).next() == Some(name))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn metrics_are_served_while_capturing() {
    if !is_root() {
        return;
    }
    let _loopback = common::LOOPBACK.lock().unwrap_or_else(|e| e.into_inner());
    let filter = "udp and (port 5060 or portrange 16000-18001)";
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let live = start_live(
        &[
            "--metrics",
            "127.0.0.1:0",
            "--udp-timeout",
            "1",
            "-o",
            report.to_str().unwrap(),
            filter,
        ],
        Stdio::null(),
    );
    let address = live.metrics_address();
    // An idle link is rendered too (the live source wakes without packets).
    std::thread::sleep(Duration::from_millis(1500));
    let before = scrape(&address);
    assert_eq!(metric(&before, "teleprobe_up"), Some(1));
    assert_eq!(
        metric(&before, "teleprobe_packets_total"),
        Some(0),
        "{before}"
    );
    common::inject(&["sip-rtp-cleartext.pcap"], Duration::from_micros(200));
    // Rendered once a second, calls assessed every five: wait for the call.
    let started = Instant::now();
    let text = loop {
        let text = scrape(&address);
        if text.contains("teleprobe_calls_concluded{verdict=\"exposed\"") {
            break text;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{text}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(text.contains("# TYPE teleprobe_packets_total counter"));
    assert!(
        text.contains("teleprobe_findings{id=\"media-cleartext\",severity=\"critical\"}"),
        "{text}"
    );
    assert_eq!(
        metric(&text, "teleprobe_capture_kernel_dropped_packets_total"),
        Some(0)
    );
    // Quiet now: one more second and the counts are the capture's.
    std::thread::sleep(Duration::from_millis(1500));
    let text = scrape(&address);
    live.stop(libc::SIGINT);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let packets = r["capture"]["packets"].as_u64().unwrap();
    assert!(packets > 300);
    assert_eq!(
        metric(&text, "teleprobe_packets_total"),
        Some(packets),
        "{text}"
    );
    // Loopback: libpcap counts each frame twice, outgoing and incoming.
    assert_eq!(
        metric(&text, "teleprobe_capture_received_packets_total"),
        Some(2 * packets)
    );
    let exposed = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "exposed")
        .count();
    assert_eq!(
        metric(&text, "teleprobe_calls_concluded"),
        Some(exposed as u64),
        "{text}"
    );
}

#[test]
fn metrics_addresses_that_cannot_be_served_are_errors() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["live", "-i", "lo", "--metrics", &address])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot serve metrics"));
    let out = Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["live", "-i", "lo", "--metrics", "0.0.0.0:9469"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--metrics-public"));
}

/// SIGHUP re-reads the policy file: a bad one is reported and the capture
/// goes on with the previous policy; a good one judges what follows.
#[test]
fn sighup_rereads_the_policy() {
    if !is_root() {
        return;
    }
    let _loopback = common::LOOPBACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "").unwrap();
    let report = dir.path().join("r.json");
    let filter = "udp and (port 5060 or portrange 16000-18001)";
    let mut live = start_live(
        &[
            "--policy",
            policy.to_str().unwrap(),
            "-o",
            report.to_str().unwrap(),
            filter,
        ],
        Stdio::null(),
    );
    let hangup = |live: &mut Live| {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(live.child.id() as i32, libc::SIGHUP) };
        // The reload is acted on at the next packet or idle wake-up.
        let mut line = String::new();
        live.stderr.read_line(&mut line).unwrap();
        line
    };
    std::fs::write(&policy, "[severity]\nnot-a-finding = \"low\"\n").unwrap();
    let said = hangup(&mut live);
    assert!(
        said.contains("not re-read, the previous one stays"),
        "{said}"
    );
    std::fs::write(&policy, "[severity]\n\"signaling-cleartext\" = \"low\"\n").unwrap();
    let said = hangup(&mut live);
    assert!(said.contains("re-read (SIGHUP)"), "{said}");
    common::inject(&["sip-rtp-cleartext.pcap"], Duration::from_micros(200));
    std::thread::sleep(Duration::from_millis(500));
    live.stop(libc::SIGINT);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let signaling = common::findings(&r, "signaling-cleartext");
    assert_eq!(
        signaling[0]["severity"], "low",
        "judged by the re-read policy"
    );
}

/// The interface disappears mid-capture (a USB adapter pulled, a veth
/// deleted): the capture ends with a clear error, exit 2, and the report
/// of what was captured is written and says why it stopped.
#[test]
fn a_vanishing_interface_ends_the_capture_with_its_report() {
    if !is_root() {
        return;
    }
    let name = format!("tpv{}", std::process::id() % 10_000);
    let ip = |args: &[&str]| Command::new("ip").args(args).status().unwrap().success();
    if !ip(&[
        "link",
        "add",
        &name,
        "type",
        "veth",
        "peer",
        "name",
        &format!("{name}p"),
    ]) {
        return; // no veth support here
    }
    assert!(ip(&["link", "set", &name, "up"]));
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args([
            "live",
            "-i",
            &name,
            "--quiet",
            "-o",
            report.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(ip(&["link", "del", &name]));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the capture did not end"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("interface disappeared") || err.contains("cannot capture"),
        "{err}"
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert!(
        r["capture"]["truncated"]
            .as_str()
            .is_some_and(|t| t.contains(&name)),
        "{}",
        r["capture"]
    );
}

/// Waits up to 20 s for `ready` to hold of the file at `path`'s text.
fn wait_for_file(path: &std::path::Path, ready: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if ready(&text) {
            return text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}: {text}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// SIGHUP re-opens the JSON-lines file (logrotate moved it): the moved
/// file ends its chain with a checkpoint, the new one starts a chain of
/// its own, and the call after the signal is in the new file.
#[test]
fn sighup_reopens_the_json_lines_file() {
    if !is_root() {
        return;
    }
    let _loopback = common::LOOPBACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.jsonl");
    let moved = dir.path().join("calls.jsonl.1");
    let live = start_live(
        &[
            "--udp-timeout",
            "1",
            "-o",
            out.to_str().unwrap(),
            "udp and (port 5060 or portrange 16000-22004)",
        ],
        Stdio::null(),
    );
    common::inject(&["sip-rtp-cleartext.pcap"], Duration::from_micros(200));
    wait_for_file(&out, |t| t.contains("\"type\":\"call\""));
    std::fs::rename(&out, &moved).unwrap();
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(live.child.id() as i32, libc::SIGHUP) };
    let first = wait_for_file(&moved, |t| t.contains("\"type\":\"checkpoint\""));
    teleprobe::output::jsonl::check_chain(first.as_bytes()).unwrap();
    assert!(out.exists(), "re-opened under its name");
    common::inject(&["sip-two-calls.pcap"], Duration::from_micros(200));
    wait_for_file(&out, |t| t.matches("\"type\":\"call\"").count() == 2);
    live.stop(libc::SIGINT);
    let second = std::fs::read_to_string(&out).unwrap();
    teleprobe::output::jsonl::check_chain(second.as_bytes()).unwrap();
    assert_eq!(first.matches("\"type\":\"call\"").count(), 1);
    assert_eq!(second.matches("\"type\":\"call\"").count(), 2);
}

/// Per-hour (here per-second) Parquet partitions while the folder cannot
/// be written: the error is in the log and the metrics, the capture goes
/// on, and once the folder can be written every period is, nothing lost.
#[cfg(feature = "tables")]
#[test]
fn rotated_tables_wait_for_an_unwritable_folder() {
    if !is_root() {
        return;
    }
    let _loopback = common::LOOPBACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables");
    let report = dir.path().join("r.json");
    std::fs::write(&tables, "not a folder").unwrap();
    let live = start_live(
        &[
            "--udp-timeout",
            "1",
            "--rotate-seconds",
            "1",
            "--parquet",
            tables.to_str().unwrap(),
            "--metrics",
            "127.0.0.1:0",
            "-o",
            report.to_str().unwrap(),
            "udp and (port 5060 or portrange 16000-18001)",
        ],
        Stdio::null(),
    );
    let address = live.metrics_address();
    common::inject(&["sip-rtp-cleartext.pcap"], Duration::from_micros(200));
    let started = Instant::now();
    let text = loop {
        let text = scrape(&address);
        if metric(&text, "teleprobe_output_errors_total").is_some_and(|n| n >= 2) {
            break text;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{text}");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(
        text.contains("teleprobe_output_pending_bytes{output=\"tables\"}"),
        "{text}"
    );
    assert!(live.child.id() > 0);
    std::fs::remove_file(&tables).unwrap();
    // The call settles one UDP timeout after its last packet; give the
    // periods after it time to be written.
    std::thread::sleep(Duration::from_secs(4));
    let rest = live.stop(libc::SIGINT);
    assert!(rest.contains("cannot write"), "said in the log: {rest}");
    let mut calls = Vec::new();
    let mut flows = 0;
    for part in common::table_partitions(&tables) {
        let c = teleprobe_tables::read_parquet(&part.join("calls.parquet")).unwrap();
        let v = c.column("verdict").unwrap().str().unwrap().clone();
        calls.extend((0..c.height()).map(|i| v.get(i).unwrap().to_string()));
        flows += teleprobe_tables::read_parquet(&part.join("flows.parquet"))
            .unwrap()
            .height();
    }
    // Exactly the report's calls and flows: none lost while the folder
    // could not be written, none twice.
    // (The injector may deliver the media before the INVITE: then the
    // report has the media and the signaling as two calls, and so do the
    // tables.)
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let verdicts: Vec<&str> = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert!(!calls.is_empty());
    assert_eq!(calls, verdicts);
    assert_eq!(flows, r["flows"].as_array().unwrap().len());
}

/// `-w` onto a full disk: recording stops, the analysis goes on, the
/// report says so, and the exit status is 2 with the file named.
#[test]
fn recording_onto_a_full_disk_is_reported() {
    if !is_root() {
        return;
    }
    let _loopback = common::LOOPBACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let live = start_live(
        &[
            "-w",
            "/dev/full",
            "-o",
            report.to_str().unwrap(),
            "udp and (port 5060 or portrange 16000-18001)",
        ],
        Stdio::null(),
    );
    common::inject(&["sip-rtp-cleartext.pcap"], Duration::from_micros(200));
    std::thread::sleep(Duration::from_millis(800));
    let (status, rest) = live.end(libc::SIGINT);
    assert_eq!(status.code(), Some(2), "{rest}");
    assert!(
        rest.contains("/dev/full") && rest.contains("No space left"),
        "{rest}"
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["calls"][0]["verdict"], "exposed", "the analysis went on");
    assert!(r["capture"]["notes"].to_string().contains("/dev/full"));
}
