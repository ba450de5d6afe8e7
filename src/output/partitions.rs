//! `--parquet DIR` while a sensor runs (`live`, or `--rotate-seconds`):
//! the flows that ended and the calls and findings that settled in each
//! period of capture time become one partition of Parquet tables,
//! `DIR/date=YYYY-MM-DD/[sensor=NAME/]hour=HH/part=HHMMSS/`, which
//! DuckDB, Spark and Trino read as a dataset
//! (`read_parquet('DIR/**/calls.parquet', hive_partitioning = true)`) and
//! `teleprobe summarize DIR` aggregates. Periods start at multiples of
//! their length. A partition is written beside the dataset (`DIR/.partial-*`)
//! and renamed into place once every table is complete, so a reader never
//! sees half of one. A period that cannot be written (the folder
//! unwritable, the disk full) waits in memory and is tried again; the
//! capture goes on. Everything written passed through the run's redactor;
//! this module must never write an identifier the report would not.

use super::settled::NewlySettled;
use crate::flow::Timeouts;
use crate::report::redact::Redactor;
use crate::session::{Analysis, Session, Watcher};
use crate::time::{Nanos, Timestamp};
use std::collections::VecDeque;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// One period's rows, as the JSON the report would hold for them.
struct TablePeriod {
    started: Nanos,
    /// Redacted JSON values, each followed by a comma.
    flows: Vec<u8>,
    calls: Vec<u8>,
    findings: Vec<u8>,
}

impl TablePeriod {
    fn bytes(&self) -> usize {
        self.flows.len() + self.calls.len() + self.findings.len()
    }

    /// The fields of a report the tables read, for these rows. The
    /// capture is named by its source and the period (`live:eth0@TIME`):
    /// each partition is a capture of its own to `summarize`.
    fn report_json(&self, inputs: &[String]) -> Vec<u8> {
        fn list(out: &mut Vec<u8>, items: &[u8]) {
            out.push(b'[');
            out.extend_from_slice(items.strip_suffix(b",").unwrap_or(items));
            out.push(b']');
        }
        let mut json = Vec::with_capacity(self.bytes() + 256);
        let _ = write!(
            json,
            "{{\"schema\":{},\"capture\":{{\"files\":{},\"first_timestamp\":\"{}\"}},\"flows\":",
            serde_json::Value::from(crate::report::model::SCHEMA),
            serde_json::Value::from(
                inputs
                    .iter()
                    .map(|i| format!("{i}@{}", Timestamp(self.started)))
                    .collect::<Vec<_>>()
            ),
            Timestamp(self.started)
        );
        list(&mut json, &self.flows);
        json.extend_from_slice(b",\"calls\":");
        list(&mut json, &self.calls);
        json.extend_from_slice(b",\"findings\":");
        list(&mut json, &self.findings);
        json.push(b'}');
        json
    }
}

/// At most this many bytes of unwritten periods wait in memory; beyond
/// it the oldest are dropped, and counted.
const WAITING_LIMIT: usize = 256 << 20;

/// A period holding this much (as JSON; about 1 KB a flow) is written at
/// once, and the rest of it goes to a second partition (`part=…-2`): a
/// busy link's hour never holds more than this in memory.
const PERIOD_LIMIT: usize = 64 << 20;

pub struct Partitions {
    dir: PathBuf,
    sensor: Option<String>,
    every: Nanos,
    /// The source's name in the tables' `capture` column.
    inputs: Vec<String>,
    settled: NewlySettled,
    current: Option<TablePeriod>,
    unfinished: VecDeque<TablePeriod>,
    /// Partitions written, in order.
    pub written: Vec<PathBuf>,
    failures: crate::session::Failures,
    /// Periods dropped because too many waited.
    pub dropped_periods: u64,
    /// Set at the end when a period still could not be written.
    pub error: Option<String>,
    /// Capture time at the last look.
    clock: Nanos,
}

impl Partitions {
    pub fn new(
        dir: &str,
        sensor: Option<&str>,
        every_seconds: u32,
        inputs: &[String],
        timeouts: Timeouts,
    ) -> Partitions {
        Partitions {
            dir: PathBuf::from(dir),
            sensor: sensor.map(str::to_string),
            every: i64::from(every_seconds.max(1)) * 1_000_000_000,
            inputs: inputs.to_vec(),
            settled: NewlySettled::new(timeouts),
            current: None,
            unfinished: VecDeque::new(),
            written: Vec::new(),
            failures: Default::default(),
            dropped_periods: 0,
            error: None,
            clock: 0,
        }
    }

    fn period(&mut self, clock: Nanos) -> &mut TablePeriod {
        let every = self.every;
        self.current.get_or_insert_with(|| TablePeriod {
            started: clock - clock.rem_euclid(every),
            flows: Vec::new(),
            calls: Vec::new(),
            findings: Vec::new(),
        })
    }

    /// Adds what ended and settled to the period open at `clock`.
    fn add(
        &mut self,
        clock: Nanos,
        flows: &[u8],
        (calls, findings): (
            Vec<crate::assess::model::Call>,
            Vec<crate::assess::model::Finding>,
        ),
        redactor: &Redactor,
    ) {
        let period = self.period(clock);
        // Lines to list items: JSON text holds no raw newline.
        period
            .flows
            .extend(flows.iter().map(|&b| if b == b'\n' { b',' } else { b }));
        for call in &calls {
            if redactor
                .to_json_writer(&mut period.calls, call, false)
                .is_ok()
            {
                period.calls.push(b',');
            }
        }
        for finding in &findings {
            if redactor
                .to_json_writer(&mut period.findings, finding, false)
                .is_ok()
            {
                period.findings.push(b',');
            }
        }
    }

    /// Ends the open period and writes every period waiting, oldest first.
    fn close(&mut self) {
        if let Some(period) = self.current.take() {
            self.unfinished.push_back(period);
        }
        let mut waiting: usize = self.unfinished.iter().map(TablePeriod::bytes).sum();
        while waiting > WAITING_LIMIT && self.unfinished.len() > 1 {
            if let Some(old) = self.unfinished.pop_front() {
                waiting -= old.bytes();
                self.dropped_periods += 1;
            }
        }
        while let Some(period) = self.unfinished.front() {
            match self.write(period) {
                Ok(path) => {
                    self.written.push(path);
                    self.unfinished.pop_front();
                }
                Err(e) => {
                    self.failed(e);
                    break;
                }
            }
        }
    }

    /// The partition of a period: date and hour, then its start within the
    /// hour; `-2`, `-3`... when a sensor restarted within one period.
    fn partition(&self, started: Nanos) -> PathBuf {
        let time = Timestamp(started).to_string();
        let (date, hour, minute, second) =
            (&time[..10], &time[11..13], &time[14..16], &time[17..19]);
        let mut dir = self.dir.join(format!("date={date}"));
        if let Some(sensor) = &self.sensor {
            dir = dir.join(format!("sensor={sensor}"));
        }
        let dir = dir.join(format!("hour={hour}"));
        let part = format!("part={hour}{minute}{second}");
        let mut path = dir.join(&part);
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = dir.join(format!("{part}-{n}"));
        }
        path
    }

    /// Writes one period's tables beside the dataset, then renames them
    /// into their partition.
    fn write(&self, period: &TablePeriod) -> Result<PathBuf, String> {
        let final_dir = self.partition(period.started);
        let partial = self.dir.join(format!(
            ".partial-{}-{}",
            std::process::id(),
            period.started
        ));
        let _ = std::fs::remove_dir_all(&partial);
        let json = period.report_json(&self.inputs);
        crate::report::tables::write_json(&json, &partial, self.sensor.as_deref())
            .map_err(|e| format!("cannot write tables to {}: {e}", self.dir.display()))?;
        let parent = final_dir.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::rename(&partial, &final_dir))
            .map_err(|e| {
                let _ = std::fs::remove_dir_all(&partial);
                format!("cannot write {}: {e}", final_dir.display())
            })?;
        Ok(final_dir)
    }

    /// Said once per kind of failure in the log, counted for the metrics.
    fn failed(&mut self, e: String) {
        self.failures
            .record(format!("{e}; the period's tables are kept and tried again"));
    }
}

impl Watcher for Partitions {
    fn poll(&mut self, session: &mut Session) {
        let clock = session.clock();
        self.clock = clock;
        let flows = session.take_ended_flows();
        let settled = self.settled.look(session).unwrap_or_default();
        self.add(clock, &flows, settled, session.redactor());
        if self
            .current
            .as_ref()
            .is_some_and(|p| clock - p.started >= self.every || p.bytes() >= PERIOD_LIMIT)
        {
            self.close();
        }
        let health = &mut session.output_health;
        self.failures.report(health);
        health.pending_table_bytes = self.unfinished.iter().map(|p| p.bytes() as u64).sum();
    }

    /// The last period: the flows ended at the end, the calls and findings
    /// of the report not written yet. A period that still cannot be
    /// written is an error now.
    fn finish(&mut self, analysis: &Analysis) {
        let clock = self.current.as_ref().map_or(self.clock, |p| p.started);
        let rest = self.settled.rest(analysis);
        self.add(clock, &analysis.ended_flows, rest, &analysis.redactor);
        self.close();
        if !self.unfinished.is_empty() {
            self.error = self.failures.last().map(str::to_string);
        }
    }

    /// SIGHUP ends the open period early.
    fn hangup(&mut self, _session: &mut Session) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Nanos = 1_000_000_000;

    /// Partitions that cannot be written (a file stands where the dataset
    /// should be) wait; once it can be written, every waiting period is
    /// written, in order, each complete and in its own partition.
    #[test]
    fn periods_wait_for_an_unwritable_dataset() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("tables");
        std::fs::write(&dir, b"not a folder").unwrap();
        let redactor = Redactor::new(false, Vec::new());
        let timeouts = Timeouts {
            udp: 120 * SECOND,
            tcp: 600 * SECOND,
        };
        let mut p = Partitions::new(
            dir.to_str().unwrap(),
            Some("s1"),
            60,
            &["live:eth0".into()],
            timeouts,
        );
        p.add(61 * SECOND, b"", Default::default(), &redactor);
        p.close();
        p.add(130 * SECOND, b"", Default::default(), &redactor);
        p.close();
        assert_eq!(p.unfinished.len(), 2);
        assert_eq!(p.failures.count, 2);
        assert!(p.written.is_empty());
        std::fs::remove_file(&dir).unwrap();
        p.add(200 * SECOND, b"", Default::default(), &redactor);
        p.close();
        assert!(p.unfinished.is_empty());
        let relative: Vec<String> = p
            .written
            .iter()
            .map(|w| w.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(
            relative,
            [
                "date=1970-01-01/sensor=s1/hour=00/part=000100",
                "date=1970-01-01/sensor=s1/hour=00/part=000200",
                "date=1970-01-01/sensor=s1/hour=00/part=000300",
            ]
        );
        for w in &p.written {
            for table in ["flows", "calls", "findings", "networks", "clients"] {
                let df =
                    teleprobe_tables::read_parquet(&w.join(format!("{table}.parquet"))).unwrap();
                assert_eq!(df.height(), 0);
            }
        }
        assert!(
            std::fs::read_dir(&dir).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.'))
        );
    }
}
