//! `--format jsonl`: one JSON object per call and per finding, written as
//! each concludes (see [`Session::settled`]) and the rest when the capture
//! ends, each once ([`NewlySettled`]).
//! Lines are hash-chained: each carries its number (`seq`, from 1) and the
//! SHA-256 of the line before it (`prev`; 64 zeros for the first), and the
//! stream ends with a `checkpoint` line naming the last line's hash, so
//! `teleprobe verify` finds an edited, inserted or deleted line; a signed
//! file (`--sign`) also covers its end. A file holds whole lines only: a
//! line that could not be written whole is cut off again. A rotated file
//! is complete before it has its final name.

use super::private_file::open_private;
use super::settled::NewlySettled;
use crate::assess::model::{Call, Finding};
use crate::flow::Timeouts;
use crate::report::redact::Redactor;
use crate::session::{Analysis, Session, Watcher};
use crate::time::Nanos;
use serde::Serialize;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Where JSON lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// An owner-only file.
    File(&'a str),
    Stdout,
}

impl<'a> Target<'a> {
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

/// Appends whole lines to a file: a line written in part (a full disk) is
/// cut off again, so the file never ends inside a line.
struct LineFile {
    file: File,
    /// Bytes of whole lines in the file.
    length: u64,
}

impl LineFile {
    fn create(path: &Path) -> std::io::Result<LineFile> {
        let file = open_private(&path.to_string_lossy())?;
        Ok(LineFile { file, length: 0 })
    }

    /// Opens `path` to add lines after those it holds (re-opened after
    /// SIGHUP), or creates it.
    fn append(path: &Path) -> std::io::Result<LineFile> {
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        let length = file.metadata()?.len();
        Ok(LineFile { file, length })
    }

    fn write_lines(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self.file.write_all(bytes) {
            Ok(()) => {
                self.length += bytes.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Devices and pipes cannot be cut; files can.
                let _ = self.file.set_len(self.length);
                let _ = self.file.seek(SeekFrom::Start(self.length));
                Err(e)
            }
        }
    }
}

/// One rotated file: written to a hidden `.NAME.partial` beside its final
/// name while its period lasts. Lines that could not be written (the
/// folder unwritable, the disk full) wait in memory and are tried again.
struct Period {
    partial: PathBuf,
    final_path: PathBuf,
    file: Option<LineFile>,
    waiting: Vec<u8>,
    /// Bytes of the period so far, written or waiting (`--rotate-mib`).
    bytes: u64,
    started: Nanos,
}

impl Period {
    /// Writes what waits; on error it keeps waiting.
    fn write_out(&mut self) -> std::io::Result<()> {
        if self.waiting.is_empty() {
            return Ok(());
        }
        if self.file.is_none() {
            self.file = Some(LineFile::create(&self.partial)?);
        }
        let file = self.file.as_mut().expect("opened above");
        file.write_lines(&self.waiting)?;
        self.waiting.clear();
        Ok(())
    }

    /// Writes what waits, syncs and gives the file its final name.
    fn complete(&mut self) -> std::io::Result<()> {
        self.write_out()?;
        if let Some(file) = &self.file {
            file.file.sync_all()?;
            std::fs::rename(&self.partial, &self.final_path)?;
        }
        Ok(())
    }
}

/// At most this many bytes of closed periods wait in memory for a folder
/// that cannot be written; beyond it the oldest are dropped, and counted.
const WAITING_LIMIT: usize = 64 << 20;

/// `--rotate-seconds` / `--rotate-mib`: JSON lines into a file per period
/// of capture time (periods start at multiples of their length, as
/// logrotate's hourly files do) or per size, named `STEM-TIME.jsonl` by
/// the time the file started, renamed into place once complete (synced),
/// so a shipper or DuckDB never reads a half-written file. Each file is a
/// chain of its own. `keep` closed files at most (the oldest are removed).
pub struct Rotation {
    dir: PathBuf,
    stem: String,
    every: Option<Nanos>,
    max_bytes: Option<u64>,
    keep: Option<usize>,
    current: Option<Period>,
    /// Closed periods that could not be completed yet.
    unfinished: VecDeque<Period>,
    closed: VecDeque<PathBuf>,
    /// The capture time of the last look, to name the next file.
    clock: Nanos,
    /// Signs each file as it is closed (`--sign`).
    signer: Option<super::signing::Signer>,
    /// Bytes of lines dropped because too many waited.
    pub dropped_bytes: u64,
}

impl Rotation {
    pub fn new(
        path: &str,
        every_seconds: Option<u32>,
        max_mib: Option<u64>,
        keep: Option<usize>,
    ) -> Rotation {
        let path = Path::new(path);
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stem = path
            .file_stem()
            .map_or("teleprobe".into(), |s| s.to_string_lossy().into_owned());
        Rotation {
            dir,
            stem,
            every: every_seconds.map(|s| i64::from(s.max(1)) * 1_000_000_000),
            max_bytes: max_mib.map(|m| m.max(1) << 20),
            keep,
            current: None,
            unfinished: VecDeque::new(),
            closed: VecDeque::new(),
            clock: 0,
            signer: None,
            dropped_bytes: 0,
        }
    }

    /// Signs each closed file: FILE.minisig beside it.
    pub fn signed_by(mut self, signer: super::signing::Signer) -> Rotation {
        self.signer = Some(signer);
        self
    }

    /// The period being written, begun on first use.
    fn period(&mut self) -> &mut Period {
        if self.current.is_none() {
            let started = match self.every {
                Some(every) => self.clock - self.clock.rem_euclid(every),
                None => self.clock,
            };
            let time = crate::time::Timestamp(started)
                .to_string()
                .replace([':', '.'], "-");
            let mut name = format!("{}-{time}.jsonl", self.stem);
            // Size rotation can start two files in one second.
            let mut n = 1;
            while self.dir.join(&name).exists()
                || self
                    .unfinished
                    .iter()
                    .any(|p| p.final_path.ends_with(&name))
            {
                n += 1;
                name = format!("{}-{time}-{n}.jsonl", self.stem);
            }
            self.current = Some(Period {
                partial: self.dir.join(format!(".{name}.partial")),
                final_path: self.dir.join(name),
                file: None,
                waiting: Vec::new(),
                bytes: 0,
                started,
            });
        }
        self.current.as_mut().expect("begun above")
    }

    /// Adds a line to the current period and writes what waits: older
    /// unfinished periods first.
    fn push(&mut self, line: &[u8]) -> std::io::Result<()> {
        let period = self.period();
        period.waiting.extend_from_slice(line);
        period.bytes += line.len() as u64;
        self.finish_unfinished()?;
        self.current.as_mut().map_or(Ok(()), Period::write_out)
    }

    /// Completes the unfinished periods, oldest first.
    fn finish_unfinished(&mut self) -> std::io::Result<()> {
        while let Some(period) = self.unfinished.front_mut() {
            period.complete()?;
            let done = self.unfinished.pop_front().expect("looked at above");
            self.completed(done.final_path)?;
        }
        Ok(())
    }

    /// Closes the file being written: completed and renamed into place, or
    /// left to wait for a writable folder.
    fn close(&mut self) -> std::io::Result<()> {
        let Some(period) = self.current.take() else {
            return Ok(());
        };
        self.unfinished.push_back(period);
        let mut waiting: usize = self.unfinished.iter().map(|p| p.waiting.len()).sum();
        while waiting > WAITING_LIMIT && self.unfinished.len() > 1 {
            if let Some(old) = self.unfinished.pop_front() {
                waiting -= old.waiting.len();
                self.dropped_bytes += old.waiting.len() as u64;
                let _ = std::fs::remove_file(&old.partial);
            }
        }
        self.finish_unfinished()
    }

    /// A file got its final name: signed, and the oldest beyond `keep` removed.
    fn completed(&mut self, path: PathBuf) -> std::io::Result<()> {
        if let Some(signer) = &self.signer {
            signer.sign(&path).map_err(std::io::Error::other)?;
        }
        self.closed.push_back(path);
        while self.keep.is_some_and(|k| self.closed.len() > k) {
            if let Some(old) = self.closed.pop_front() {
                let _ = std::fs::remove_file(super::signing::signature_path(&old));
                let _ = std::fs::remove_file(old);
            }
        }
        Ok(())
    }

    /// Whether the file being written has had its time or its size.
    fn due(&self) -> bool {
        self.current.as_ref().is_some_and(|p| {
            self.every
                .is_some_and(|every| self.clock - p.started >= every)
                || self.max_bytes.is_some_and(|max| p.bytes >= max)
        })
    }

    /// Bytes in memory waiting for the folder.
    fn waiting_bytes(&self) -> u64 {
        self.unfinished
            .iter()
            .chain(&self.current)
            .map(|p| p.waiting.len() as u64)
            .sum()
    }
}

/// Where the lines go.
enum Out<'w> {
    /// A stream given (standard output, a pipe).
    Stream(Box<dyn Write + 'w>),
    /// A file of ours, re-opened on SIGHUP.
    File {
        path: PathBuf,
        file: LineFile,
    },
    Rotating(Box<Rotation>),
}

pub struct JsonlWriter<'w> {
    out: Out<'w>,
    settled: NewlySettled,
    /// Lines written, and the hash of the last one (hex).
    seq: u64,
    prev: String,
    /// The first error that stopped the output (a closed pipe, a file that
    /// cannot be written at the end).
    pub error: Option<std::io::Error>,
    /// Rotated files: writes that failed and will be tried again.
    failures: crate::session::Failures,
}

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl<'w> JsonlWriter<'w> {
    pub fn new(out: Box<dyn Write + 'w>, timeouts: Timeouts) -> JsonlWriter<'w> {
        JsonlWriter::with_out(Out::Stream(out), timeouts)
    }

    /// Lines into an owner-only file at `path` (created empty), re-opened
    /// on SIGHUP.
    pub fn to_file(path: &str, timeouts: Timeouts) -> std::io::Result<JsonlWriter<'static>> {
        let path = PathBuf::from(path);
        let file = LineFile::create(&path)?;
        Ok(JsonlWriter::with_out(Out::File { path, file }, timeouts))
    }

    /// Lines into `target`: one owner-only file, or standard output.
    pub fn for_target(
        target: Target<'_>,
        timeouts: Timeouts,
    ) -> std::io::Result<JsonlWriter<'static>> {
        match target {
            Target::File(path) => JsonlWriter::to_file(path, timeouts),
            Target::Stdout => Ok(JsonlWriter::new(Box::new(std::io::stdout()), timeouts)),
        }
    }

    /// Lines into rotating files (see [`Rotation`]).
    pub fn rotating(rotation: Rotation, timeouts: Timeouts) -> JsonlWriter<'static> {
        JsonlWriter::with_out(Out::Rotating(Box::new(rotation)), timeouts)
    }

    fn with_out(out: Out<'w>, timeouts: Timeouts) -> JsonlWriter<'w> {
        JsonlWriter {
            out,
            settled: NewlySettled::new(timeouts),
            seq: 0,
            prev: GENESIS.to_string(),
            error: None,
            failures: Default::default(),
        }
    }

    fn write(&mut self, (calls, findings): (Vec<Call>, Vec<Finding>), redactor: &Redactor) {
        for call in &calls {
            self.line("call", call, redactor);
        }
        for finding in &findings {
            self.line("finding", finding, redactor);
        }
    }

    fn line(&mut self, kind: &'static str, value: &impl Serialize, redactor: &Redactor) {
        if self.error.is_some() {
            return;
        }
        let mut json = Vec::new();
        let line = Line {
            kind,
            seq: self.seq + 1,
            prev: &self.prev,
            value,
        };
        if let Err(e) = redactor.to_json_writer(&mut json, &line, false) {
            self.error = Some(std::io::Error::other(e));
            return;
        }
        json.push(b'\n');
        let written = match &mut self.out {
            Out::Stream(w) => w.write_all(&json).and_then(|()| w.flush()),
            Out::File { file, .. } => file.write_lines(&json),
            Out::Rotating(r) => {
                // Kept, to be tried again: the chain goes on.
                if let Err(e) = r.push(&json) {
                    self.failed(&e);
                }
                Ok(())
            }
        };
        match written {
            Ok(()) => {
                use sha2::Digest;
                self.seq += 1;
                self.prev = crate::source::digest::hex(&sha2::Sha256::digest(&json));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// A rotated file could not be written: said once per kind of failure
    /// in the log, counted for the metrics; the capture goes on.
    fn failed(&mut self, e: &std::io::Error) {
        let said = format!(
            "cannot write JSON lines into {}: {e}; they are kept and tried again",
            match &self.out {
                Out::Rotating(r) => r.dir.display().to_string(),
                _ => String::new(),
            }
        );
        self.failures.record(said);
    }
}

impl Watcher for JsonlWriter<'_> {
    /// Closes a rotated file whose period ended, then writes what has
    /// settled since the last look.
    fn poll(&mut self, session: &mut Session) {
        if let Out::Rotating(r) = &mut self.out {
            r.clock = session.clock();
            if r.due() && self.error.is_none() {
                self.checkpoint(session.redactor());
                self.end_file();
            }
        }
        if self.error.is_none()
            && let Some(settled) = self.settled.look(session)
        {
            self.write(settled, session.redactor());
        }
        self.report_health(session);
    }

    /// Writes every call and finding of the report not written yet. A
    /// rotated file that still cannot be completed is an error now.
    fn finish(&mut self, analysis: &Analysis) {
        let rest = self.settled.rest(analysis);
        self.write(rest, &analysis.redactor);
        self.checkpoint(&analysis.redactor);
        self.end_file();
        if let Out::Rotating(r) = &mut self.out
            && let Some(path) = r.unfinished.front().map(|p| p.final_path.clone())
            && let Err(e) = r.finish_unfinished()
        {
            self.error.get_or_insert(std::io::Error::new(
                e.kind(),
                format!("{} could not be written ({e})", path.display()),
            ));
        }
    }

    /// SIGHUP: a file ends its chain and is re-opened (logrotate has moved
    /// it: a new file; else lines go on after its checkpoint, a new chain);
    /// a rotated file is closed early.
    fn hangup(&mut self, session: &mut Session) {
        if self.error.is_some() || matches!(self.out, Out::Stream(_)) {
            return;
        }
        self.checkpoint(session.redactor());
        self.end_file();
        if let Out::File { path, file } = &mut self.out {
            match LineFile::append(path) {
                Ok(reopened) => *file = reopened,
                Err(e) => self.error = Some(e),
            }
        }
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

    /// Ends the current file's chain; the next line starts a new one.
    fn end_file(&mut self) {
        match &mut self.out {
            Out::Rotating(r) => {
                if let Err(e) = r.close() {
                    self.failed(&e);
                }
            }
            Out::File { file, .. } => {
                if let Err(e) = file.file.sync_all() {
                    self.error.get_or_insert(e);
                }
            }
            Out::Stream(_) => return,
        }
        self.seq = 0;
        self.prev = GENESIS.to_string();
    }

    /// Failures and what waits in memory, for the metrics.
    fn report_health(&mut self, session: &mut Session) {
        if let Out::Rotating(r) = &self.out {
            let health = &mut session.output_health;
            self.failures.report(health);
            health.pending_jsonl_bytes = r.waiting_bytes();
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Nanos = 1_000_000_000;

    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        all.sort();
        all
    }

    /// The folder cannot be written when a period starts and when it
    /// ends (a file stands where it should be): the lines wait, the next
    /// period's too, and once the folder is back both files are complete,
    /// in order, nothing lost.
    #[test]
    fn lines_wait_for_an_unwritable_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::write(&out, b"not a folder").unwrap();
        let path = out.join("s.jsonl");
        let mut r = Rotation::new(path.to_str().unwrap(), Some(10), None, None);
        r.clock = 5 * SECOND;
        assert!(r.push(b"{\"a\":1}\n").is_err());
        r.clock = 12 * SECOND;
        assert!(r.due());
        assert!(r.close().is_err());
        assert!(r.push(b"{\"b\":2}\n").is_err());
        assert_eq!(r.waiting_bytes(), 16);
        std::fs::remove_file(&out).unwrap();
        std::fs::create_dir(&out).unwrap();
        r.push(b"{\"c\":3}\n").unwrap();
        r.clock = 21 * SECOND;
        assert!(r.due());
        r.close().unwrap();
        assert_eq!(r.waiting_bytes(), 0);
        let written = files(&out);
        assert_eq!(written.len(), 2, "{written:?}");
        assert!(
            written[0].0.starts_with("s-1970-01-01T00-00-00"),
            "{written:?}"
        );
        assert_eq!(written[0].1, "{\"a\":1}\n");
        assert!(
            written[1].0.starts_with("s-1970-01-01T00-00-10"),
            "{written:?}"
        );
        assert_eq!(written[1].1, "{\"b\":2}\n{\"c\":3}\n");
    }

    /// `--rotate-mib`: a new file once the current one is big enough; files
    /// started in the same second get distinct names.
    #[test]
    fn size_rotation_names_each_file_apart() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("s.jsonl");
        let mut r = Rotation::new(path.to_str().unwrap(), None, Some(1), Some(2));
        r.max_bytes = Some(10);
        r.clock = 7 * SECOND;
        for line in [&b"{\"n\":1}\n"[..], b"{\"n\":22}\n", b"{\"n\":3}\n"] {
            r.push(line).unwrap();
            r.push(b"{}\n").unwrap();
            assert!(r.due());
            r.close().unwrap();
        }
        let written = files(root.path());
        assert_eq!(written.len(), 2, "--keep 2: {written:?}");
        assert!(written[0].0.ends_with("Z-2.jsonl"), "{written:?}");
        assert!(written[1].0.ends_with("Z-3.jsonl"), "{written:?}");
        assert_eq!(written[1].1, "{\"n\":3}\n{}\n");
    }

    /// A line that cannot be written whole is cut off again: the file
    /// keeps its whole lines only (a full disk, seen through a file
    /// limited in size).
    #[test]
    fn a_file_never_ends_inside_a_line() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("x.jsonl");
        let mut f = LineFile::create(&path).unwrap();
        f.write_lines(b"{\"whole\":1}\n").unwrap();
        assert_eq!(f.length, 12);
        // Writing into a read-only handle fails; the length is kept.
        let mut read_only = LineFile {
            file: std::fs::File::open(&path).unwrap(),
            length: 12,
        };
        assert!(read_only.write_lines(b"{\"cut\":2}\n").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"whole\":1}\n");
    }
}
