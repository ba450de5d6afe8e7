//! Evidence that holds up: every report's evidence block (capture SHA-256
//! as `sha256sum` prints it, even for a file cut short; the data judged
//! with; the pseudonym key commitment), and signed reports: `keygen`,
//! `analyze --sign`, `verify` passing on an untouched report and failing,
//! with the reason, on one changed byte, a changed capture, another key and
//! a damaged signature. Debian's minisign, when installed, checks the same
//! signature independently.

mod common;

use common::*;
use std::path::Path;

fn sha256sum(path: &Path) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A temporary folder holding a fresh key pair, `k.key` and `k.key.pub`.
fn keyed_folder() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    run_ok(&["keygen", "-o", key.to_str().unwrap()]);
    (dir, key)
}

/// What a forger does: new bytes under `name`, the original's signature
/// copied beside them.
fn forge(d: &Path, original: &str, name: &str, bytes: &[u8]) {
    std::fs::write(d.join(name), bytes).unwrap();
    std::fs::copy(
        d.join(format!("{original}.minisig")),
        d.join(format!("{name}.minisig")),
    )
    .unwrap();
}

fn verify(dir: &Path, key: &str, report: &str, captures: &[&Path]) -> (i32, String) {
    let mut args = vec![
        "verify".to_string(),
        "-p".into(),
        dir.join(key).to_string_lossy().into_owned(),
    ];
    args.push(dir.join(report).to_string_lossy().into_owned());
    args.extend(captures.iter().map(|c| c.to_string_lossy().into_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_evidence_block_records_the_capture_and_the_data() {
    let capture = capture("sip-rtp-cleartext.pcap");
    let r = report_json(&capture);
    let e = &r["evidence"];
    assert_eq!(e["captures"][0]["sha256"], sha256sum(&capture));
    assert_eq!(
        e["captures"][0]["bytes"],
        std::fs::metadata(&capture).unwrap().len()
    );
    let kinds: Vec<&str> = e["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["policy", "vendors", "trackers"]);
    assert_eq!(e["pseudonym_key_commitment"].as_str().unwrap().len(), 64);
    assert_eq!(e["signature"], "none");
    assert!(report_json_revealed(&capture)["evidence"]["pseudonym_key_commitment"].is_null());

    // A capture cut in the middle of a packet: reading stops early, the
    // digest is still the whole file's.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&capture).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let out = run(&["analyze", "--json", "--quiet", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["evidence"]["captures"][0]["sha256"], sha256sum(&cut));
}

#[test]
fn signed_reports_verify_and_every_tampering_fails() {
    let (dir, key) = keyed_folder();
    let d = dir.path();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions())
            & 0o777,
        0o600
    );
    let again = run(&["keygen", "-o", key.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing key is not replaced without --force"
    );
    let original = capture("sip-rtp-cleartext.pcap");
    let copy = d.join("call.pcap");
    std::fs::copy(&original, &copy).unwrap();
    for name in ["r.json", "r.html"] {
        run_ok(&[
            "analyze",
            "--quiet",
            "--sign",
            key.to_str().unwrap(),
            "-o",
            d.join(name).to_str().unwrap(),
            copy.to_str().unwrap(),
        ]);
        assert!(d.join(format!("{name}.minisig")).exists());
    }
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap();
    assert_eq!(r["evidence"]["signature"], "minisign");

    let (code, out) = verify(d, "k.key.pub", "r.json", &[&copy]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASS signature: valid")
            && out.contains("PASS capture")
            && !out.contains("FAIL"),
        "{out}"
    );
    let (code, out) = verify(d, "k.key.pub", "r.html", &[]);
    assert_eq!(code, 0, "{out}");

    // `./run test` installs Debian's minisign; a checkout without it skips
    // this independent check (CI has it).
    if std::process::Command::new("minisign")
        .arg("-v")
        .output()
        .is_ok()
    {
        let out = std::process::Command::new("minisign")
            .args([
                "-Vm",
                d.join("r.json").to_str().unwrap(),
                "-p",
                key.with_extension("key.pub").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "Debian's minisign: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("teleprobe/1 file=r.json sha256="));
    }

    // One changed byte in the report.
    let mut bytes = std::fs::read(d.join("r.json")).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    forge(d, "r.json", "changed.json", &bytes);
    let (code, out) = verify(d, "k.key.pub", "changed.json", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL signature: Signature verification failed"),
        "{out}"
    );

    // A changed capture.
    let mut pcap = std::fs::read(&copy).unwrap();
    let last = pcap.len() - 1;
    pcap[last] ^= 0xff;
    std::fs::write(&copy, &pcap).unwrap();
    let (code, out) = verify(d, "k.key.pub", "r.json", &[&copy]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("PASS signature")
            && out.contains("FAIL capture")
            && out.contains("the file changed"),
        "{out}"
    );

    // Another key.
    let other = d.join("other.key");
    run_ok(&["keygen", "-o", other.to_str().unwrap()]);
    let (code, out) = verify(d, "other.key.pub", "r.json", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL signature") && out.contains("is different from public key"),
        "{out}"
    );

    // A truncated signature.
    let sig = std::fs::read_to_string(d.join("r.json.minisig")).unwrap();
    std::fs::write(d.join("r.json.minisig"), &sig[..sig.len() / 2]).unwrap();
    let (code, out) = verify(d, "k.key.pub", "r.json", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL signature"), "{out}");

    // No signature at all, or no key: unusable input.
    std::fs::remove_file(d.join("r.json.minisig")).unwrap();
    assert_eq!(verify(d, "k.key.pub", "r.json", &[]).0, 2);
    assert_eq!(verify(d, "missing.pub", "r.html", &[]).0, 2);
}

#[test]
fn a_password_protected_key_and_signing_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("p.key");
    let keygen = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .env("TELEPROBE_KEY_PASSWORD", "correct horse")
        .args(["keygen", "-o", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(keygen.status.success());
    let sign = |password: Option<&str>, extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"));
        match password {
            Some(p) => cmd.env("TELEPROBE_KEY_PASSWORD", p),
            None => cmd.env_remove("TELEPROBE_KEY_PASSWORD"),
        };
        cmd.args(["analyze", "--quiet", "--sign", key.to_str().unwrap()])
            .args(extra)
            .arg(capture("dns.pcap"))
            .output()
            .unwrap()
    };
    let out_file = dir.path().join("r.md");
    let ok = sign(Some("correct horse"), &["-o", out_file.to_str().unwrap()]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let wrong = sign(Some("wrong"), &["-o", out_file.to_str().unwrap()]);
    assert_eq!(wrong.status.code(), Some(2));
    let missing = sign(None, &["-o", out_file.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("TELEPROBE_KEY_PASSWORD"));
    let no_output = sign(Some("correct horse"), &[]);
    assert_eq!(no_output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_output.stderr).contains("give one with -o FILE"));
}

/// JSON lines are hash-chained and end in a checkpoint: a removed, edited
/// or cut line is found even where the stream was never signed whole.
#[test]
fn json_lines_are_chained_and_a_missing_line_is_found() {
    let (dir, key) = keyed_folder();
    let d = dir.path();
    let lines = d.join("r.jsonl");
    run_ok(&[
        "analyze",
        "--quiet",
        "--sign",
        key.to_str().unwrap(),
        "-o",
        lines.to_str().unwrap(),
        capture("sip-two-calls.pcap").to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&lines).unwrap();
    let parsed: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed[0]["seq"], 1);
    assert_eq!(parsed[0]["prev"], "0".repeat(64));
    let last = parsed.last().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["lines"].as_u64()),
        (Some("checkpoint"), Some(parsed.len() as u64 - 1))
    );
    let (code, out) = verify(d, "k.key.pub", "r.jsonl", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("PASS line chain: {} lines", parsed.len())),
        "{out}"
    );
    // A line removed (the signature copied along, as a forger would).
    let mut kept: Vec<&str> = text.lines().collect();
    kept.remove(1);
    forge(
        d,
        "r.jsonl",
        "cut.jsonl",
        (kept.join("\n") + "\n").as_bytes(),
    );
    let (code, out) = verify(d, "k.key.pub", "cut.jsonl", &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL line chain: line 2 says it is line 3"),
        "{out}"
    );
    // The tail cut off: no checkpoint.
    let head: Vec<&str> = text.lines().take(3).collect();
    forge(
        d,
        "r.jsonl",
        "head.jsonl",
        (head.join("\n") + "\n").as_bytes(),
    );
    let (_, out) = verify(d, "k.key.pub", "head.jsonl", &[]);
    assert!(
        out.contains("FAIL line chain: no checkpoint after line 3"),
        "{out}"
    );
}

/// `--rotate-seconds`: a file per period of capture time, each complete
/// (its own chain, ending in a checkpoint), signed as it closes, no
/// partial file left behind; `--keep` removes the oldest.
#[test]
fn rotated_json_lines_are_complete_files() {
    let (dir, key) = keyed_folder();
    let d = dir.path();
    let out = d.join("sensor.jsonl");
    // Two captures three minutes apart, read as one: calls and findings
    // settle in different periods.
    run_ok(&[
        "analyze",
        "--quiet",
        "--udp-timeout",
        "2",
        "--rotate-seconds",
        "30",
        "--sign",
        key.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        capture("sip-rtp-cleartext.pcap").to_str().unwrap(),
        capture("webrtc-aiortc-turn.pcap").to_str().unwrap(),
    ]);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    assert!(!std::fs::read_dir(d).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    }));
    let mut kinds = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("sensor-20") && name.ends_with("Z.jsonl"),
            "{name}"
        );
        let bytes = std::fs::read(f).unwrap();
        teleprobe::output::jsonl::check_chain(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (code, said) = verify(d, "k.key.pub", &name, &[]);
        assert_eq!(code, 0, "{said}");
        kinds.extend(String::from_utf8(bytes).unwrap().lines().map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        }));
    }
    assert_eq!(kinds.iter().filter(|k| *k == "call").count(), 2);
    assert_eq!(
        kinds.iter().filter(|k| *k == "checkpoint").count(),
        files.len()
    );

    // --keep 1: only the newest file stays.
    let kept = tempfile::tempdir().unwrap();
    let out = kept.path().join("s.jsonl");
    run_ok(&[
        "analyze",
        "--quiet",
        "--udp-timeout",
        "2",
        "--rotate-seconds",
        "30",
        "--keep",
        "1",
        "-o",
        out.to_str().unwrap(),
        capture("sip-rtp-cleartext.pcap").to_str().unwrap(),
        capture("webrtc-aiortc-turn.pcap").to_str().unwrap(),
    ]);
    let left: Vec<_> = std::fs::read_dir(kept.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}
