//! The commands: each turns its parsed arguments into a packet source and
//! options, runs the session, and hands the analysis to [`outputs`]. This
//! is the only layer that knows about the process (arguments, signals,
//! exit codes); it must never hold analysis logic of its own.

pub mod args;
pub mod config;
mod outputs;
#[cfg(feature = "tables")]
mod summarize;

use crate::output::exit::{fail, say};
use crate::output::jsonl::JsonlWriter;
use crate::session::{Analysis, Options, analyze_source};
use crate::source::live::{DEFAULT_BUFFER_MIB, DEFAULT_SNAPLEN, LiveOptions, LiveSource, devices};
use crate::source::privileges::drop_privileges;
use crate::source::record::RecordOptions;
use crate::source::{PacketSource, open_files};
use crate::tui::TuiSource;
use args::{Cli, Command, ReportArgs};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs one command line to its exit code.
pub fn run(cli: Cli) -> ExitCode {
    let tables = match &cli.command {
        Command::Analyze { report, .. }
        | Command::Live { report, .. }
        | Command::Tui { report, .. } => {
            tables_built(report.parquet.is_some() || report.csv.is_some())
        }
        Command::Summarize { .. } => tables_built(true),
        _ => Ok(()),
    };
    if let Err(message) = tables {
        return fail(&message);
    }
    let result = match cli.command {
        Command::Analyze {
            captures,
            threads,
            report,
        } => analyze(&captures, threads, &report),
        Command::Live {
            interface,
            filter,
            promisc,
            snaplen,
            buffer_mib,
            user,
            write,
            only_telehealth,
            metrics,
            metrics_public,
            // Read before parsing (config::apply): its settings are flags by now.
            config: _,
            report,
        } => {
            let capture = LiveOptions {
                interface,
                filter: (!filter.is_empty()).then(|| filter.join(" ")),
                promiscuous: promisc,
                snaplen,
                buffer_size: buffer_mib.saturating_mul(1 << 20),
            };
            let record = write.map(|path| RecordOptions {
                path: path.into(),
                rotate_bytes: report.rotate_mib.map(|m| m << 20),
                only_telehealth,
            });
            live(
                capture,
                user.as_deref(),
                record,
                metrics.as_deref().map(|m| (m, metrics_public)),
                &report,
            )
        }
        Command::Tui {
            interface,
            captures,
            filter,
            realtime,
            promisc,
            color,
            metrics,
            metrics_public,
            report,
        } => {
            let capture = interface.map(|interface| LiveOptions {
                interface,
                filter,
                promiscuous: promisc,
                snaplen: DEFAULT_SNAPLEN,
                buffer_size: DEFAULT_BUFFER_MIB << 20,
            });
            let metrics = metrics.as_deref().map(|m| (m, metrics_public));
            tui(capture, captures, realtime, color.forced(), metrics, report)
        }
        #[cfg(feature = "tables")]
        Command::Summarize {
            inputs,
            json,
            output,
        } => summarize::run(&inputs, json, output.as_deref()),
        #[cfg(not(feature = "tables"))]
        Command::Summarize { .. } => tables_built(true).map(|()| ExitCode::SUCCESS),
        Command::Keygen { output, force } => keygen(&output, force),
        Command::Verify {
            report,
            captures,
            public_key,
        } => verify(&report, &captures, &public_key),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "teleprobe", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map(|()| ExitCode::SUCCESS)
                .map_err(|e| format!("cannot write the manual page: {e}"))
        }
        Command::Devices => list_devices(),
        Command::PrintPolicy => {
            print!("{}", crate::assess::policy::DEFAULT_POLICY);
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|message| fail(&message))
}

/// A command's outcome: its exit code, or a message saying what to do
/// (exit code 2).
type Outcome = Result<ExitCode, String>;

/// Tables (Parquet, CSV, `summarize`) come with the `tables` feature, which
/// builds polars (most of a clean build): a binary built without it says
/// how to get them when a command asks for them.
fn tables_built(wanted: bool) -> Result<(), String> {
    if cfg!(feature = "tables") || !wanted {
        return Ok(());
    }
    Err(
        "this teleprobe was built without tables (--parquet, --csv, summarize): \
         build it with `cargo build --release --features tables`, or run it \
         through ./run, which does so when a command asks for tables"
            .into(),
    )
}

/// More threads than this find little more to do: with two, the engine
/// follows the packets while helpers read the files ahead of it and
/// redact, assess and store the flows that ended.
const MAX_THREADS: usize = 2;

fn analyze(captures: &[String], threads: Option<usize>, args: &ReportArgs) -> Outcome {
    let mut options = args.options()?;
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
    });
    options.threads = threads;
    let mut source = open_files(captures).map_err(|e| e.to_string())?;
    if threads >= 2 {
        source = Box::new(crate::source::ReadAhead::new(source));
    }
    let analysis = run_analysis(source, captures, &options, args, None, false)?;
    Ok(outputs::write(&analysis, args, true, false))
}

fn live(
    capture: LiveOptions,
    user: Option<&str>,
    record: Option<RecordOptions>,
    metrics: Option<(&str, bool)>,
    args: &ReportArgs,
) -> Outcome {
    let mut options = args.options()?;
    options.record = record;
    let mut metrics = serve_metrics(metrics)?;
    let stop = stop_flag()?;
    // SIGHUP re-reads the policy file and re-opens the output files (the
    // service manager's reload, logrotate's signal); installed after the
    // Ctrl-C handler, which would take SIGHUP as a stop.
    options.hangup = Some(on_hangup()?);
    options.policy_path.clone_from(&args.policy);
    let source = LiveSource::open(&capture, stop).map_err(|e| e.to_string())?;
    if let Some(user) = user {
        drop_privileges(user)?;
    }
    let interface = &capture.interface;
    say(&format!(
        "capturing on {interface}{}; Ctrl-C or SIGTERM stops and writes the report",
        capture
            .filter
            .as_ref()
            .map(|f| format!(" (filter: {f})"))
            .unwrap_or_default()
    ));
    let inputs = [format!("live:{interface}")];
    let extra = metrics
        .as_mut()
        .map(|m| m as &mut dyn crate::session::Watcher);
    let analysis = run_analysis(Box::new(source), &inputs, &options, args, extra, true)?;
    if let Some(stats) = &analysis.report.capture.interface_stats {
        say(&format!(
            "{} packets received, {} dropped by the kernel buffer, {} by the interface",
            stats.received, stats.dropped, stats.interface_dropped
        ));
    }
    Ok(outputs::write(&analysis, args, true, true))
}

/// `--metrics ADDR`: bound before the capture starts, so an address in
/// use is an error now.
fn serve_metrics(
    metrics: Option<(&str, bool)>,
) -> Result<Option<crate::output::metrics::Metrics>, String> {
    let Some((address, public)) = metrics else {
        return Ok(None);
    };
    let (m, bound) = crate::output::metrics::serve(address, public)?;
    say(&format!("metrics on http://{bound}/metrics"));
    Ok(Some(m))
}

fn tui(
    capture: Option<LiveOptions>,
    captures: Vec<String>,
    realtime: bool,
    colour: Option<bool>,
    metrics: Option<(&str, bool)>,
    args: ReportArgs,
) -> Outcome {
    let options = args.options()?;
    let metrics = serve_metrics(metrics)?;
    let stop = stop_flag()?;
    let input = match capture {
        Some(capture) => TuiSource {
            source: Box::new(LiveSource::open(&capture, stop.clone()).map_err(|e| e.to_string())?),
            inputs: vec![format!("live:{}", capture.interface)],
            realtime: false,
        },
        None => TuiSource {
            source: open_files(&captures).map_err(|e| e.to_string())?,
            inputs: captures,
            realtime,
        },
    };
    let watcher = metrics.map(|m| Box::new(m) as Box<dyn crate::session::Watcher + Send>);
    let analysis = crate::tui::run(input, &options, stop, colour, watcher)
        .map_err(|e| format!("terminal error: {e}"))?;
    // The screen was the summary: only write the report file.
    if args.output.is_none() {
        return Ok(ExitCode::SUCCESS);
    }
    let file_only = ReportArgs {
        json: false,
        ..args
    };
    Ok(outputs::write(&analysis, &file_only, false, false))
}

fn list_devices() -> Outcome {
    for d in devices().map_err(|e| e.to_string())? {
        println!(
            "{:<16} {:<5} {}{}{}",
            d.name,
            if d.up { "up" } else { "down" },
            d.addresses.join(", "),
            if d.loopback { " (loopback)" } else { "" },
            d.description.map(|t| format!("  {t}")).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Set by Ctrl-C or SIGTERM: the capture stops and the report is written.
/// Set by SIGHUP, cleared by whoever acts on it.
static HANGUP: AtomicBool = AtomicBool::new(false);

extern "C" fn hangup(_: libc::c_int) {
    HANGUP.store(true, Ordering::Relaxed);
}

/// Installs the SIGHUP handler; the flag it sets.
fn on_hangup() -> Result<&'static AtomicBool, String> {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    let previous = unsafe { libc::signal(libc::SIGHUP, hangup as *const () as libc::sighandler_t) };
    if previous == libc::SIG_ERR {
        return Err("cannot install the SIGHUP handler".into());
    }
    Ok(&HANGUP)
}

fn stop_flag() -> Result<Arc<AtomicBool>, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))
        .map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))?;
    Ok(stop)
}

/// Runs a source through the analysis with the outputs written while it
/// runs watching: JSON lines (`--format jsonl`, rotated or not) as calls
/// and findings conclude, the per-period Parquet tables of a sensor, and
/// `extra` (the metrics endpoint).
fn run_analysis<'e>(
    source: Box<dyn PacketSource + Send>,
    inputs: &[String],
    options: &Options,
    args: &ReportArgs,
    extra: Option<&mut (dyn crate::session::Watcher + 'e)>,
    live: bool,
) -> Result<Analysis, String> {
    let mut jsonl = match args.jsonl_target() {
        Some(target) => Some(jsonl_writer(target, args, options.timeouts)?),
        None => None,
    };
    #[cfg(feature = "tables")]
    let mut partitions = match (args.table_periods(live), &args.parquet) {
        (Some(every), Some(dir)) => Some(crate::output::partitions::Partitions::new(
            dir,
            args.sensor.as_deref(),
            every,
            inputs,
            options.timeouts,
        )),
        _ => None,
    };
    #[cfg(feature = "tables")]
    let tap_ended_flows = partitions.is_some();
    #[cfg(not(feature = "tables"))]
    let tap_ended_flows = {
        let _ = live;
        false
    };
    let options = Options {
        tap_ended_flows,
        ..options.clone()
    };
    let mut watchers: Vec<&mut (dyn crate::session::Watcher + 'e)> = Vec::new();
    if let Some(writer) = jsonl.as_mut() {
        watchers.push(writer);
    }
    #[cfg(feature = "tables")]
    if let Some(p) = partitions.as_mut() {
        watchers.push(p);
    }
    watchers.extend(extra);
    let analysis = if watchers.is_empty() {
        analyze_source(source, inputs, &options, None)
    } else {
        let mut all = crate::session::Watchers(watchers);
        analyze_source(source, inputs, &options, Some(&mut all))
    };
    if let Some(e) = jsonl.and_then(|w| w.error)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let target = args.jsonl_target().map_or("", |t| t.name());
        return Err(format!("cannot write the JSON lines to {target}: {e}"));
    }
    #[cfg(feature = "tables")]
    if let Some(e) = partitions.and_then(|p| p.error) {
        return Err(e);
    }
    Ok(analysis)
}

/// The JSON-lines writer for `target`: rotating files with
/// `--rotate-seconds` or `--rotate-mib`, else one file or standard output.
fn jsonl_writer(
    target: crate::output::jsonl::Target<'_>,
    args: &ReportArgs,
    timeouts: crate::flow::Timeouts,
) -> Result<JsonlWriter<'static>, String> {
    use crate::output::jsonl::{Rotation, Target};
    match target {
        Target::File(path) if args.rotate_seconds.is_some() || args.rotate_mib.is_some() => {
            let mut rotation = Rotation::new(path, args.rotate_seconds, args.rotate_mib, args.keep);
            if let Some(key) = &args.sign {
                rotation = rotation.signed_by(crate::output::signing::Signer::load(
                    std::path::Path::new(key),
                )?);
            }
            Ok(JsonlWriter::rotating(rotation, timeouts))
        }
        _ => JsonlWriter::for_target(target, timeouts).map_err(|e| {
            format!(
                "cannot write {}: {e}; choose a writable path with -o",
                target.name()
            )
        }),
    }
}

fn keygen(output: &str, force: bool) -> Outcome {
    let path = std::path::Path::new(output);
    let (id, public) = crate::output::signing::keygen(path, force)?;
    let protected =
        std::env::var(crate::output::signing::PASSWORD_VAR).is_ok_and(|p| !p.is_empty());
    println!(
        "secret key: {output} (owner-only{})\npublic key: {} (key id {id})\n{public}",
        if protected {
            ", password-protected"
        } else {
            ", no password: keep it safe, or set TELEPROBE_KEY_PASSWORD and run again"
        },
        crate::output::signing::public_path(path).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// PASS/FAIL per check; exit 1 when any failed.
fn verify(report: &str, captures: &[String], public_key: &str) -> Outcome {
    let captures: Vec<std::path::PathBuf> = captures.iter().map(std::path::PathBuf::from).collect();
    let checks = crate::output::signing::verify(
        std::path::Path::new(report),
        std::path::Path::new(public_key),
        &captures,
    )?;
    for c in &checks {
        println!("{} {}", if c.passed { "PASS" } else { "FAIL" }, c.what);
    }
    Ok(if checks.iter().all(|c| c.passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
