//! Drawing: a pure function of the model, the UI state and the status.

use super::{App, FlowSort, Status, TABS, Tab};
use crate::assess::catalogue::Severity;
use crate::assess::model::{CallPath, Verdict};
use crate::report::markdown::path_text;
use crate::report::model::{Call, Finding, FlowRecord};
use crate::session::Snapshot;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Cell, Clear, Paragraph, Row, Sparkline, Table, TableState, Tabs, Wrap,
};

fn verdict_style(verdict: Verdict) -> Style {
    let color = match verdict {
        Verdict::Exposed => Color::Red,
        Verdict::IntermediaryCanAccess => Color::Yellow,
        Verdict::ConduitConsistent => Color::Green,
        Verdict::Indeterminate => Color::Gray,
    };
    Style::default().fg(color).add_modifier(Modifier::BOLD)
}

fn severity_style(s: Severity) -> Style {
    let color = match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::LightRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Gray,
    };
    Style::default().fg(color)
}

fn matches(filter: &str, text: &str) -> bool {
    filter.is_empty()
        || text
            .to_ascii_lowercase()
            .contains(&filter.to_ascii_lowercase())
}

fn call_text(c: &Call) -> String {
    format!(
        "{} {} {} {} {}",
        c.verdict,
        c.path,
        c.platform.as_ref().map_or("", |p| p.name.as_str()),
        c.participants.join(" "),
        c.identities.join(" ")
    )
}

fn flow_text(f: &FlowRecord) -> String {
    let sni = f.tls.as_ref().and_then(|t| t.sni.as_deref()).unwrap_or("");
    format!(
        "{} {} {} {} {sni}",
        f.transport,
        f.client,
        f.server,
        f.protocols.join(",")
    )
}

pub fn visible_flows<'m>(app: &App, model: &'m Snapshot) -> Vec<&'m FlowRecord> {
    let mut flows: Vec<&FlowRecord> = model
        .flows
        .iter()
        .filter(|f| matches(&app.filter, &flow_text(f)))
        .collect();
    match app.sort {
        FlowSort::Id => {}
        FlowSort::Bytes => flows.sort_by_key(|f| {
            std::cmp::Reverse(f.client_to_server.bytes + f.server_to_client.bytes)
        }),
        FlowSort::Packets => flows.sort_by_key(|f| {
            std::cmp::Reverse(f.client_to_server.packets + f.server_to_client.packets)
        }),
    }
    flows
}

pub fn visible_findings<'m>(app: &App, model: &'m Snapshot) -> Vec<&'m Finding> {
    model
        .findings
        .iter()
        .filter(|f| {
            matches(
                &app.filter,
                &format!("{} {} {}", f.id, f.severity.name(), f.subject),
            )
        })
        .collect()
}

/// A call's length in seconds (also across midnight, which reading the
/// time of day from the text got wrong).
fn seconds(c: &Call) -> Option<f64> {
    let (a, b) = (c.start.micros(), c.end.micros());
    (b >= a).then_some((b - a) as f64 / 1e6)
}

fn duration(c: &Call) -> String {
    seconds(c).map_or("-".into(), |s| format!("{s:.1}s"))
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, model: &Snapshot, status: &Status) {
    let [tabs, spark, body, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let titles: Vec<&str> = TABS.iter().map(|(_, t)| *t).collect();
    let selected = TABS.iter().position(|(t, _)| *t == app.tab).unwrap_or(0);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(Style::default().add_modifier(Modifier::REVERSED)),
        tabs,
    );
    frame.render_widget(
        Sparkline::default()
            .data(&status.history)
            .style(Style::default().fg(Color::Cyan)),
        spark,
    );
    match app.tab {
        Tab::Calls => calls(frame, body, app, model),
        Tab::Flows => flows(frame, body, app, model),
        Tab::Findings => findings(frame, body, app, model),
        Tab::Ladder => ladder(frame, body, app, model),
        Tab::Wireless => wireless(frame, body, app, model),
    }
    status_bar(frame, bar, app, model, status);
    if app.help {
        help(frame);
    }
    // NO_COLOR or --color never: the same screen, its emphasis kept
    // (bold, reversed), its colours dropped.
    if !app.colour {
        for cell in frame.buffer_mut().content.iter_mut() {
            cell.set_fg(Color::Reset).set_bg(Color::Reset);
        }
    }
}

fn calls(frame: &mut Frame, area: Rect, app: &App, model: &Snapshot) {
    let rows: Vec<Row> = model
        .calls
        .iter()
        .filter(|c| matches(&app.filter, &call_text(c)))
        .map(|c| {
            // The relay or server, as the reports describe the path.
            let via = match c.path {
                CallPath::Direct => String::new(),
                _ => path_text(c),
            };
            let encrypted = c
                .media
                .iter()
                .filter(|m| m.encrypted == crate::facts::Encrypted::Yes)
                .count();
            let packets: u64 = c
                .legs
                .iter()
                .filter_map(|l| model.flows.iter().find(|f| f.id == l.flow))
                .map(|f| f.client_to_server.packets + f.server_to_client.packets)
                .sum();
            let rate = match seconds(c) {
                Some(s) if s > 0.0 => format!("{:.0}/s", packets as f64 / s),
                _ => "-".into(),
            };
            let media = if c.media.is_empty() {
                "no media".to_string()
            } else {
                format!("{encrypted}/{} encrypted", c.media.len())
            };
            Row::new(vec![
                Cell::from(c.id.to_string()),
                Cell::from(c.verdict.name().to_uppercase()).style(verdict_style(c.verdict)),
                Cell::from(c.path.name()),
                platform_cell(c),
                Cell::from(via),
                Cell::from(if c.identities.is_empty() {
                    c.participants.join(" ↔ ")
                } else {
                    c.identities.join(" → ")
                }),
                Cell::from(media),
                Cell::from(duration(c)),
                Cell::from(rate),
                Cell::from(c.findings.len().to_string()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Length(24),
            Constraint::Length(17),
            Constraint::Length(22),
            Constraint::Length(28),
            Constraint::Min(20),
            Constraint::Length(13),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
        ],
    )
    .header(
        Row::new([
            "call",
            "verdict",
            "path",
            "platform (BAA)",
            "via",
            "participants",
            "media",
            "duration",
            "pkt rate",
            "findings",
        ])
        .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .block(Block::bordered().title(format!(" Calls ({}) — Enter: ladder ", model.calls.len())))
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(app.selected[0]));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The call's platform and BAA status, red when it offers none.
fn platform_cell(c: &Call) -> Cell<'static> {
    match &c.platform {
        Some(p) => {
            let text = format!("{} ({})", p.name, p.baa.name());
            let style = match p.baa {
                crate::assess::vendors::Baa::No => Style::default().fg(Color::Red),
                crate::assess::vendors::Baa::Yes => Style::default(),
            };
            Cell::from(text).style(style)
        }
        None => Cell::from("-"),
    }
}

fn flows(frame: &mut Frame, area: Rect, app: &App, model: &Snapshot) {
    let visible = visible_flows(app, model);
    let rows: Vec<Row> = visible
        .iter()
        .map(|f| {
            let tls = f.tls.as_ref();
            Row::new(vec![
                f.id.to_string(),
                f.transport.to_string(),
                f.client.to_string(),
                f.server.to_string(),
                f.protocols.join(","),
                tls.and_then(|t| t.version)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                tls.and_then(|t| t.sni.clone())
                    .or_else(|| f.quic.as_ref().and_then(|q| q.sni.clone()))
                    .unwrap_or_default(),
                (f.client_to_server.packets + f.server_to_client.packets).to_string(),
                (f.client_to_server.bytes + f.server_to_client.bytes).to_string(),
                app.sparkline(f.id),
                f.end.to_string(),
            ])
        })
        .collect();
    let sort = match app.sort {
        FlowSort::Id => "id",
        FlowSort::Bytes => "bytes",
        FlowSort::Packets => "packets",
    };
    let table = Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Length(22),
            Constraint::Length(22),
            Constraint::Min(14),
            Constraint::Length(9),
            Constraint::Length(18),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(15),
            Constraint::Length(11),
        ],
    )
    .header(
        Row::new([
            "id",
            "l4",
            "client",
            "server",
            "protocols",
            "tls",
            "sni",
            "packets",
            "bytes",
            "rate",
            "state",
        ])
        .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .block(Block::bordered().title(format!(
        " Flows ({}) sorted by {sort} — s: sort ",
        visible.len()
    )))
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(app.selected[1]));
    frame.render_stateful_widget(table, area, &mut state);
}

fn findings(frame: &mut Frame, area: Rect, app: &App, model: &Snapshot) {
    let [list, detail] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let visible = visible_findings(app, model);
    let rows: Vec<Row> = visible
        .iter()
        .map(|f| {
            Row::new(vec![
                Cell::from(f.severity.name().to_uppercase()).style(severity_style(f.severity)),
                Cell::from(f.id.name()),
                Cell::from(f.subject.clone()),
                Cell::from(f.evidence.len().to_string()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(9),
            Constraint::Length(27),
            Constraint::Min(20),
            Constraint::Length(9),
        ],
    )
    .header(
        Row::new(["severity", "finding", "subject", "evidence"])
            .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .block(Block::bordered().title(format!(" Findings ({}) ", visible.len())))
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(app.selected[2]));
    frame.render_stateful_widget(table, list, &mut state);
    let lines: Vec<Line> = match visible.get(app.selected[2]) {
        Some(f) => {
            let mut lines = vec![
                Line::from(Span::styled(
                    format!("{} — {}", f.title, f.subject),
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(f.explanation),
                Line::from(format!("Reference: {}   Remedy: {}", f.reference, f.remedy)),
            ];
            for (k, v) in &f.values {
                lines.push(Line::from(format!("{k}: {v}")));
            }
            for e in &f.evidence {
                lines.push(Line::from(format!("{}: {}", e.place(), e.detail)));
            }
            lines
        }
        None => vec![Line::from("No findings.")],
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Evidence ")),
        detail,
    );
}

/// Wi-Fi networks (class, PMF, clients, findings) and the selected
/// network's clients: what an 802.11 capture shows.
fn wireless(frame: &mut Frame, area: Rect, app: &App, model: &Snapshot) {
    use crate::report::wireless::{CLIENT_COLUMNS, NETWORK_COLUMNS, client_row, network_row};
    let [list, detail] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let w = &model.wireless;
    let rows: Vec<Row> = w
        .networks
        .iter()
        .map(|n| {
            let cells = network_row(&model.findings, n);
            let style = match n.class {
                "open" | "wep" => Style::default().fg(Color::Red),
                c if c.contains("psk") || c == "owe" => Style::default().fg(Color::Yellow),
                _ => Style::default(),
            };
            Row::new(cells.into_iter().map(Cell::from).collect::<Vec<_>>()).style(style)
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Min(24),
            Constraint::Length(22),
            Constraint::Length(9),
            Constraint::Length(18),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Min(20),
        ],
    )
    .header(Row::new(NETWORK_COLUMNS).style(Style::default().add_modifier(Modifier::BOLD)))
    .block(Block::bordered().title(format!(" Wi-Fi networks ({}) ", w.networks.len())))
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(app.selected[4]));
    frame.render_stateful_widget(table, list, &mut state);
    let selected = w.networks.get(app.selected[4]);
    let lines: Vec<Line> = match selected {
        None if w.networks.is_empty() => vec![Line::from(
            "No 802.11 frames: capture on a monitor-mode interface (radiotap) to see networks.",
        )],
        None => vec![],
        Some(n) => {
            let mut lines = vec![Line::from(Span::styled(
                format!(
                    "{} — {}",
                    crate::report::wireless::network_name(n),
                    CLIENT_COLUMNS[1..].join(", ")
                ),
                Style::default().add_modifier(Modifier::BOLD),
            ))];
            for c in w
                .clients
                .iter()
                .filter(|c| c.bssid.as_ref() == Some(&n.bssid))
            {
                let [station, _, chose, eap, handshake, findings] = client_row(&model.findings, c);
                lines.push(Line::from(format!(
                    "{station}: chose {chose}; EAP {eap}; handshake {handshake}{}",
                    if findings.is_empty() {
                        String::new()
                    } else {
                        format!("; {findings}")
                    }
                )));
            }
            lines
        }
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Clients ")),
        detail,
    );
}

/// The ladder as text lines: `client ──▶ what  server`.
pub fn ladder_lines(call: &Call, flows: &[FlowRecord]) -> Vec<(u64, String)> {
    crate::report::ladder::events(call, flows)
        .into_iter()
        .map(|e| {
            let line = if e.to_client {
                format!("{:>22} ◀── {:<28} {}", e.client, e.label, e.server)
            } else {
                format!("{:>22} ──▶ {:<28} {}", e.client, e.label, e.server)
            };
            (e.packet, line)
        })
        .collect()
}

fn ladder(frame: &mut Frame, area: Rect, app: &App, model: &Snapshot) {
    let Some(call) = app.selected_call(model) else {
        frame.render_widget(
            Paragraph::new("No calls yet.").block(Block::bordered().title(" Call ladder ")),
            area,
        );
        return;
    };
    let mut lines = vec![
        Line::from(vec![
            Span::raw(format!("call {}  ", call.id)),
            Span::styled(
                call.verdict.name().to_uppercase(),
                verdict_style(call.verdict),
            ),
            Span::raw(format!("  path {}", call.path)),
            Span::raw(format!(
                "  platform {}",
                crate::report::markdown::platform_text(call)
            )),
        ]),
        Line::from(""),
    ];
    for (packet, text) in ladder_lines(call, &model.flows) {
        lines.push(Line::from(format!("pkt {packet:>6}  {text}")));
    }
    lines.push(Line::from(""));
    for step in &call.reasoning {
        lines.push(Line::from(format!("• {}", step.step)));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Call ladder — ↑↓: other calls ")),
        area,
    );
}

fn status_bar(frame: &mut Frame, area: Rect, app: &App, model: &Snapshot, status: &Status) {
    let drops = match (status.received, status.dropped) {
        (Some(r), Some(d)) => format!("  received {r}  dropped {d}"),
        _ => String::new(),
    };
    let filter = if app.filtering || !app.filter.is_empty() {
        format!("  /{}", app.filter)
    } else {
        String::new()
    };
    let text = format!(
        " {}  {} packets  {:.0} pkt/s{drops}  {} flows live  {}s{}{}  ? help  q quit",
        status.source,
        status.packets.max(model.packets),
        status.rate,
        model.live_flows,
        status.elapsed.as_secs(),
        if status.done {
            "  (end of capture)"
        } else {
            ""
        },
        filter
    );
    let style = if status.dropped.unwrap_or(0) > 0 {
        Style::default().bg(Color::Red)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    frame.render_widget(Paragraph::new(text).style(style), area);
}

fn help(frame: &mut Frame) {
    let area = frame.area();
    let w = 60.min(area.width);
    let h = 16.min(area.height);
    let popup = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let text = vec![
        Line::from("1-5, Tab, ←/→   switch view (calls, flows, findings, ladder, Wi-Fi)"),
        Line::from("↑/↓, j/k        move; PgUp/PgDn; g/G top/bottom"),
        Line::from("Enter           calls: open the call's ladder"),
        Line::from("/               filter rows (Enter keeps, Esc clears)"),
        Line::from("s               flows: sort by id, bytes, packets"),
        Line::from("?               this help (any key closes)"),
        Line::from("q, Esc, F10     quit (the report is written with -o)"),
        Line::from(""),
        Line::from("Verdicts: red exposed, yellow intermediary-can-access,"),
        Line::from("green conduit-consistent, grey indeterminate."),
    ];
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(text).block(Block::bordered().title(" Help ")),
        popup,
    );
}
