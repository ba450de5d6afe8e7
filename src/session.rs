//! The analysis session: the engine plus the redact → assess → store
//! pipeline, stepped one packet at a time by replay, live capture and the
//! TUI alike (only the packet source differs), and the report it builds.

use crate::assess::Assessor;
use crate::assess::model::LegRole;
use crate::assess::policy::Policy;
use crate::assess::vendors::Vendors;
use crate::engine::{Engine, FlowSink};
use crate::facts::DialogRecord;
use crate::flow::Timeouts;
use crate::report::model::{Call, Finding, FlowRecord, Generator, Report, SCHEMA};
use crate::report::redact::Redactor;
use crate::report::store::FlowStore;
use crate::source::{PacketSource, SourceError, open_files};
use crate::time::Nanos;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashSet;
use std::io::IsTerminal;
use std::io::Write as _;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Show a progress bar on a terminal.
    pub progress: bool,
    /// No JSON report will be written (only other formats, or JSON lines):
    /// concluded calls are not rendered for one as they are written out.
    pub without_json_report: bool,
    /// Keep identifiers (names, numbers, SIP URIs...) instead of pseudonyms.
    pub reveal: bool,
    pub policy: Policy,
    pub vendors: Option<Vendors>,
    /// With 2 or more, the redact-assess-store pipeline runs on a thread of
    /// its own when nothing watches the session (the report is the same).
    pub threads: usize,
    /// Write the packets seen to pcapng (live capture's `-w`).
    pub record: Option<crate::source::record::RecordOptions>,
    /// Idle timeouts that end flows.
    pub timeouts: Timeouts,
    /// Databases that give servers their operator and country (`--geoip`).
    pub geoip: std::sync::Arc<crate::assess::geo::GeoIp>,
    /// Tracker hosts: the built-in list plus `--trackers` files.
    pub trackers: std::sync::Arc<crate::assess::trackers::Trackers>,
    /// The data files given (policy, vendors, trackers) with their SHA-256,
    /// for the evidence block; built-in data is added by the session.
    pub inputs: Vec<crate::report::model::InputDigest>,
    /// When the analysis runs (the CLI sets it; tests leave it out so
    /// reports compare equal).
    pub analysed_at: Option<crate::time::Timestamp>,
    /// Reports will be signed (`--sign`): the evidence block says so.
    pub signed: bool,
    /// A flag set by SIGHUP: re-read the policy file and have the
    /// watchers re-open their outputs (the logrotate convention).
    pub hangup: Option<&'static std::sync::atomic::AtomicBool>,
    /// The policy file given, re-read on SIGHUP.
    pub policy_path: Option<String>,
    /// Keep each ended flow's redacted JSON line until a watcher takes it
    /// ([`Session::take_ended_flows`]): the per-period tables of a sensor.
    pub tap_ended_flows: bool,
    /// Call-relevant flows held before settled calls are concluded during
    /// the capture (`None`: [`crate::assess::CONCLUDE_AT`]; 0 at every
    /// look, as tests do to exercise it on small captures).
    pub conclude_at: Option<usize>,
    /// Concluded calls held in memory before they are written out to a
    /// temporary file (`None`: [`crate::assess::calls::store::HOLD`]; 0
    /// writes each out, as tests do).
    pub calls_held: Option<usize>,
    /// Finished flows held in memory before those no call needs are
    /// written out to a temporary file (`None`: the store's own limit; 0
    /// writes each out, as tests do).
    pub flows_held: Option<usize>,
}

/// Where finished flows go: redaction first, so the assessment and every
/// output see only redacted values; then the findings rules; then the store.
struct Pipeline {
    redactor: Redactor,
    assessor: Assessor,
    store: FlowStore,
    /// Ended flows as redacted JSON lines, not yet taken (`tap_ended_flows`).
    ended: Option<Vec<u8>>,
}

impl Pipeline {
    /// The engine's wireless report as outputs see it: networks the policy
    /// names as the clinic's marked, before identifiers are redacted.
    fn wireless(&self, engine: &Engine) -> crate::facts::WirelessReport {
        let mut wireless = engine.wireless();
        crate::assess::wireless::mark_clinic(&mut wireless, &self.assessor.policy().wireless);
        self.redactor.apply_wireless(&mut wireless);
        wireless
    }
}

impl FlowSink for Pipeline {
    fn flow(&mut self, mut record: FlowRecord) {
        self.redactor.apply(&mut record);
        self.assessor.observe(&record);
        if let Some(lines) = self.ended.as_mut() {
            // Into memory: a Vec's writes cannot fail, a record always serializes.
            if self
                .redactor
                .to_json_writer(&mut *lines, &record, false)
                .is_ok()
            {
                lines.push(b'\n');
            }
        }
        self.store.flow(record);
    }

    fn dialog(&mut self, mut record: DialogRecord) {
        self.redactor.apply_dialog(&mut record);
        self.assessor.observe_dialog(record);
    }
}

/// What concluding settled calls looks at besides the ended flows: the
/// engine's running telehealth flows and dialogs (unredacted yet), its
/// DNS answers so far for platforms' names, and the capture time before
/// which a call must have gone quiet.
struct Conclude {
    running: Vec<FlowRecord>,
    live: Vec<DialogRecord>,
    dns: Vec<crate::facts::DnsName>,
    cutoff: crate::time::Timestamp,
}

/// The engine's running flows a call may draw on: telehealth protocols,
/// platform framing and markers, and connections whose SNI names a known
/// platform (the looks at settled calls, concluding and streaming, share it).
fn running_call_records(engine: &Engine, vendors: &Vendors) -> Vec<FlowRecord> {
    engine.live_call_records(&|sni| vendors.by_name(sni).is_some())
}

impl Conclude {
    fn from(engine: &Engine, timeouts: Timeouts, vendors: &Vendors) -> Conclude {
        Conclude {
            running: running_call_records(engine, vendors),
            live: engine.live_dialogs(),
            // Concluding reads only the names that are a platform's.
            dns: engine.dns_names_where(&|name| vendors.by_name(name).is_some()),
            cutoff: crate::time::Timestamp(engine.clock() - timeouts.udp),
        }
    }
}

impl Pipeline {
    fn conclude(&mut self, mut look: Conclude) {
        for record in &mut look.running {
            self.redactor.apply(record);
        }
        for dialog in &mut look.live {
            self.redactor.apply_dialog(dialog);
        }
        self.assessor
            .conclude_settled(look.running, look.live, &look.dns, look.cutoff);
    }
}

/// Where the pipeline runs: here, or on a thread of its own that takes the
/// ended flows and dialogs in order, in batches (`Options::threads` of 2 or
/// more, when nothing watches the session while it runs: the live views
/// read the pipeline as it goes). Either way it sees the same records in
/// the same order, so the report is the same.
enum Stage {
    // Boxed: the pipeline (assessor, store) is large, the worker's end small.
    Here(Box<Pipeline>),
    Worker(Worker),
}

/// What the engine hands on, as the worker receives it.
enum Ended {
    Flow(FlowRecord),
    Dialog(DialogRecord),
    Conclude(Box<Conclude>),
}

/// Records handed to the worker at once: few enough to keep both threads
/// busy, many enough that the channel costs nothing per record.
const HAND_OVER: usize = 256;

struct Worker {
    batch: Vec<Ended>,
    to_worker: std::sync::mpsc::SyncSender<Vec<Ended>>,
    done: std::thread::JoinHandle<Pipeline>,
}

impl Worker {
    fn start(mut pipeline: Pipeline) -> Worker {
        let (to_worker, batches) = std::sync::mpsc::sync_channel::<Vec<Ended>>(16);
        let done = std::thread::Builder::new()
            .name("teleprobe-assess".into())
            .spawn(move || {
                for batch in batches {
                    for ended in batch {
                        match ended {
                            Ended::Flow(record) => pipeline.flow(record),
                            Ended::Dialog(record) => pipeline.dialog(record),
                            Ended::Conclude(look) => pipeline.conclude(*look),
                        }
                    }
                }
                pipeline
            })
            .expect("the operating system refused a thread for the assessment");
        Worker {
            batch: Vec::with_capacity(HAND_OVER),
            to_worker,
            done,
        }
    }

    fn push(&mut self, ended: Ended) {
        self.batch.push(ended);
        if self.batch.len() >= HAND_OVER {
            self.hand_over();
        }
    }

    fn hand_over(&mut self) {
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(HAND_OVER));
        // A worker that is gone panicked: `join` says so.
        let _ = self.to_worker.send(full);
    }

    /// The pipeline, once the worker has taken every record.
    fn join(mut self) -> Pipeline {
        self.hand_over();
        drop(self.to_worker);
        self.done
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

impl FlowSink for Stage {
    fn flow(&mut self, record: FlowRecord) {
        match self {
            Stage::Here(pipeline) => pipeline.flow(record),
            Stage::Worker(worker) => worker.push(Ended::Flow(record)),
        }
    }

    fn dialog(&mut self, record: DialogRecord) {
        match self {
            Stage::Here(pipeline) => pipeline.dialog(record),
            Stage::Worker(worker) => worker.push(Ended::Dialog(record)),
        }
    }
}

pub struct Analysis {
    pub report: Report,
    /// The redactor of this run: outputs pass through it
    /// ([`Redactor::scrub`], [`Redactor::to_json_writer`]).
    pub redactor: Redactor,
    /// Set when reading stopped early (truncated or corrupt input); the report
    /// covers what was read before it.
    pub error: Option<SourceError>,
    /// With `tap_ended_flows`: the flows that ended since a watcher last
    /// took them, as redacted JSON lines.
    pub ended_flows: Vec<u8>,
    /// Why `-w` stopped writing packets (the analysis went on).
    pub recording_error: Option<String>,
    /// Calls concluded while the capture ran, their flows let go
    /// ([`Options::conclude_at`]).
    pub calls_concluded_early: usize,
}

/// Reads `files` (in timestamp order when several; `-` is standard input).
/// Errors opening a file are returned at once; errors while reading end the
/// analysis early and are kept in [`Analysis::error`].
pub fn analyze_files(files: &[String], options: &Options) -> Result<Analysis, SourceError> {
    Ok(analyze_source(open_files(files)?, files, options, None))
}

/// Runs any packet source (files, a live interface) through the engine and
/// the assessment until it ends, and builds the report. `inputs` name the
/// source in the report (file names, or the interface). A `watcher` looks
/// at the session after each packet and at the analysis at the end (the
/// JSON-lines writer streams calls and findings as they conclude).
pub fn analyze_source(
    mut source: Box<dyn PacketSource + Send>,
    inputs: &[String],
    options: &Options,
    mut watcher: Option<&mut dyn Watcher>,
) -> Analysis {
    let bar = progress_bar(
        options.progress && std::io::stderr().is_terminal(),
        source.progress().1,
    );
    let mut session = Session::new(options);
    let mut stats_read = std::time::Instant::now() - std::time::Duration::from_secs(2);
    if options.threads >= 2 && watcher.is_none() {
        session = session.with_pipeline_on_worker();
    }
    loop {
        // A load per packet; the write only when the signal came.
        if let Some(flag) = options.hangup
            && flag.load(std::sync::atomic::Ordering::Relaxed)
            && flag.swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            if let Some(path) = &options.policy_path {
                // The operator's log (the journal, under systemd) says what happened.
                let said = session.reload_policy(path);
                let _ = writeln!(std::io::stderr(), "teleprobe: {said}");
            }
            if let Some(watcher) = watcher.as_deref_mut() {
                watcher.hangup(&mut session);
            }
        }
        match session.step(source.as_mut()) {
            Ok(true) => {
                if let Some(watcher) = watcher.as_deref_mut() {
                    // The capture counters, for watchers, once a second at most.
                    if stats_read.elapsed() >= std::time::Duration::from_secs(1) {
                        session.source_stats = source.capture_stats();
                        stats_read = std::time::Instant::now();
                    }
                    watcher.poll(&mut session);
                }
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
    let analysis = session.finish(source.as_mut(), inputs);
    if let Some(watcher) = watcher {
        watcher.finish(&analysis);
    }
    analysis
}

/// Looks at a session while packets arrive and at its analysis when it
/// ends, without changing either.
pub trait Watcher {
    /// After each packet (and each idle wake-up of a live capture).
    fn poll(&mut self, session: &mut Session);
    fn finish(&mut self, analysis: &Analysis);
    /// SIGHUP: close and re-open output files.
    fn hangup(&mut self, _session: &mut Session) {}
}

/// Several watchers looking at one session (JSON lines and metrics).
pub struct Watchers<'w, 'o>(pub Vec<&'w mut (dyn Watcher + 'o)>);

impl Watcher for Watchers<'_, '_> {
    fn poll(&mut self, session: &mut Session) {
        for w in &mut self.0 {
            w.poll(session);
        }
    }

    fn finish(&mut self, analysis: &Analysis) {
        for w in &mut self.0 {
            w.finish(analysis);
        }
    }

    fn hangup(&mut self, session: &mut Session) {
        for w in &mut self.0 {
            w.hangup(session);
        }
    }
}

/// The state of one analysis while packets are still arriving: the engine,
/// the redact-assess-store pipeline, and the options. Replay, live capture
/// and the TUI all drive one.
pub struct Session {
    pub engine: Engine,
    pipeline: Stage,
    options: Options,
    pub error: Option<SourceError>,
    /// Writes the packets seen to pcapng (`live -w`).
    pub recorder: Option<crate::source::record::Recorder>,
    /// The source's capture counters (libpcap received and dropped), as
    /// last read, for watchers such as the metrics endpoint.
    pub source_stats: Option<crate::source::live::CaptureStats>,
    /// How the streamed outputs fare, as their writers report it.
    pub output_health: OutputHealth,
    /// Why `-w` stopped writing packets, if it did.
    pub recording_error: Option<String>,
    /// Capture time of the next look for settled calls to conclude.
    next_conclusion: Nanos,
    /// The platforms known, for which running connections a look at
    /// settled calls needs.
    vendors: std::sync::Arc<Vendors>,
}

/// Failures of the outputs written while the capture runs (rotated JSON
/// lines, per-period tables): counted for the metrics; what could not be
/// written is kept and tried again.
#[derive(Debug, Clone, Default)]
pub struct OutputHealth {
    pub errors: u64,
    pub last_error: Option<String>,
    /// Bytes waiting in memory to be written after a failure: JSON lines,
    /// and tables (as JSON).
    pub pending_jsonl_bytes: u64,
    pub pending_table_bytes: u64,
}

/// One streaming output's write failures: each kind said once in the log
/// (the journal, under systemd), every one counted for the metrics.
#[derive(Debug, Default)]
pub struct Failures {
    pub count: u64,
    reported: u64,
    last: Option<String>,
}

impl Failures {
    pub fn record(&mut self, said: String) {
        self.count += 1;
        if self.last.as_deref() != Some(said.as_str()) {
            let _ = writeln!(std::io::stderr(), "teleprobe: {said}");
            self.last = Some(said);
        }
    }

    /// The last failure said.
    pub fn last(&self) -> Option<&str> {
        self.last.as_deref()
    }

    /// Adds the failures since the last report to `health`.
    pub fn report(&mut self, health: &mut OutputHealth) {
        health.errors += self.count - self.reported;
        self.reported = self.count;
        if self.last.is_some() {
            health.last_error.clone_from(&self.last);
        }
    }
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
    /// Wi-Fi networks and clients so far (redacted).
    pub wireless: crate::facts::WirelessReport,
}

/// How the JSON report shows a call (pretty, pseudonymised as every
/// output is): each concluded call is rendered so when it is written out,
/// and the report copies it.
fn render_calls(redactor: Redactor) -> crate::assess::calls::store::Renderer {
    std::sync::Arc::new(move |call, out| {
        redactor
            .to_json_writer(&mut *out, call, true)
            .map_err(std::io::Error::other)
    })
}

impl Session {
    pub fn new(options: &Options) -> Session {
        let vendors = options.vendors.clone().unwrap_or_else(Vendors::built_in);
        let redactor = Redactor::new(options.reveal, options.policy.clinic_networks.clone());
        let vendors = std::sync::Arc::new(vendors);
        let mut engine = Engine::with_timeouts(options.timeouts);
        let named = vendors.clone();
        engine.keep_names_that_matter(Box::new(move |name| named.by_name(name).is_some()));
        Session {
            engine,
            pipeline: Stage::Here(Box::new(Pipeline {
                redactor: redactor.clone(),
                assessor: Assessor::new(options.policy.clone(), (*vendors).clone())
                    .with_geoip(options.geoip.clone())
                    .with_trackers(options.trackers.clone())
                    .with_conclude_at(options.conclude_at.unwrap_or(crate::assess::CONCLUDE_AT))
                    .with_calls_held(
                        options
                            .calls_held
                            .unwrap_or(crate::assess::calls::store::HOLD),
                    )
                    .with_rendered_calls(
                        (!options.without_json_report).then(|| render_calls(redactor.clone())),
                    ),
                store: match options.flows_held {
                    Some(limit) => FlowStore::with_limit(limit, redactor),
                    None => FlowStore::new(redactor),
                },
                ended: options.tap_ended_flows.then(Vec::new),
            })),
            options: options.clone(),
            error: None,
            recorder: options
                .record
                .clone()
                .map(crate::source::record::Recorder::new),
            source_stats: None,
            output_health: OutputHealth::default(),
            recording_error: None,
            next_conclusion: 0,
            vendors,
        }
    }

    /// Concludes the calls that settled (quiet for a UDP idle timeout) and
    /// lets go of their flows, once per that timeout of capture time:
    /// memory holds the calls still open, not the whole capture's.
    fn conclude_settled(&mut self) {
        let timeouts = self.options.timeouts;
        self.next_conclusion = self.engine.clock() + timeouts.udp.max(1_000_000_000);
        match &mut self.pipeline {
            Stage::Here(pipeline) => {
                if pipeline.assessor.due() {
                    pipeline.conclude(Conclude::from(&self.engine, timeouts, &self.vendors));
                }
            }
            // The worker decides as `Here` would, at the same point of the
            // same stream of records.
            Stage::Worker(worker) => worker.push(Ended::Conclude(Box::new(Conclude::from(
                &self.engine,
                timeouts,
                &self.vendors,
            )))),
        }
    }

    /// The flows that ended since the last call, as redacted JSON lines
    /// (empty unless `tap_ended_flows`).
    pub fn take_ended_flows(&mut self) -> Vec<u8> {
        match &mut self.pipeline {
            Stage::Here(pipeline) => pipeline
                .ended
                .as_mut()
                .map(std::mem::take)
                .unwrap_or_default(),
            Stage::Worker(_) => Vec::new(),
        }
    }

    /// Flows written to the spill file so far.
    pub fn flows_spilled(&self) -> u64 {
        match &self.pipeline {
            Stage::Here(pipeline) => pipeline.store.spilled(),
            Stage::Worker(_) => 0,
        }
    }

    /// Feeds the next packet of `source` through; `Ok(false)` at its end.
    pub fn step(&mut self, source: &mut dyn PacketSource) -> Result<bool, SourceError> {
        let (engine, pipeline, recorder) =
            (&mut self.engine, &mut self.pipeline, &mut self.recorder);
        let mut write_error = None;
        let mut got_packet = false;
        let more = source.next_packet(&mut |pkt| {
            got_packet = true;
            let flow = engine.packet(pkt, pipeline);
            if let Some(r) = recorder.as_mut() {
                if let Err(e) = r.packet(pkt, flow) {
                    write_error = Some(e);
                }
            }
        })?;
        if let Some(e) = write_error {
            // A full disk must not stop the analysis: stop recording, say
            // so in the report, and exit 2 at the end.
            let file = self
                .recorder
                .take()
                .and_then(|r| r.files.last().cloned())
                .map(|f| format!(" to {}", f.display()))
                .unwrap_or_default();
            let said = format!("stopped writing packets{file}: {e}");
            self.engine.stats.notes.push(said.clone());
            self.recording_error = Some(said);
        }
        if self.engine.clock() >= self.next_conclusion {
            self.conclude_settled();
        }
        if more && !got_packet && source.wall_clock() {
            // A quiet live link: time still passes, and idle flows end.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as Nanos);
            self.engine.advance(now, &mut self.pipeline);
        }
        Ok(more)
    }

    /// Capture time now.
    pub fn clock(&self) -> Nanos {
        self.engine.clock()
    }

    /// The pipeline, for the views that read it while packets arrive. A
    /// session whose pipeline runs on a worker has no such view: only
    /// `analyze_source` without a watcher moves it there, and nothing else
    /// reaches that session until it finishes.
    fn here(&self) -> &Pipeline {
        match &self.pipeline {
            Stage::Here(pipeline) => pipeline,
            Stage::Worker(_) => unreachable!("a watched session keeps its pipeline here"),
        }
    }

    /// The session with its pipeline on a thread of its own.
    fn with_pipeline_on_worker(self) -> Session {
        let pipeline = match self.pipeline {
            Stage::Here(pipeline) => Stage::Worker(Worker::start(*pipeline)),
            worker => worker,
        };
        Session { pipeline, ..self }
    }

    /// How many flows have ended and been assessed so far.
    pub fn flows_observed(&self) -> u64 {
        self.here().assessor.observed()
    }

    /// Re-reads the policy file (SIGHUP): flows that end from now on are
    /// judged by it. A file that does not parse is reported and the
    /// previous policy stays. The clinic's networks keep deciding what is
    /// redacted, as they did when the run started.
    pub fn reload_policy(&mut self, path: &str) -> String {
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| Policy::parse(&text));
        match (loaded, &mut self.pipeline) {
            (Ok(policy), Stage::Here(pipeline)) => {
                pipeline.assessor.set_policy(policy.clone());
                self.options.policy = policy;
                format!("policy {path} re-read (SIGHUP)")
            }
            (Ok(_), Stage::Worker(_)) => format!(
                "policy {path} not re-read: the assessment runs on its own thread (use --threads 1)"
            ),
            // One line in the log, however the parser laid out its message.
            (Err(e), _) => format!(
                "policy {path} not re-read, the previous one stays: {}",
                e.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }

    /// The run's redactor: whatever is written passes through it.
    pub fn redactor(&self) -> &Redactor {
        &self.here().redactor
    }

    /// The calls and findings settled by now: none of their flows is still
    /// running and nothing happened in them for a UDP idle timeout, so no
    /// later packet is expected to change them. Running telehealth flows
    /// are correlated too, which keeps a call whose media is still flowing
    /// open even when its signaling flow has ended. Calls concluded during
    /// the capture are not among them: [`Session::concluded_calls`].
    /// The third value says whether anything was left unsettled, to look
    /// at again later.
    pub fn settled(&self) -> (Vec<Call>, Vec<Finding>, bool) {
        let mut live = running_call_records(&self.engine, &self.vendors);
        let running: HashSet<u64> = live.iter().map(|r| r.id).collect();
        let assessment = self.assess_with_running(&mut live, &self.wireless_so_far(), false);
        let (mut calls, mut findings) = (assessment.calls.into_calls(), assessment.findings);
        let cutoff = (self.engine.clock() - self.options.timeouts.udp) / 1000;
        let quiet = |t: &crate::time::Timestamp| t.micros() <= cutoff;
        let (all_calls, all_findings) = (calls.len(), findings.len());
        // A call has settled when its dialogs have ended (a BYE, a final
        // failure) and its other legs too: a trunk's signaling flow runs on
        // after each of its calls. The table keeps an ended dialog a while
        // longer for retransmissions; they change nothing that matters.
        calls.retain(|c| {
            quiet(&c.end)
                && c.dialogs.iter().all(|d| !d.live || d.ended.is_some())
                && c.legs.iter().all(|l| {
                    !running.contains(&l.flow)
                        || (l.role == LegRole::Signaling && !c.dialogs.is_empty())
                })
        });
        findings.retain(|f| {
            f.evidence
                .iter()
                .all(|e| quiet(&e.last_timestamp) && !running.contains(&e.flow))
        });
        let pending = calls.len() < all_calls || findings.len() < all_findings;
        (calls, findings, pending)
    }

    /// The assessment of the ended flows so far plus `running` ones (redacted
    /// here), on a copy: nothing ends, the pipeline goes on untouched.
    /// Without `with_concluded`, the calls concluded before are left out
    /// ([`Session::concluded_calls`] hands them out).
    fn assess_with_running(
        &self,
        running: &mut [FlowRecord],
        wireless: &crate::facts::WirelessReport,
        with_concluded: bool,
    ) -> crate::assess::Assessment {
        let pipeline = self.here();
        let mut assessor = pipeline.assessor.clone();
        assessor.observe_wireless(wireless);
        for record in running.iter_mut() {
            pipeline.redactor.apply(record);
            assessor.observe(record);
        }
        for mut dialog in self.engine.live_dialogs() {
            pipeline.redactor.apply_dialog(&mut dialog);
            assessor.observe_dialog(dialog);
        }
        let dns = self.engine.dns_names();
        if with_concluded {
            assessor.finish(&dns)
        } else {
            assessor.finish_open(&dns)
        }
    }

    /// The calls concluded during the capture from the `from`th on, in the
    /// order concluded: settled by definition.
    pub fn concluded_calls(&self, from: usize) -> Vec<Call> {
        self.here()
            .assessor
            .concluded()
            .iter_from(from)
            .map(std::borrow::Cow::into_owned)
            .collect()
    }

    /// Calls concluded during the capture, by verdict and platform.
    pub fn concluded_tally(&self) -> &crate::assess::calls::store::Tally {
        self.here().assessor.concluded().tally()
    }

    /// The wireless report so far, marked and redacted as the report's is.
    fn wireless_so_far(&self) -> crate::facts::WirelessReport {
        self.here().wireless(&self.engine)
    }

    /// Assesses the flows so far (at most `limit` of the running ones) without
    /// ending anything.
    pub fn snapshot(&self, limit: usize) -> Snapshot {
        let mut live = self.engine.live_records(limit);
        let wireless = self.wireless_so_far();
        let crate::assess::Assessment {
            calls,
            findings,
            summary,
            ..
        } = self.assess_with_running(&mut live, &wireless, true);
        let mut flows: Vec<FlowRecord> = self.here().store.in_memory().to_vec();
        flows.extend(live);
        flows.sort_by_key(|f| f.id);
        Snapshot {
            flows,
            calls: calls.into_calls(),
            findings,
            summary,
            packets: self.engine.stats.packets,
            bytes: self.engine.stats.bytes,
            live_flows: self.engine.live_flows(),
            wireless,
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
                Err(e) => {
                    let said = format!("writing packets to {} failed: {e}", names.join(", "));
                    self.recording_error.get_or_insert(said.clone());
                    said
                }
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
        let captures = source
            .file_digests()
            .into_iter()
            .map(|d| crate::report::model::CaptureDigest {
                path: d.path,
                bytes: d.bytes,
                sha256: d.sha256,
            })
            .collect();
        let pipeline = match self.pipeline {
            Stage::Here(pipeline) => *pipeline,
            Stage::Worker(worker) => worker.join(),
        };
        let wireless = pipeline.wireless(&self.engine);
        let Pipeline {
            mut assessor,
            mut store,
            redactor,
            ended,
        } = pipeline;
        store.sort();
        store.finish_writing();
        if let Some(e) = &store.spill_error {
            capture.notes.push(e.clone());
        }
        assessor.observe_wireless(&wireless);
        let assessment = assessor.finish(&dns_names);
        capture.notes.extend(assessment.notes.iter().cloned());
        if let Some(e) = assessment.calls.write_error() {
            capture.notes.push(e.to_string());
        }
        let evidence = crate::report::model::EvidenceBlock {
            captures,
            inputs: evidence_inputs(&self.options),
            tool: crate::report::model::ToolInfo {
                name: "teleprobe".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                features: if cfg!(feature = "tables") {
                    vec!["tables".into()]
                } else {
                    Vec::new()
                },
            },
            analysed_at: self.options.analysed_at,
            pseudonym_key_commitment: redactor.key_commitment(),
            signature: if self.options.signed {
                "minisign"
            } else {
                "none"
            }
            .into(),
        };
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
                calls: assessment.calls,
                messaging: assessment.messaging,
                findings: assessment.findings,
                summary: assessment.summary,
                wireless,
                evidence,
            },
            calls_concluded_early: assessment.concluded_early,
            error: self.error,
            ended_flows: ended.unwrap_or_default(),
            recording_error: self.recording_error,
        }
    }
}

/// The data the assessment judged with: the files given, and the built-in
/// lists for what no file replaced (the vendor and tracker files given
/// extend the built-in lists, so those are always listed).
fn evidence_inputs(options: &Options) -> Vec<crate::report::model::InputDigest> {
    use sha2::Digest;
    let built_in = |kind: &str, text: &str| crate::report::model::InputDigest {
        kind: kind.into(),
        source: "built-in".into(),
        sha256: crate::source::digest::hex(&sha2::Sha256::digest(text.as_bytes())),
    };
    let mut inputs = Vec::new();
    if !options.inputs.iter().any(|i| i.kind == "policy") {
        inputs.push(built_in("policy", crate::assess::policy::DEFAULT_POLICY));
    }
    inputs.push(built_in("vendors", crate::assess::vendors::BUILT_IN));
    inputs.push(built_in("trackers", crate::assess::trackers::BUILT_IN));
    inputs.extend(options.inputs.iter().cloned());
    inputs
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
