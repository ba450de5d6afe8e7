//! `live --metrics ADDR`: Prometheus text exposition (format 0.0.4) on
//! `/metrics`, from a small blocking HTTP listener on a thread of its own,
//! so the monitoring a hospital already runs can scrape a sensor's health:
//! packets and bytes analysed, malformed and other packets, libpcap's
//! received and dropped counters, live and ended flows, the calls
//! concluded by verdict and platform, the findings by id and severity,
//! flows spilled to disk, output errors and bytes waiting to be written.
//! Binds to loopback unless told otherwise; never blocks the capture (the
//! text is rendered on the capture thread at most once a second and only
//! read by the listener). Serves counts, never identifiers.

use crate::session::{Analysis, Session, Watcher};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the concluded calls and findings are assessed again.
const ASSESS_EVERY: Duration = Duration::from_secs(5);

/// Starts the listener; the address must be loopback unless `public`.
pub fn serve(address: &str, public: bool) -> Result<(Metrics, SocketAddr), String> {
    let addr: SocketAddr = address.parse().map_err(|_| {
        format!("--metrics {address}: give an address and port, e.g. 127.0.0.1:9469")
    })?;
    if !addr.ip().is_loopback() && !public {
        return Err(format!(
            "--metrics {address} is not a loopback address: metrics would be readable from the network; add --metrics-public if that is intended"
        ));
    }
    let listener = TcpListener::bind(addr).map_err(|e| {
        format!("cannot serve metrics on {address}: {e}; choose another address with --metrics")
    })?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    // Until the first rendering: up, and nothing counted yet.
    let counters = String::from("teleprobe_up 1\n");
    let text = Arc::new(Mutex::new(counters.clone()));
    let shared = text.clone();
    std::thread::Builder::new()
        .name("teleprobe-metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream, &shared);
            }
        })
        .map_err(|e| format!("cannot start the metrics thread: {e}"))?;
    Ok((
        Metrics {
            text,
            rendered: None,
            assessed: None,
            counters,
            concluded: String::new(),
        },
        bound,
    ))
}

/// One request: `GET /metrics` gets the exposition, anything else 404.
fn answer(mut stream: std::net::TcpStream, text: &Mutex<String>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut request = Vec::with_capacity(512);
    let mut buf = [0u8; 512];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let line = request.split(|&b| b == b'\r').next().unwrap_or(&[]);
    let (status, body) = if line.starts_with(b"GET /metrics ") || line == b"GET /metrics" {
        ("200 OK", text.lock().map(|t| t.clone()).unwrap_or_default())
    } else {
        ("404 Not Found", "teleprobe serves /metrics\n".to_string())
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

pub struct Metrics {
    text: Arc<Mutex<String>>,
    rendered: Option<Instant>,
    assessed: Option<Instant>,
    /// The counters part, from the last rendering.
    counters: String,
    /// The calls and findings part, from the last assessment.
    concluded: String,
}

/// One metric family: help, type, then its samples.
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn plain(value: u64) -> Vec<(String, u64)> {
    vec![(String::new(), value)]
}

/// Calls by verdict and platform (those concluded, counted as they were,
/// and `open` ones), findings by id and severity.
fn concluded(
    tally: &crate::assess::calls::store::Tally,
    open: &[crate::report::model::Call],
    findings: &[crate::report::model::Finding],
) -> String {
    let mut by_call = tally.clone();
    for c in open {
        let platform = c.platform.as_ref().map_or("unknown", |p| p.name.as_str());
        *by_call
            .entry((c.verdict.name(), platform.to_string()))
            .or_default() += 1;
    }
    let mut by_finding: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for f in findings {
        *by_finding
            .entry((f.id.name(), f.severity.name()))
            .or_default() += 1;
    }
    let mut out = String::new();
    family(
        &mut out,
        "teleprobe_calls_concluded",
        "gauge",
        "Calls concluded so far, by verdict and platform.",
        &by_call
            .iter()
            .map(|((v, p), n)| {
                (
                    format!("{{verdict=\"{}\",platform=\"{}\"}}", label(v), label(p)),
                    *n,
                )
            })
            .collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "teleprobe_findings",
        "gauge",
        "Distinct findings concluded so far, by id and severity.",
        &by_finding
            .iter()
            .map(|((id, s), n)| (format!("{{id=\"{id}\",severity=\"{s}\"}}"), *n))
            .collect::<Vec<_>>(),
    );
    out
}

impl Metrics {
    fn render(&mut self, session: &Session) {
        let stats = &session.engine.stats;
        let mut out = String::new();
        family(
            &mut out,
            "teleprobe_up",
            "gauge",
            "1 while the sensor runs.",
            &plain(1),
        );
        family(
            &mut out,
            "teleprobe_build_info",
            "gauge",
            "The build, in its labels.",
            &[(format!("{{version=\"{}\"}}", env!("CARGO_PKG_VERSION")), 1)],
        );
        family(
            &mut out,
            "teleprobe_packets_total",
            "counter",
            "Packets analysed.",
            &plain(stats.packets),
        );
        family(
            &mut out,
            "teleprobe_bytes_total",
            "counter",
            "Bytes of the packets analysed (on the wire).",
            &plain(stats.bytes),
        );
        family(
            &mut out,
            "teleprobe_packets_malformed_total",
            "counter",
            "Packets that could not be read (counted, not analysed).",
            &plain(stats.malformed),
        );
        family(
            &mut out,
            "teleprobe_packets_other_total",
            "counter",
            "Packets that are not UDP or TCP over IP (ARP, ICMP, 802.11 management...).",
            &plain(stats.other),
        );
        if let Some(s) = &session.source_stats {
            family(
                &mut out,
                "teleprobe_capture_received_packets_total",
                "counter",
                "Packets libpcap received.",
                &plain(s.received),
            );
            family(
                &mut out,
                "teleprobe_capture_kernel_dropped_packets_total",
                "counter",
                "Packets dropped because the capture buffer was full.",
                &plain(s.dropped),
            );
            family(
                &mut out,
                "teleprobe_capture_interface_dropped_packets_total",
                "counter",
                "Packets dropped by the interface or its driver.",
                &plain(s.interface_dropped),
            );
        }
        family(
            &mut out,
            "teleprobe_flows_live",
            "gauge",
            "Flows running now.",
            &plain(session.engine.live_flows() as u64),
        );
        family(
            &mut out,
            "teleprobe_flows_ended_total",
            "counter",
            "Flows that ended and were assessed.",
            &plain(session.flows_observed()),
        );
        family(
            &mut out,
            "teleprobe_flows_spilled_total",
            "counter",
            "Ended flows written to the temporary spill file instead of held in memory.",
            &plain(session.flows_spilled()),
        );
        let health = &session.output_health;
        family(
            &mut out,
            "teleprobe_output_errors_total",
            "counter",
            "Writes of rotated JSON lines or per-period tables that failed (kept and tried again; the log says why).",
            &plain(health.errors),
        );
        family(
            &mut out,
            "teleprobe_output_pending_bytes",
            "gauge",
            "Bytes held in memory because their output could not be written yet.",
            &[
                ("{output=\"jsonl\"}".to_string(), health.pending_jsonl_bytes),
                (
                    "{output=\"tables\"}".to_string(),
                    health.pending_table_bytes,
                ),
            ],
        );
        self.counters = out;
        self.publish();
    }

    /// Hands the listener the counters and the calls and findings.
    fn publish(&self) {
        if let Ok(mut text) = self.text.lock() {
            *text = format!("{}{}", self.counters, self.concluded);
        }
    }
}

impl Watcher for Metrics {
    fn poll(&mut self, session: &mut Session) {
        if self
            .rendered
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        if self.assessed.is_none_or(|t| t.elapsed() >= ASSESS_EVERY) {
            let (calls, findings, _) = session.settled();
            self.concluded = concluded(session.concluded_tally(), &calls, &findings);
            self.assessed = Some(Instant::now());
        }
        self.render(session);
        self.rendered = Some(Instant::now());
    }

    /// The final counts: a scrape between the end of the capture and the
    /// exit sees the whole report.
    fn finish(&mut self, analysis: &Analysis) {
        self.concluded = concluded(
            analysis.report.calls.tally(),
            &[],
            &analysis.report.findings,
        );
        self.publish();
    }
}
