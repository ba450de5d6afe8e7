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

/// `--rotate-seconds`: JSON lines into a file per period of capture time.
/// The file being written is hidden (`.NAME.partial`, owner-only); when
/// its period ends it gets its closing checkpoint, is synced and renamed
/// to `STEM-TIME.jsonl`, so a shipper or DuckDB never reads a half-written
/// file. Each file is a chain of its own. `keep` closed files at most
/// (the oldest are removed).
pub struct Rotation {
    dir: std::path::PathBuf,
    stem: String,
    every: Nanos,
    keep: Option<usize>,
    current: Option<(
        std::io::BufWriter<std::fs::File>,
        std::path::PathBuf,
        std::path::PathBuf,
    )>,
    started: Nanos,
    closed: std::collections::VecDeque<std::path::PathBuf>,
    /// The capture time of the last look, to name the next file.
    clock: Nanos,
    /// Signs each file as it is closed (`--sign`).
    signer: Option<super::signing::Signer>,
}

impl Rotation {
    pub fn new(path: &str, every_seconds: u32, keep: Option<usize>) -> Rotation {
        let path = std::path::Path::new(path);
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let stem = path
            .file_stem()
            .map_or("teleprobe".into(), |s| s.to_string_lossy().into_owned());
        Rotation {
            dir,
            stem,
            every: i64::from(every_seconds.max(1)) * 1_000_000_000,
            keep,
            current: None,
            started: 0,
            closed: Default::default(),
            clock: 0,
            signer: None,
        }
    }

    /// Signs each closed file: FILE.minisig beside it.
    pub fn signed_by(mut self, signer: super::signing::Signer) -> Rotation {
        self.signer = Some(signer);
        self
    }

    /// The file being written, opened on first use for the current period.
    fn file(&mut self) -> std::io::Result<&mut std::io::BufWriter<std::fs::File>> {
        if self.current.is_none() {
            let time = crate::time::Timestamp(self.clock)
                .to_string()
                .replace([':', '.'], "-");
            let name = format!("{}-{time}.jsonl", self.stem);
            let final_path = self.dir.join(&name);
            let partial = self.dir.join(format!(".{name}.partial"));
            let file = open_private(&partial.to_string_lossy())?;
            self.started = self.clock;
            self.current = Some((std::io::BufWriter::new(file), partial, final_path));
        }
        Ok(&mut self.current.as_mut().expect("opened above").0)
    }

    /// Closes the file being written: synced, renamed into place, the
    /// oldest closed files beyond `keep` removed.
    fn close(&mut self) -> std::io::Result<()> {
        let Some((mut writer, partial, final_path)) = self.current.take() else {
            return Ok(());
        };
        writer.flush()?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&partial, &final_path)?;
        if let Some(signer) = &self.signer {
            signer.sign(&final_path).map_err(std::io::Error::other)?;
        }
        self.closed.push_back(final_path);
        while self.keep.is_some_and(|k| self.closed.len() > k) {
            if let Some(old) = self.closed.pop_front() {
                let _ = std::fs::remove_file(super::signing::signature_path(&old));
                let _ = std::fs::remove_file(old);
            }
        }
        Ok(())
    }

    fn due(&self) -> bool {
        self.current.is_some() && self.clock - self.started >= self.every
    }
}

impl Write for Rotation {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.current.as_mut() {
            Some((w, _, _)) => w.flush(),
            None => Ok(()),
        }
    }
}

/// Where the lines go: a stream given, or rotating files.
enum Out<'w> {
    Stream(&'w mut dyn Write),
    Rotating(Box<Rotation>),
}

impl Out<'_> {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Out::Stream(w) => *w,
            Out::Rotating(r) => r.as_mut(),
        }
    }
}

pub struct JsonlWriter<'w> {
    out: Out<'w>,
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
        JsonlWriter::with_out(Out::Stream(out), timeouts)
    }

    /// Lines into rotating files (see [`Rotation`]).
    pub fn rotating(rotation: Rotation, timeouts: Timeouts) -> JsonlWriter<'static> {
        JsonlWriter::with_out(Out::Rotating(Box::new(rotation)), timeouts)
    }

    fn with_out(out: Out<'w>, timeouts: Timeouts) -> JsonlWriter<'w> {
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
                let out = self.out.writer();
                out.write_all(&json)?;
                out.flush()
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
        if let Out::Rotating(r) = &mut self.out {
            r.clock = now;
            if r.due() && self.error.is_none() {
                self.checkpoint(session.redactor());
                self.end_file();
            }
        }
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
        self.checkpoint(&analysis.redactor);
        self.end_file();
    }
}

impl JsonlWriter<'_> {
    /// The chain's closing line: how many lines came before, the last one's hash.
    fn checkpoint(&mut self, redactor: &Redactor) {
        let checkpoint = Checkpoint {
            lines: self.seq,
            head: self.prev.clone(),
        };
        self.line("checkpoint", &checkpoint, redactor);
    }

    /// Ends the current rotating file; the next line starts a new chain.
    fn end_file(&mut self) {
        if let Out::Rotating(r) = &mut self.out {
            if let Err(e) = r.close() {
                self.error.get_or_insert(e);
            }
            self.seq = 0;
            self.prev = GENESIS.to_string();
        }
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
