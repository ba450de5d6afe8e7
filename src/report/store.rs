//! Where finished flows wait for the report. Flows a call may draw on
//! later (signaling, media, ICE, keying, platform markers) stay in memory;
//! the rest are written at once, past `MEMORY_LIMIT` held flows, as
//! pseudonymised JSON lines to an unnamed, owner-only temporary file, and
//! copied from it into the report unchanged, so memory stays flat however
//! long the capture and each spilled flow is serialized once. It must
//! never hold a spilled flow's record, nor write one unredacted.

use super::model::FlowRecord;
use super::redact::Redactor;
use crate::engine::FlowSink;
use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

/// Flows held whole before the store starts writing them out. About 6 KB
/// each (timelines, TLS and DNS detail): 4,096 keep a few tens of MB.
const MEMORY_LIMIT: usize = 4_096;

/// Protocols of the flows a call is made of: they stay in memory (ladders,
/// OCSF endpoints) until they alone fill half the limit.
const CALL_PROTOCOLS: [&str; 13] = [
    "sip",
    "sdp",
    "rtp",
    "srtp",
    "rtcp",
    "srtcp",
    "stun",
    "turn",
    "dtls",
    "zrtp",
    "zoom",
    "websocket",
    "hep",
];

fn call_material(f: &FlowRecord) -> bool {
    !f.markers.is_empty() || f.protocols.iter().any(|p| CALL_PROTOCOLS.contains(p))
}

pub struct FlowStore {
    memory: Vec<FlowRecord>,
    spill: Option<BufWriter<File>>,
    spilled: u64,
    /// Set when the spill file could not be written; the report says so.
    pub spill_error: Option<String>,
    limit: usize,
    /// Spilled flows are written as the report will show them.
    redactor: Redactor,
}

impl FlowStore {
    pub fn new(redactor: Redactor) -> FlowStore {
        FlowStore::with_limit(MEMORY_LIMIT, redactor)
    }

    /// A store that starts writing out after `limit` flows (tests use a
    /// small one).
    pub fn with_limit(limit: usize, redactor: Redactor) -> FlowStore {
        FlowStore {
            memory: Vec::with_capacity(limit.min(MEMORY_LIMIT)),
            spill: None,
            spilled: 0,
            spill_error: None,
            limit,
            redactor,
        }
    }

    pub fn len(&self) -> u64 {
        self.spilled + self.memory.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Flows that were written to the spill file rather than kept.
    pub fn spilled(&self) -> u64 {
        self.spilled
    }

    /// The flows still in memory (all of them unless the store spilled).
    pub fn in_memory(&self) -> &[FlowRecord] {
        &self.memory
    }

    /// Orders the in-memory flows by id. Spilled flows keep the order in
    /// which they ended.
    pub fn sort(&mut self) {
        self.memory.sort_by_key(|f| f.id);
    }

    /// Creates the spill file on first use; says so in `spill_error` when
    /// it cannot.
    fn open_spill(&mut self) {
        if self.spill.is_some() {
            return;
        }
        match tempfile::tempfile() {
            Ok(file) => self.spill = Some(BufWriter::new(file)),
            Err(e) => {
                self.spill_error = Some(format!("cannot create a temporary file for flows: {e}"));
            }
        }
    }

    /// Writes out every held flow that is no call's material, or all of
    /// them when call material alone fills half the limit. In place: a
    /// spill must not need memory of its own.
    fn spill_some(&mut self) {
        let keep_calls = self.memory.iter().filter(|f| call_material(f)).count() < self.limit / 2;
        self.open_spill();
        let (Some(writer), redactor, spilled) =
            (self.spill.as_mut(), &self.redactor, &mut self.spilled)
        else {
            return;
        };
        let mut failure = None;
        self.memory.retain(|record| {
            if failure.is_some() || (keep_calls && call_material(record)) {
                return true;
            }
            let result = redactor
                .to_json_writer(&mut *writer, record, false)
                .map_err(std::io::Error::other)
                .and_then(|_| writer.write_all(b"\n"));
            match result {
                Ok(()) => {
                    *spilled += 1;
                    false
                }
                Err(e) => {
                    // What could not be written stays in memory, and is reported.
                    failure = Some(format!("cannot write flows to a temporary file: {e}"));
                    true
                }
            }
        });
        if failure.is_some() {
            self.spill_error = failure;
        }
    }
}

impl FlowSink for FlowStore {
    fn flow(&mut self, record: FlowRecord) {
        if self.memory.len() >= self.limit && self.spill_error.is_none() {
            self.spill_some();
        }
        self.memory.push(record);
    }

    /// Dialogs reach the report through their calls, not the flow store.
    fn dialog(&mut self, _: crate::facts::DialogRecord) {}
}

impl Serialize for FlowStore {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len() as usize))?;
        if let Some(writer) = &self.spill {
            let mut file = writer.get_ref();
            // The writer is flushed before serialization (see `finish_writing`).
            file.seek(SeekFrom::Start(0)).map_err(S::Error::custom)?;
            let mut reader = BufReader::with_capacity(1 << 16, file);
            let mut line = Vec::with_capacity(4096);
            let copied = crate::text::own_json_copied();
            let mut read = 0u64;
            // Only the lines counted as written: a write that failed left
            // its flow in memory and may have left part of a line.
            while read < self.spilled {
                line.clear();
                if reader
                    .read_until(b'\n', &mut line)
                    .map_err(S::Error::custom)?
                    == 0
                {
                    break;
                }
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                // A line cut short (the file changed under us) is an
                // error, not a broken report.
                if line.first() != Some(&b'{') || line.last() != Some(&b'}') {
                    return Err(S::Error::custom(format!(
                        "flow {} written out to the temporary file is incomplete",
                        read + 1
                    )));
                }
                if copied {
                    // Written by this run through the report's formatter:
                    // copied without a second parse (it was 7% of a run).
                    let own = crate::text::OwnJsonValue::new(&mut line, crate::text::OwnJson::Line);
                    seq.serialize_element(&own)?;
                } else {
                    let text =
                        String::from_utf8(std::mem::take(&mut line)).map_err(S::Error::custom)?;
                    let raw =
                        serde_json::value::RawValue::from_string(text).map_err(S::Error::custom)?;
                    seq.serialize_element(&raw)?;
                }
                read += 1;
            }
            if read != self.spilled {
                return Err(S::Error::custom(format!(
                    "{} of {} flows written out to the temporary file came back",
                    read, self.spilled
                )));
            }
        }
        for record in &self.memory {
            seq.serialize_element(record)?;
        }
        seq.end()
    }
}

impl FlowStore {
    /// Flushes spilled flows so serialization can read them back.
    pub fn finish_writing(&mut self) {
        if let Some(writer) = self.spill.as_mut() {
            if let Err(e) = writer.flush() {
                self.spill_error = Some(format!("cannot write flows to a temporary file: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64) -> FlowRecord {
        FlowRecord {
            first_packet: id,
            last_packet: id,
            protocols: vec!["dns"],
            ..FlowRecord::bare(
                id,
                crate::facts::Proto::Udp,
                std::net::SocketAddr::from(([10, 0, 0, 1], 1)),
                std::net::SocketAddr::from(([10, 0, 0, 2], 2)),
            )
        }
    }

    #[test]
    fn spills_and_streams_back_every_flow() {
        let mut store = FlowStore::with_limit(3, Redactor::new(true, Vec::new()));
        for id in 1..=10 {
            store.flow(record(id));
        }
        store.finish_writing();
        assert_eq!(store.len(), 10);
        assert!(store.spilled() >= 6 && store.in_memory().len() <= 4);
        let json: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&store).unwrap()).unwrap();
        let ids: Vec<u64> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
        // The report's formatter copies the written lines without parsing
        // them; any other serializer checks them: the same text either way.
        let mut copied = Vec::new();
        Redactor::new(true, Vec::new())
            .to_json_writer(&mut copied, &store, false)
            .unwrap();
        assert_eq!(
            String::from_utf8(copied).unwrap(),
            serde_json::to_string(&store).unwrap()
        );
    }

    #[test]
    fn call_material_stays_and_spilled_flows_are_pseudonymised_once() {
        let redactor = Redactor::new(false, Vec::new());
        let mut store = FlowStore::with_limit(8, redactor.clone());
        for id in 1..=16 {
            let mut r = record(id);
            r.server = std::net::SocketAddr::from(([203, 0, 113, 9], 443));
            if id % 4 == 0 {
                r.protocols = vec!["rtp"];
            }
            store.flow(r);
        }
        store.finish_writing();
        assert_eq!(store.len(), 16);
        // Media flows were held through both spills, the others written out.
        let held: Vec<u64> = store.in_memory().iter().map(|f| f.id).collect();
        assert_eq!(held, [4, 8, 12, 15, 16]);
        let mut out = Vec::new();
        redactor.to_json_writer(&mut out, &store, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("203.0.113.9"), "{text}");
        let pseudonym = redactor.address("203.0.113.9".parse().unwrap()).to_string();
        assert_eq!(text.matches(&pseudonym).count(), 16, "{text}");
    }
}
