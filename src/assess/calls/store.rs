//! Where concluded calls wait for the report. A call is about 5 KB in
//! memory (its legs, media, reasoning with evidence, SIP ladders), and a
//! sensor concludes calls for days: past `HOLD` calls held, the oldest are
//! written out as JSON lines to an unnamed, owner-only temporary file and
//! read back, one at a time, whenever the report or a stream goes through
//! the calls. What the end of a capture adds to a call already written
//! (trackers contacted during it, the Wi-Fi it ran over) is kept beside it
//! and added as it is read back.
//!
//! Calls are written as they are held: identities pseudonymised (records
//! reach the assessment redacted), addresses as captured (every report
//! format pseudonymises them as it writes), timestamps to the nanosecond,
//! so a call read back is the call that was written. With a renderer (the
//! session's: the report's JSON of a call, pretty, pseudonymised), each
//! call is also rendered as it is written out, to a second such file, and
//! the JSON report copies that text instead of reading the call back and
//! serializing it again at the end; a call something was added to since
//! is read back and serialized as before. It must never be handed a
//! stranger's file: reading back trusts what it wrote.

use crate::assess::catalogue::FindingId;
use crate::assess::model::{Call, ReasoningStep};
use hashbrown::HashMap;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::sync::{Arc, OnceLock};

/// Calls held in memory before the store writes them out.
pub const HOLD: usize = 64;

/// Writes a call as the JSON report shows it (pretty, at depth 0).
pub type Renderer = Arc<dyn Fn(&Call, &mut Vec<u8>) -> std::io::Result<()> + Send + Sync>;

/// Written calls rendered by the [`Renderer`]: the first `starts.len()`.
#[derive(Clone)]
struct Rendered {
    file: Arc<File>,
    /// Where each rendered call starts; the last ends at `bytes`.
    starts: Vec<u64>,
    bytes: u64,
}

/// What was added to a written call after it was written.
#[derive(Clone, Default)]
struct Addition {
    findings: Vec<FindingId>,
    reasoning: Vec<ReasoningStep>,
}

impl Addition {
    /// What `change` appends to `call`'s findings and reasoning, taken out
    /// of it.
    fn made_by(call: &mut Call, change: impl FnOnce(&mut Call)) -> Addition {
        let (findings, steps) = (call.findings.len(), call.reasoning.len());
        change(call);
        Addition {
            findings: call.findings.split_off(findings),
            reasoning: call.reasoning.split_off(steps),
        }
    }
}

/// Concluded calls, in the order concluded: the first `written` in the
/// file, the rest in memory.
pub struct CallStore {
    file: Option<Arc<File>>,
    /// Only the store that made the file appends to it; a copy reads the
    /// part written before it was made (a look at the calls so far) and
    /// keeps whatever it is given in memory. A copy made before any file
    /// was may make its own.
    owner: bool,
    written: usize,
    written_bytes: u64,
    /// Where each written call starts in the file: a stream that takes
    /// the calls concluded since its last look reads only those.
    starts: Vec<u64>,
    memory: Vec<Call>,
    /// Additions to written calls, by position in the store.
    additions: HashMap<usize, Addition>,
    hold: usize,
    /// Calls by verdict and platform (`unknown` without one), for counts
    /// that should not read every call back.
    tally: Tally,
    /// Why calls could not be written out (they stay in memory).
    write_error: Option<String>,
    /// Why calls could not be read back (outputs miss them).
    read_error: OnceLock<String>,
    render: Option<Renderer>,
    rendered: Option<Rendered>,
}

/// Calls by verdict and platform.
pub type Tally = std::collections::BTreeMap<(&'static str, String), u64>;

impl Default for CallStore {
    fn default() -> CallStore {
        CallStore::with_hold(HOLD)
    }
}

impl Clone for CallStore {
    /// A copy shares the file the store wrote and reads it; only a copy
    /// of a store that has written nothing yet may write (a file of its own).
    fn clone(&self) -> CallStore {
        CallStore {
            file: self.file.clone(),
            owner: self.file.is_none(),
            written: self.written,
            written_bytes: self.written_bytes,
            starts: self.starts.clone(),
            memory: self.memory.clone(),
            additions: self.additions.clone(),
            hold: self.hold,
            tally: self.tally.clone(),
            write_error: self.write_error.clone(),
            read_error: self.read_error.clone(),
            // Only the owner renders what it writes.
            render: self.render.clone().filter(|_| self.file.is_none()),
            rendered: self.rendered.clone(),
        }
    }
}

impl CallStore {
    /// A store that writes calls out past `hold` held (tests use a small one).
    pub fn with_hold(hold: usize) -> CallStore {
        CallStore {
            file: None,
            owner: true,
            written: 0,
            written_bytes: 0,
            starts: Vec::new(),
            memory: Vec::new(),
            additions: HashMap::new(),
            hold,
            tally: Tally::new(),
            write_error: None,
            read_error: OnceLock::new(),
            render: None,
            rendered: None,
        }
    }

    /// Renders each call as it is written out, for the JSON report to copy.
    pub fn render_with(&mut self, render: Renderer) {
        self.render = Some(render);
    }

    /// An empty store that holds as many calls as this one before writing.
    pub fn empty_like(&self) -> CallStore {
        CallStore::with_hold(self.hold)
    }

    pub fn len(&self) -> usize {
        self.written + self.memory.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls written out rather than held.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Why calls could not be written out, if they could not: they were
    /// kept in memory instead (the report's notes say so).
    pub fn write_error(&self) -> Option<&str> {
        self.write_error.as_deref()
    }

    /// Why calls could not be read back, if they could not: the outputs
    /// written since miss them.
    pub fn read_error(&self) -> Option<&str> {
        self.read_error.get().map(String::as_str)
    }

    /// Calls by verdict and platform.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// Adds a call; past the hold, the calls held are written out.
    pub fn push(&mut self, call: Call) {
        let platform = call
            .platform
            .as_ref()
            .map_or("unknown", |p| p.name.as_str());
        *self
            .tally
            .entry((call.verdict.name(), platform.to_string()))
            .or_default() += 1;
        self.memory.push(call);
        if self.owner && self.memory.len() > self.hold && self.write_error.is_none() {
            self.write_out();
        }
    }

    fn write_out(&mut self) {
        if self.file.is_none() {
            match tempfile::tempfile() {
                Ok(file) => self.file = Some(Arc::new(file)),
                Err(e) => {
                    // Held in memory instead; the report says why.
                    self.write_error = Some(format!(
                        "cannot create a temporary file for calls, so every call stays in memory: {e}"
                    ));
                    return;
                }
            }
        }
        let Some(file) = &self.file else { return };
        let mut lines = Vec::with_capacity(self.memory.len() * 6 * 1024);
        let mut starts = Vec::with_capacity(self.memory.len());
        {
            let _exact = crate::time::exact_timestamps();
            for call in &self.memory {
                starts.push(self.written_bytes + lines.len() as u64);
                if let Err(e) = serde_json::to_writer(&mut lines, call) {
                    self.write_error = Some(format!("cannot write a call out: {e}"));
                    return;
                }
                lines.push(b'\n');
            }
        }
        if let Err(e) = file.write_all_at(&lines, self.written_bytes) {
            self.write_error = Some(format!(
                "cannot write calls to a temporary file, so the rest stay in memory: {e}"
            ));
            return;
        }
        self.written_bytes += lines.len() as u64;
        self.render_out();
        self.written += self.memory.len();
        self.starts.extend(starts);
        self.memory.clear();
    }

    /// Renders the held calls now written out, after those rendered
    /// before; on any failure rendering stops, and the calls not rendered
    /// are serialized at the end as before.
    fn render_out(&mut self) {
        let Some(render) = self.render.clone() else {
            return;
        };
        // Rendered text is found by a call's position: every call written
        // before must have been rendered too.
        let rendered = self.rendered.as_ref().map_or(0, |r| r.starts.len());
        let file = match &self.rendered {
            _ if rendered != self.written => None,
            Some(r) => Some(r.file.clone()),
            None => tempfile::tempfile().ok().map(Arc::new),
        };
        let Some(file) = file else {
            self.render = None;
            return;
        };
        let at = self.rendered.as_ref().map_or(0, |r| r.bytes);
        let mut text = Vec::with_capacity(self.memory.len() * 8 * 1024);
        let mut starts = Vec::with_capacity(self.memory.len());
        for call in &self.memory {
            starts.push(at + text.len() as u64);
            if render(call, &mut text).is_err() {
                self.render = None;
                return;
            }
        }
        if file.write_all_at(&text, at).is_err() {
            self.render = None;
            return;
        }
        let rendered = self.rendered.get_or_insert_with(|| Rendered {
            file,
            starts: Vec::new(),
            bytes: 0,
        });
        rendered.starts.extend(starts);
        rendered.bytes = at + text.len() as u64;
    }

    /// The rendered text of written call `i` into `text`, when it was
    /// rendered and nothing was added to it since.
    fn rendered_text(&self, i: usize, text: &mut Vec<u8>) -> bool {
        let Some(r) = &self.rendered else {
            return false;
        };
        if i >= r.starts.len() || self.additions.contains_key(&i) {
            return false;
        }
        let end = r.starts.get(i + 1).copied().unwrap_or(r.bytes);
        let Ok(len) = usize::try_from(end - r.starts[i]) else {
            return false;
        };
        text.resize(len, 0);
        r.file.read_exact_at(text, r.starts[i]).is_ok()
    }

    /// The calls from the `from`th on, in order: written calls read back
    /// (with what was added to them since), held calls borrowed. A call
    /// that cannot be read back ends the walk of the written calls and
    /// sets [`CallStore::read_error`].
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = Cow<'_, Call>> + '_ {
        let written = self.read_back(from);
        let held = self
            .memory
            .iter()
            .skip(from.saturating_sub(self.written))
            .map(Cow::Borrowed);
        written.map(Cow::Owned).chain(held)
    }

    /// Every call, in order: see [`CallStore::iter_from`].
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Call>> + '_ {
        self.iter_from(0)
    }

    /// The written calls from the `from`th on, read back; the first that
    /// cannot be ends the walk and sets [`CallStore::read_error`].
    fn read_back(&self, from: usize) -> impl Iterator<Item = Call> + '_ {
        let written = self
            .file
            .as_deref()
            .filter(|_| from < self.written)
            .map(|file| self.written_calls(file, from));
        written
            .into_iter()
            .flatten()
            .map_while(|read| read.map_err(|why| self.failed(why)).ok())
    }

    /// Reads the written calls from the `from`th on out of `file`, each
    /// with what was added to it since, or why it could not be read (the
    /// last item then).
    fn written_calls<'a>(
        &'a self,
        file: &'a File,
        from: usize,
    ) -> impl Iterator<Item = Result<Call, String>> + 'a {
        let mut reader = BufReader::with_capacity(
            64 * 1024,
            Positioned {
                file,
                at: self.starts[from],
                end: self.written_bytes,
            },
        );
        let mut line = Vec::new();
        (from..self.written).map(move |i| {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => return Err("the temporary file of calls ended early".into()),
                Ok(_) => {}
                Err(e) => return Err(format!("cannot read calls back: {e}")),
            }
            let mut call = serde_json::from_slice::<Call>(&line)
                .map_err(|e| format!("cannot read call {} back: {e}", i + 1))?;
            if let Some(added) = self.additions.get(&i) {
                call.findings.extend(added.findings.iter().copied());
                call.reasoning.extend(added.reasoning.iter().cloned());
            }
            Ok(call)
        })
    }

    fn failed(&self, why: String) {
        let _ = self.read_error.set(why);
    }

    /// Lets `change` add findings and reasoning steps to the call at
    /// `position`, reading back only that call when it was written. A
    /// written call keeps only what `change` appended to its `findings`
    /// and `reasoning`; a held call keeps every change.
    pub fn add_to(&mut self, position: usize, change: impl FnOnce(&mut Call)) {
        if position >= self.written {
            if let Some(call) = self.memory.get_mut(position - self.written) {
                change(call);
            }
            return;
        }
        let Some(mut call) = self.read_back(position).next() else {
            return;
        };
        let addition = Addition::made_by(&mut call, change);
        self.keep_addition(position, addition);
    }

    /// Keeps what was added to the written call at `position`.
    fn keep_addition(&mut self, position: usize, addition: Addition) {
        if addition.findings.is_empty() && addition.reasoning.is_empty() {
            return;
        }
        let entry = self.additions.entry(position).or_default();
        entry.findings.extend(addition.findings);
        entry.reasoning.extend(addition.reasoning);
    }

    /// Every call in memory: for the few calls of a look, or a view that
    /// shows them all.
    pub fn into_calls(self) -> Vec<Call> {
        if self.written == 0 {
            return self.memory;
        }
        self.iter().map(Cow::into_owned).collect()
    }
}

/// Reads the part of the file the store wrote, by position: copies of a
/// store read the same file without sharing a cursor.
struct Positioned<'a> {
    file: &'a File,
    at: u64,
    end: u64,
}

impl Read for Positioned<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.end.saturating_sub(self.at);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl serde::Serialize for CallStore {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.len()))?;
        let mut count = 0;
        // The JSON report copies the calls rendered when they were written.
        if crate::text::own_pretty_json_copied() && self.rendered.is_some() {
            let mut text = Vec::new();
            while count < self.written {
                if self.rendered_text(count, &mut text) {
                    let own =
                        crate::text::OwnJsonValue::new(&mut text, crate::text::OwnJson::Pretty);
                    seq.serialize_element(&own)?;
                } else {
                    let Some(call) = self.read_back(count).next() else {
                        break;
                    };
                    seq.serialize_element(&call)?;
                }
                count += 1;
            }
            if count == self.written {
                for call in &self.memory {
                    seq.serialize_element(call)?;
                    count += 1;
                }
            }
        } else {
            for call in self.iter() {
                seq.serialize_element(call.as_ref())?;
                count += 1;
            }
        }
        if count < self.len() {
            let why = self
                .read_error()
                .unwrap_or("calls missing from the temporary file");
            return Err(S::Error::custom(why));
        }
        seq.end()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::assess::model::{CallPath, StepKind, Verdict};
    use crate::time::Timestamp;

    /// A call for tests of what stores calls.
    pub(crate) fn call(id: u64) -> Call {
        Call {
            id,
            kinds: vec!["sip"],
            start: Timestamp(1_700_000_000_123_456_789 + id as i64),
            end: Timestamp(1_700_000_060_000_000_001),
            legs: Vec::new(),
            participants: vec![format!("10.0.0.{id}:5060")],
            identities: Vec::new(),
            sip_call_ids: vec![format!("{id}@example")],
            dialogs: Vec::new(),
            media: Vec::new(),
            platform: None,
            path: CallPath::Direct,
            relay: None,
            server: None,
            verdict: if id % 2 == 0 {
                Verdict::Exposed
            } else {
                Verdict::Indeterminate
            },
            reasoning: Vec::new(),
            cannot_show: Vec::new(),
            findings: vec![FindingId::MediaCleartext],
            timeline: None,
        }
    }

    fn ids(store: &CallStore) -> Vec<u64> {
        store.iter().map(|c| c.id).collect()
    }

    #[test]
    fn calls_written_out_come_back_whole_and_in_order() {
        let mut store = CallStore::with_hold(2);
        for id in 1..=7 {
            store.push(call(id));
        }
        assert_eq!((store.len(), store.written()), (7, 6));
        assert_eq!(ids(&store), (1..=7).collect::<Vec<_>>());
        for (back, id) in store.iter().zip(1..) {
            // Nanoseconds and all: a call read back is the call written.
            assert_eq!(back.start, call(id).start);
            assert_eq!(
                serde_json::to_value(back.as_ref()).unwrap(),
                serde_json::to_value(call(id)).unwrap()
            );
        }
        let from: Vec<u64> = store.iter_from(5).map(|c| c.id).collect();
        assert_eq!(from, [6, 7]);
        assert_eq!(store.tally()[&("exposed", "unknown".to_string())], 3);
        assert_eq!(store.read_error(), None);
    }

    #[test]
    fn what_is_added_later_comes_back_with_a_written_call() {
        let mut store = CallStore::with_hold(1);
        for id in 1..=3 {
            store.push(call(id));
        }
        for position in 0..3 {
            store.add_to(position, |c| {
                if c.id != 2 {
                    c.findings.push(FindingId::TrackerDuringCall);
                    c.reasoning.push(crate::assess::model::ReasoningStep {
                        step: format!("Tracker seen in call {}", c.id),
                        evidence: Vec::new(),
                        kind: StepKind::Reason,
                    });
                }
            });
        }
        // Added to again: the first (written) gets a second step, the
        // third (held) one too.
        for position in [0, 2] {
            store.add_to(position, |c| {
                c.reasoning.push(crate::assess::model::ReasoningStep {
                    step: format!("Device of call {} was on Wi-Fi", c.id),
                    evidence: Vec::new(),
                    kind: StepKind::Reason,
                });
            });
        }
        let back: Vec<Call> = store.iter().map(Cow::into_owned).collect();
        assert_eq!(store.written(), 2);
        for c in &back {
            let added = c.id != 2;
            assert_eq!(c.findings.contains(&FindingId::TrackerDuringCall), added);
            assert_eq!(c.reasoning.len(), 2 * usize::from(added), "call {}", c.id);
            if added {
                assert_eq!(
                    c.reasoning[1].step,
                    format!("Device of call {} was on Wi-Fi", c.id)
                );
            }
        }
    }

    #[test]
    fn a_call_that_cannot_be_read_back_ends_the_walk_and_says_why() {
        let mut store = CallStore::with_hold(1);
        for id in 1..=6 {
            store.push(call(id));
        }
        let file = store.file.clone().unwrap();
        file.write_all_at(b"#", store.starts[3]).unwrap();
        assert_eq!(ids(&store), [1, 2, 3]);
        assert!(
            store
                .read_error()
                .unwrap()
                .starts_with("cannot read call 4 back"),
            "{:?}",
            store.read_error()
        );
    }

    #[test]
    fn a_copy_reads_what_was_written_before_it_and_never_writes() {
        let mut store = CallStore::with_hold(1);
        for id in 1..=3 {
            store.push(call(id));
        }
        let mut copy = store.clone();
        for id in 4..=6 {
            store.push(call(id));
            copy.push(call(id + 10));
        }
        // The owner appended; the copy kept its own calls in memory.
        assert_eq!(ids(&store), [1, 2, 3, 4, 5, 6]);
        assert_eq!(ids(&copy), [1, 2, 3, 14, 15, 16]);
        assert_eq!(copy.written(), 2);
        // A copy of a store that never wrote writes a file of its own.
        let empty = CallStore::with_hold(1);
        let (mut a, mut b) = (empty.clone(), empty);
        for id in 1..=3 {
            a.push(call(id));
            b.push(call(id + 10));
        }
        assert_eq!((a.written(), b.written()), (2, 2));
        assert_eq!((ids(&a), ids(&b)), (vec![1, 2, 3], vec![11, 12, 13]));
    }
}
