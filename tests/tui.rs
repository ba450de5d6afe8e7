//! The terminal UI: every view rendered into ratatui's TestBackend from the
//! same model the reports use, with the buffer's text asserted; and the real
//! binary driven in tmux (send-keys, capture-pane), as a user would.

mod common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::process::Command;
use std::time::{Duration, Instant};
use teleprobe::session::{Options, Session, Snapshot};
use teleprobe::source::FileSource;
use teleprobe::tui::{App, Status, Tab, draw};

fn snapshot(names: &[&str]) -> Snapshot {
    let mut session = Session::new(&Options::default());
    for name in names {
        let mut source = FileSource::open(common::capture(name).to_str().unwrap()).unwrap();
        while session.step(&mut source).unwrap() {}
    }
    session.snapshot(1000)
}

fn screen(app: &App, model: &Snapshot) -> String {
    let mut terminal = Terminal::new(TestBackend::new(160, 40)).unwrap();
    let status = Status {
        source: "test.pcap".into(),
        packets: model.packets,
        received: Some(10),
        dropped: Some(0),
        rate: 1234.0,
        ..Status::default()
    };
    terminal.draw(|f| draw(f, app, model, &status)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn key(app: &mut App, model: &Snapshot, code: KeyCode) {
    app.key(KeyEvent::new(code, KeyModifiers::NONE), model);
}

#[test]
fn calls_view_shows_verdicts_paths_and_status() {
    let model = snapshot(&["sip-rtp-cleartext.pcap", "webrtc-aiortc-turn.pcap"]);
    let text = screen(&App::default(), &model);
    assert!(text.contains("Calls (2)"), "{text}");
    assert!(
        text.contains("EXPOSED") && text.contains("CONDUIT-CONSISTENT"),
        "{text}"
    );
    assert!(text.contains("relayed via 127.0.0.1:3478"), "{text}");
    assert!(
        text.contains("0/2 encrypted") && text.contains("3/3 encrypted"),
        "{text}"
    );
    assert!(
        text.contains("received 10  dropped 0"),
        "drops are always shown: {text}"
    );
    assert!(
        !text.contains("Jane Patient"),
        "the TUI shows the redacted model"
    );
}

#[test]
fn calls_view_names_the_platform_and_its_baa() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = common::Pcap::new(common::ETHERNET);
    let (client, server) = (([192, 168, 1, 20], 50000), ([198, 51, 100, 7], 3478));
    p.udp4(client, server, &common::stun(0x0801, [1; 12], &[]));
    for seq in 0..20u16 {
        let payload = common::noise(u32::from(seq), 120);
        p.udp4(client, server, &common::rtp(111, seq, 0x1111, &payload));
    }
    let path = p.save(dir.path(), "wa.pcap");
    let mut session = Session::new(&Options::default());
    let mut source = FileSource::open(path.to_str().unwrap()).unwrap();
    while session.step(&mut source).unwrap() {}
    let model = session.snapshot(1000);
    let text = screen(&App::default(), &model);
    assert!(
        text.contains("platform (BAA)") && text.contains("WhatsApp (no)"),
        "{text}"
    );
}

#[test]
fn flows_findings_ladder_help_and_filter() {
    let model = snapshot(&["sip-rtp-cleartext.pcap"]);
    let mut app = App::default();
    key(&mut app, &model, KeyCode::Char('2'));
    assert_eq!(app.tab, Tab::Flows);
    let flows = screen(&app, &model);
    assert!(
        flows.contains("Flows (3)")
            && flows.contains("sip,sdp")
            && flows.contains("127.0.0.1:5060"),
        "{flows}"
    );
    key(&mut app, &model, KeyCode::Char('s'));
    assert!(screen(&app, &model).contains("sorted by bytes"));

    key(&mut app, &model, KeyCode::Char('3'));
    let findings = screen(&app, &model);
    assert!(
        findings.contains("CRITICAL") && findings.contains("media-cleartext"),
        "{findings}"
    );
    assert!(
        findings.contains("45 CFR 164.312(e)(1)"),
        "the selected finding's detail: {findings}"
    );

    key(&mut app, &model, KeyCode::Char('/'));
    for c in "rtcp".chars() {
        key(&mut app, &model, KeyCode::Char(c));
    }
    key(&mut app, &model, KeyCode::Enter);
    let filtered = screen(&app, &model);
    assert!(
        filtered.contains("Findings (1)") && filtered.contains("rtcp-sdes-exposed"),
        "{filtered}"
    );
    key(&mut app, &model, KeyCode::Esc);
    assert!(
        app.filter.is_empty() && !app.quit,
        "Esc clears the filter first"
    );

    key(&mut app, &model, KeyCode::Char('1'));
    key(&mut app, &model, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Ladder);
    let ladder = screen(&app, &model);
    assert!(
        ladder.contains("──▶ INVITE") && ladder.contains("◀── 180 Ringing"),
        "{ladder}"
    );
    assert!(ladder.contains("RTP 0xdee0ee8f starts"), "{ladder}");
    assert!(ladder.contains("Verdict exposed"), "{ladder}");

    key(&mut app, &model, KeyCode::Char('?'));
    assert!(screen(&app, &model).contains("Help"));
    key(&mut app, &model, KeyCode::Char('x'));
    assert!(!app.help);
    key(&mut app, &model, KeyCode::Char('q'));
    assert!(app.quit);
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux");
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn wait_for(session: &str, text: &str) -> String {
    let started = Instant::now();
    loop {
        let pane = tmux(&["capture-pane", "-p", "-t", session]);
        if pane.contains(text) {
            return pane;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{text:?} never appeared:\n{pane}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// GET /metrics on loopback `port`, the body.
fn scrape(port: u16) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[test]
fn real_binary_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI installs tmux");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("tui.json");
    let session = format!("teleprobe-test-{}", std::process::id());
    // A free port for `--metrics`.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let command = format!(
        "{} tui --metrics 127.0.0.1:{port} -o {} {}",
        env!("CARGO_BIN_EXE_teleprobe"),
        report.display(),
        common::capture("sip-rtp-cleartext.pcap").display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "160",
        "-y",
        "40",
        &command,
    ]);
    let calls = wait_for(&session, "EXPOSED");
    assert!(
        calls.contains("(end of capture)") || calls.contains("packets"),
        "{calls}"
    );
    // `tui --metrics` serves what the view shows: the whole replay.
    let packets =
        common::report_json(&common::capture("sip-rtp-cleartext.pcap"))["capture"]["packets"]
            .as_u64()
            .unwrap();
    let started = Instant::now();
    loop {
        let text = scrape(port);
        if text.contains(&format!("teleprobe_packets_total {packets}\n")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{text}");
        std::thread::sleep(Duration::from_millis(300));
    }
    tmux(&["send-keys", "-t", &session, "3"]);
    wait_for(&session, "media-cleartext");
    tmux(&["send-keys", "-t", &session, "1", "Enter"]);
    wait_for(&session, "INVITE");
    tmux(&["send-keys", "-t", &session, "q"]);
    let started = Instant::now();
    while !report.exists() || std::fs::metadata(&report).unwrap().len() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no report after q"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    tmux(&["kill-session", "-t", &session]);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["calls"][0]["verdict"], "exposed");
}

#[test]
fn live_tui_shows_three_calls_as_they_happen() {
    if !common::is_root() || Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root with tmux"
        );
        return;
    }
    let session = format!("teleprobe-live-{}", std::process::id());
    let filter =
        "udp and (port 5060 or portrange 16000-18001 or port 3478 or portrange 42000-65000)";
    let command = format!(
        "{} tui -i lo --filter '{filter}'",
        env!("CARGO_BIN_EXE_teleprobe")
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "170",
        "-y",
        "40",
        &command,
    ]);
    wait_for(&session, "live:lo");
    common::inject(
        &[
            "sip-rtp-cleartext.pcap",
            "webrtc-aiortc.pcap",
            "webrtc-aiortc-turn.pcap",
        ],
        Duration::from_micros(200),
    );
    let injected = Instant::now();
    let screen = wait_for(&session, "Calls (3)");
    let shown_after = injected.elapsed();
    eprintln!("three calls on screen {shown_after:?} after the last packet");
    assert!(shown_after < Duration::from_secs(3), "{shown_after:?}");
    assert!(
        screen.contains("EXPOSED") && screen.contains("CONDUIT-CONSISTENT"),
        "{screen}"
    );
    assert!(
        screen.contains("relayed") && screen.contains("dropped 0"),
        "{screen}"
    );
    tmux(&["send-keys", "-t", &session, "q"]);
    std::thread::sleep(Duration::from_millis(500));
    tmux(&["kill-session", "-t", &session]);
}

#[test]
fn flow_rate_sparklines_follow_successive_snapshots() {
    let mut session = Session::new(&Options::default());
    let mut source =
        FileSource::open(common::capture("sip-rtp-cleartext.pcap").to_str().unwrap()).unwrap();
    let mut app = App::default();
    for _ in 0..4 {
        for _ in 0..150 {
            session.step(&mut source).unwrap();
        }
        app.observe(&session.snapshot(100));
    }
    let model = session.snapshot(100);
    app.observe(&model);
    let media = model
        .flows
        .iter()
        .find(|f| f.protocols.contains(&"rtp"))
        .unwrap();
    let line = app.sparkline(media.id);
    assert_eq!(
        line.chars().count(),
        3,
        "four snapshots, three intervals: {line}"
    );
    assert!(line.contains('█'), "{line}");
    key(&mut app, &model, KeyCode::Char('2'));
    let text = screen(&app, &model);
    assert!(text.contains("rate") && text.contains(&line), "{text}");
    key(&mut app, &model, KeyCode::Char('1'));
    assert!(screen(&app, &model).contains("pkt rate"));
}

/// The Wi-Fi view lists the networks of an 802.11 capture with their class
/// and findings, pseudonymised, and the selected network's clients.
#[test]
fn the_wifi_view_shows_networks_and_their_clients() {
    let model = snapshot(&["wifi-clinic.pcap"]);
    assert_eq!(model.wireless.networks.len(), 3);
    let mut app = App::default();
    app.key(
        ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Char('5')),
        &model,
    );
    assert_eq!(app.tab, Tab::Wireless);
    let open = model
        .wireless
        .networks
        .iter()
        .position(|n| n.class == "open")
        .unwrap();
    app.selected[4] = open;
    let text = screen(&app, &model);
    assert!(text.contains("Wi-Fi networks (3)"), "{text}");
    assert!(text.contains("wpa2-enterprise") && text.contains("wpa2-psk"));
    assert!(text.contains("wifi-open-network"));
    assert!(!text.contains("ClinicStaff"), "SSIDs are pseudonymised");
    let phone = model
        .wireless
        .clients
        .iter()
        .find(|c| !c.addresses.is_empty())
        .unwrap();
    assert!(text.contains(&format!("{}: chose -", phone.mac)), "{text}");
}

/// NO_COLOR or `--color never`: the same text, no colour anywhere; the
/// exposed verdict is red otherwise.
#[test]
fn colour_can_be_turned_off() {
    use ratatui::style::Color;
    let model = snapshot(&["sip-rtp-cleartext.pcap"]);
    let colours = |colour: bool| {
        let mut app = App::default();
        app.colour = colour;
        let mut terminal = Terminal::new(TestBackend::new(160, 40)).unwrap();
        terminal
            .draw(|f| draw(f, &app, &model, &Status::default()))
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        let text = screen(&app, &model);
        let coloured = buffer
            .content
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count();
        let red = buffer.content.iter().any(|c| c.fg == Color::Red);
        (text, coloured, red)
    };
    let (with, coloured, red) = colours(true);
    assert!(coloured > 0 && red, "the exposed verdict is red");
    let (without, none, _) = colours(false);
    assert_eq!(none, 0);
    assert_eq!(with, without, "the same screen");
}
