//! Where finished flows wait for the report. The most recent flows stay in
//! memory; past `MEMORY_LIMIT` they are written as JSON lines to an unnamed,
//! owner-only temporary file and streamed back into the report, so memory
//! stays flat however long the capture.

use super::model::FlowRecord;
use crate::engine::FlowSink;
use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

const MEMORY_LIMIT: usize = 20_000;

#[derive(Default)]
pub struct FlowStore {
    memory: Vec<FlowRecord>,
    spill: Option<BufWriter<File>>,
    spilled: u64,
    /// Set when the spill file could not be written; the report says so.
    pub spill_error: Option<String>,
    limit: Option<usize>,
}

impl FlowStore {
    pub fn new() -> FlowStore {
        FlowStore::default()
    }

    /// A store that spills after `limit` flows (tests use a small one).
    pub fn with_limit(limit: usize) -> FlowStore {
        FlowStore {
            limit: Some(limit),
            ..FlowStore::default()
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

    fn spill_all(&mut self) {
        if self.spill.is_none() {
            match tempfile::tempfile() {
                Ok(file) => self.spill = Some(BufWriter::new(file)),
                Err(e) => {
                    self.spill_error =
                        Some(format!("cannot create a temporary file for flows: {e}"));
                    return;
                }
            }
        }
        let Some(writer) = self.spill.as_mut() else {
            return;
        };
        for record in self.memory.drain(..) {
            let written = serde_json::to_writer(&mut *writer, &record)
                .map_err(std::io::Error::other)
                .and_then(|_| writer.write_all(b"\n"));
            if let Err(e) = written {
                self.spill_error = Some(format!("cannot write flows to a temporary file: {e}"));
                return;
            }
            self.spilled += 1;
        }
    }
}

impl FlowSink for FlowStore {
    fn flow(&mut self, record: FlowRecord) {
        if self.memory.len() >= self.limit.unwrap_or(MEMORY_LIMIT) && self.spill_error.is_none() {
            self.spill_all();
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
            for line in BufReader::new(file).lines() {
                let line = line.map_err(S::Error::custom)?;
                let raw =
                    serde_json::value::RawValue::from_string(line).map_err(S::Error::custom)?;
                seq.serialize_element(&raw)?;
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
    use crate::report::model::Counters;

    fn record(id: u64) -> FlowRecord {
        FlowRecord {
            id,
            transport: crate::facts::Proto::Udp,
            client: std::net::SocketAddr::from(([10, 0, 0, 1], 1)),
            server: std::net::SocketAddr::from(([10, 0, 0, 2], 2)),
            first_timestamp: Default::default(),
            last_timestamp: Default::default(),
            first_packet: id,
            last_packet: id,
            client_to_server: Counters::default(),
            server_to_client: Counters::default(),
            end: crate::facts::End::Idle,
            protocols: vec!["dns"],
            stun: None,
            turn: None,
            sip: None,
            rtp: None,
            rtcp: None,
            tls: None,
            dns: None,
            quic: None,
            http: None,
            zrtp: None,
            zoom: None,
            markers: Vec::new(),
            timeline: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn spills_and_streams_back_every_flow() {
        let mut store = FlowStore::with_limit(3);
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
    }
}
