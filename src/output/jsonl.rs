//! `--format jsonl`: one JSON object per call and per finding, written as
//! each concludes (see [`Session::settled`]) and the rest when the capture
//! ends. Each is written once: a call is known by its first flow (leaving
//! out web signaling, which may be attributed later), a finding by its id
//! and subject; streamed calls are numbered in the order they were written.
//! Lines are hash-chained: each carries its number (`seq`, from 1) and the
//! SHA-256 of the line before it (`prev`; 64 zeros for the first), and the
//! stream ends with a `checkpoint` line naming the last line's hash, so
//! `teleprobe verify` finds an edited, inserted or deleted line; a signed
//! file (`--sign`) also covers its end.

use super::private_file::open_private;
use crate::assess::catalogue::FindingId;
use crate::assess::model::{Call, Finding, LegRole};
use crate::flow::Timeouts;
use crate::report::redact::Redactor;
use crate::session::{Analysis, Session, Watcher};
use crate::time::Nanos;
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write;

/// Where JSON lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// An owner-only file.
    File(&'a str),
    Stdout,
}

impl<'a> Target<'a> {
    pub fn open(self) -> std::io::Result<Box<dyn Write>> {
        Ok(match self {
            Target::File(path) => Box::new(std::io::BufWriter::new(open_private(path)?)),
            Target::Stdout => Box::new(std::io::stdout()),
        })
    }

    /// The file's path, or "standard output".
    pub fn name(self) -> &'a str {
        match self {
            Target::File(path) => path,
            Target::Stdout => "standard output",
        }
    }
}

/// One line: `type`, its place in the chain, then the call's or finding's
/// fields in report order.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: u64,
    prev: &'a str,
    #[serde(flatten)]
    value: &'a T,
}

/// The last line: how many came before and the hash of the last of them.
#[derive(Serialize)]
struct Checkpoint {
    lines: u64,
    head: String,
}

pub struct JsonlWriter<'w> {
    out: &'w mut dyn Write,
    /// Capture time between looks for settled calls.
    every: Nanos,
    last_look: Nanos,
    /// Whether the last look left calls or findings unsettled, and how many
    /// flows had ended by then: with neither, a new look finds nothing new.
    pending: bool,
    observed: u64,
    calls_sent: HashSet<String>,
    findings_sent: HashSet<(FindingId, String)>,
    written: u64,
    /// Lines written, and the hash of the last one (hex).
    seq: u64,
    prev: String,
    /// The first write error; streaming stops there (a closed pipe).
    pub error: Option<std::io::Error>,
}

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl<'w> JsonlWriter<'w> {
    pub fn new(out: &'w mut dyn Write, timeouts: Timeouts) -> JsonlWriter<'w> {
        JsonlWriter {
            out,
            every: (timeouts.udp / 4).max(1_000_000_000),
            last_look: 0,
            pending: false,
            observed: 0,
            calls_sent: HashSet::new(),
            findings_sent: HashSet::new(),
            written: 0,
            seq: 0,
            prev: GENESIS.to_string(),
            error: None,
        }
    }

    fn write(&mut self, calls: Vec<Call>, findings: &[Finding], redactor: &Redactor) {
        for mut call in calls {
            // A SIP call is known by its dialog (trunk calls share every
            // flow of their signaling); others by their first flow.
            let key = match call.sip_call_ids.first() {
                Some(id) => format!("sip {id}"),
                None => {
                    let first_flow = call
                        .legs
                        .iter()
                        .filter(|l| l.role != LegRole::SignalingEncrypted)
                        .map(|l| l.flow)
                        .min()
                        .unwrap_or(0);
                    format!("flow {first_flow}")
                }
            };
            if self.calls_sent.insert(key) {
                self.written += 1;
                call.id = self.written;
                self.line("call", &call, redactor);
            }
        }
        for finding in findings {
            if self
                .findings_sent
                .insert((finding.id, finding.subject.clone()))
            {
                self.line("finding", finding, redactor);
            }
        }
    }

    fn line(&mut self, kind: &'static str, value: &impl Serialize, redactor: &Redactor) {
        if self.error.is_some() {
            return;
        }
        let mut json = Vec::new();
        self.seq += 1;
        let line = Line {
            kind,
            seq: self.seq,
            prev: &self.prev,
            value,
        };
        let written = redactor
            .to_json_writer(&mut json, &line, false)
            .map_err(std::io::Error::other)
            .and_then(|()| {
                json.push(b'\n');
                self.out.write_all(&json)?;
                self.out.flush()
            });
        match written {
            Ok(()) => {
                use sha2::Digest;
                self.prev = crate::source::digest::hex(&sha2::Sha256::digest(&json));
            }
            Err(e) => self.error = Some(e),
        }
    }
}

impl Watcher for JsonlWriter<'_> {
    /// Writes what has settled since the last look, at most once per
    /// `every` of capture time.
    fn poll(&mut self, session: &Session) {
        let now = session.clock();
        if self.error.is_some() || now - self.last_look < self.every {
            return;
        }
        self.last_look = now;
        let observed = session.flows_observed();
        if !self.pending && observed == self.observed {
            return;
        }
        self.observed = observed;
        let (calls, findings, pending) = session.settled();
        self.pending = pending;
        self.write(calls, &findings, session.redactor());
    }

    /// Writes every call and finding of the report not written yet.
    fn finish(&mut self, analysis: &Analysis) {
        let report = &analysis.report;
        self.write(report.calls.clone(), &report.findings, &analysis.redactor);
        let checkpoint = Checkpoint {
            lines: self.seq,
            head: self.prev.clone(),
        };
        self.line("checkpoint", &checkpoint, &analysis.redactor);
    }
}

/// Checks a JSON-lines report's chain: numbers in order from 1, each
/// `prev` the hash of the line before, a final checkpoint naming the last.
/// `Ok` with the number of lines, or the first break, said plainly.
pub fn check_chain(text: &[u8]) -> Result<u64, String> {
    use sha2::Digest;
    let mut prev = GENESIS.to_string();
    let mut count = 0u64;
    let mut last_kind = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        count += 1;
        let value: serde_json::Value =
            serde_json::from_slice(line).map_err(|e| format!("line {count} is not JSON ({e})"))?;
        if value["seq"].as_u64() != Some(count) {
            return Err(format!(
                "line {count} says it is line {}: a line before it was removed or inserted",
                value["seq"]
            ));
        }
        if value["prev"].as_str() != Some(prev.as_str()) {
            return Err(format!(
                "line {count} does not follow line {}: one of them was altered",
                count - 1
            ));
        }
        if value["type"] == "checkpoint"
            && (value["lines"].as_u64() != Some(count - 1)
                || value["head"].as_str() != Some(prev.as_str()))
        {
            return Err(format!(
                "the checkpoint at line {count} does not match the lines before it"
            ));
        }
        last_kind = value["type"].as_str().unwrap_or("").to_string();
        prev = crate::source::digest::hex(&sha2::Sha256::digest(line));
    }
    if last_kind != "checkpoint" {
        return Err(format!(
            "no checkpoint after line {count}: the stream was cut short (or the run did not finish)"
        ));
    }
    Ok(count)
}
