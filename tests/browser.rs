//! The HTML report in a real headless browser (Debian's chromium): it loads
//! without console errors or network requests, shows each call's verdict,
//! and renders to a screenshot.

mod common;

use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn html_report_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI installs chromium");
        eprintln!("skipping: no chromium");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = common::run(&[
        "analyze",
        "--quiet",
        "-o",
        html.to_str().unwrap(),
        common::capture("sip-rtp-cleartext.pcap").to_str().unwrap(),
        common::capture("webrtc-aiortc-turn.pcap").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let url = format!("file://{}", html.display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let profile = format!("--user-data-dir={}", dir.path().join("profile").display());
    let dom = Command::new(browser)
        .args(flags)
        .arg(&profile)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        text.contains("EXPOSED") && text.contains("CONDUIT-CONSISTENT"),
        "the verdicts of both calls"
    );
    assert_eq!(
        text.matches("<svg").count(),
        4,
        "per call a bandwidth chart and a sequence diagram"
    );
    assert_eq!(text.matches("aria-label=\"bandwidth of call").count(), 2);
    let log = String::from_utf8_lossy(&dom.stderr);
    for line in log.lines() {
        assert!(!line.contains("CONSOLE"), "console message: {line}");
        assert!(
            !line.contains("net::ERR"),
            "the page tried the network: {line}"
        );
    }
    let png = dir.path().join("shot.png");
    let shot = Command::new(browser)
        .args(flags)
        .arg(&profile)
        .arg("--window-size=1280,1600")
        .arg(format!("--screenshot={}", png.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(shot.status.success());
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "a rendered page, {} bytes",
        bytes.len()
    );
}
