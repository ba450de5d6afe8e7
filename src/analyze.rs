//! Replay: read capture files through the engine and build the report.

use crate::assess::Assessor;
use crate::assess::policy::Policy;
use crate::assess::vendors::Vendors;
use crate::engine::{Engine, FlowSink};
use crate::report::model::{FlowRecord, Generator, Report, SCHEMA};
use crate::report::redact::Redactor;
use crate::report::store::FlowStore;
use crate::source::{FileSource, MergedSource, PacketSource, SourceError};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Show a progress bar on a terminal.
    pub progress: bool,
    /// Keep identifiers (names, numbers, SIP URIs...) instead of pseudonyms.
    pub reveal: bool,
    pub policy: Policy,
    pub vendors: Option<Vendors>,
    /// Write the packets seen to pcapng (live capture's `-w`).
    pub record: Option<crate::source::record::RecordOptions>,
}

/// Where finished flows go: redaction first, so the assessment and every
/// output see only redacted values; then the findings rules; then the store.
struct Pipeline {
    redactor: Redactor,
    assessor: Assessor,
    store: FlowStore,
}

impl FlowSink for Pipeline {
    fn flow(&mut self, mut record: FlowRecord) {
        self.redactor.apply(&mut record);
        self.assessor.observe(&record);
        self.store.flow(record);
    }
}

pub struct Analysis {
    pub report: Report,
    /// The redactor of this run: outputs pass through it
    /// ([`Redactor::scrub`], [`crate::report::redact::ScrubWriter`]).
    pub redactor: Redactor,
    /// Set when reading stopped early (truncated or corrupt input); the report
    /// covers what was read before it.
    pub error: Option<SourceError>,
}

/// Reads `files` (in timestamp order when several; `-` is standard input).
/// Errors opening a file are returned at once; errors while reading end the
/// analysis early and are kept in [`Analysis::error`].
pub fn analyze_files(files: &[String], options: &Options) -> Result<Analysis, SourceError> {
    let mut sources = files
        .iter()
        .map(|f| FileSource::open(f))
        .collect::<Result<Vec<_>, _>>()?;
    let source: Box<dyn PacketSource> = if sources.len() == 1 {
        Box::new(sources.remove(0))
    } else {
        Box::new(MergedSource::new(sources))
    };
    Ok(analyze_source(source, files, options))
}

/// Runs any packet source (files, a live interface) through the engine and
/// the assessment until it ends, and builds the report. `inputs` name the
/// source in the report (file names, or the interface).
pub fn analyze_source(
    mut source: Box<dyn PacketSource>,
    inputs: &[String],
    options: &Options,
) -> Analysis {
    let bar = progress_bar(
        options.progress && std::io::stderr().is_terminal(),
        source.progress().1,
    );
    let mut session = Session::new(options);
    loop {
        match session.step(source.as_mut()) {
            Ok(true) => {
                if session.engine.stats.packets % 8192 == 0 {
                    if let Some(bar) = &bar {
                        bar.set_position(source.progress().0);
                        let drops = source
                            .capture_stats()
                            .map(|s| format!(", {} dropped", s.dropped + s.interface_dropped))
                            .unwrap_or_default();
                        bar.set_message(format!(
                            "{} packets, {} live flows{drops}",
                            session.engine.stats.packets,
                            session.engine.live_flows()
                        ));
                    }
                }
            }
            Ok(false) => break,
            Err(e) => {
                session.error = Some(e);
                break;
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    session.finish(source.as_mut(), inputs)
}

/// The state of one analysis while packets are still arriving: the engine,
/// the redact-assess-store pipeline, and the options. Replay, live capture
/// and the TUI all drive one.
pub struct Session {
    pub engine: Engine,
    pipeline: Pipeline,
    options: Options,
    pub error: Option<SourceError>,
    /// Writes the packets seen to pcapng (`live -w`).
    pub recorder: Option<crate::source::record::Recorder>,
}

/// What a live view shows: the same model as the report, for the flows so
/// far (ended and still running).
pub struct Snapshot {
    pub flows: Vec<FlowRecord>,
    pub calls: Vec<crate::report::model::Call>,
    pub findings: Vec<crate::report::model::Finding>,
    pub summary: crate::report::model::Summary,
    pub packets: u64,
    pub bytes: u64,
    pub live_flows: usize,
}

impl Session {
    pub fn new(options: &Options) -> Session {
        let vendors = options.vendors.clone().unwrap_or_else(Vendors::built_in);
        Session {
            engine: Engine::new(),
            pipeline: Pipeline {
                redactor: Redactor::new(options.reveal, options.policy.clinic_networks.clone()),
                assessor: Assessor::new(options.policy.clone(), vendors),
                store: FlowStore::new(),
            },
            options: options.clone(),
            error: None,
            recorder: options
                .record
                .clone()
                .map(crate::source::record::Recorder::new),
        }
    }

    /// Feeds the next packet of `source` through; `Ok(false)` at its end.
    pub fn step(&mut self, source: &mut dyn PacketSource) -> Result<bool, SourceError> {
        let (engine, pipeline, recorder) =
            (&mut self.engine, &mut self.pipeline, &mut self.recorder);
        let mut write_error = None;
        let more = source.next_packet(&mut |pkt| {
            let flow = engine.packet(pkt, pipeline);
            if let Some(r) = recorder.as_mut() {
                if let Err(e) = r.packet(pkt, flow) {
                    write_error = Some(e);
                }
            }
        })?;
        if let Some(e) = write_error {
            // A full disk must not stop the analysis: stop recording, say so.
            self.recorder = None;
            self.engine
                .stats
                .notes
                .push(format!("stopped writing packets: {e}"));
        }
        Ok(more)
    }

    /// Assesses the flows so far (at most `limit` of the running ones) without
    /// ending anything.
    pub fn snapshot(&self, limit: usize) -> Snapshot {
        let mut flows: Vec<FlowRecord> = self.pipeline.store.in_memory().to_vec();
        for mut record in self.engine.live_records(limit) {
            self.pipeline.redactor.apply(&mut record);
            flows.push(record);
        }
        flows.sort_by_key(|f| f.id);
        let vendors = self
            .options
            .vendors
            .clone()
            .unwrap_or_else(Vendors::built_in);
        let mut assessor = Assessor::new(self.options.policy.clone(), vendors);
        for f in &flows {
            assessor.observe(f);
        }
        let (calls, findings, summary) = assessor.finish(&self.engine.dns_names());
        Snapshot {
            flows,
            calls,
            findings,
            summary,
            packets: self.engine.stats.packets,
            bytes: self.engine.stats.bytes,
            live_flows: self.engine.live_flows(),
        }
    }

    /// Ends every flow and builds the report.
    pub fn finish(mut self, source: &mut dyn PacketSource, inputs: &[String]) -> Analysis {
        let recorded = self
            .recorder
            .as_mut()
            .map(|r| (r.finish(), r.packets_written, r.files.clone()));
        let (mut capture, dns_names) = self.engine.finish(&mut self.pipeline);
        if let Some((result, packets, files)) = recorded {
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            capture.notes.push(match result {
                Ok(()) => format!("{packets} packets written to {}", names.join(", ")),
                Err(e) => format!("writing packets failed: {e}"),
            });
        }
        capture.files = inputs.to_vec();
        capture.interface_stats = source.capture_stats();
        capture.link_types = {
            let mut names: Vec<String> = source
                .link_types()
                .iter()
                .map(|l| l.name().to_string())
                .collect();
            names.extend(capture.link_types);
            names.sort();
            names.dedup();
            names
        };
        capture.truncated = self.error.as_ref().map(|e| e.to_string());
        let Pipeline {
            assessor,
            mut store,
            redactor,
        } = self.pipeline;
        store.sort();
        store.finish_writing();
        if let Some(e) = &store.spill_error {
            capture.notes.push(e.clone());
        }
        let (calls, findings, summary) = assessor.finish(&dns_names);
        Analysis {
            redactor,
            report: Report {
                schema: SCHEMA,
                generator: Generator {
                    name: "teleprobe",
                    version: env!("CARGO_PKG_VERSION"),
                    redacted: !self.options.reveal,
                },
                capture,
                flows: store,
                dns_names,
                calls,
                findings,
                summary,
            },
            error: self.error,
        }
    }
}

fn progress_bar(enabled: bool, total: Option<u64>) -> Option<ProgressBar> {
    if !enabled {
        return None;
    }
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} [{bar:30}] {eta} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner(),
    };
    Some(bar)
}
