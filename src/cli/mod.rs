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
            rotate_mib,
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
                rotate_bytes: rotate_mib.map(|m| m << 20),
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
            report,
        } => {
            let capture = interface.map(|interface| LiveOptions {
                interface,
                filter,
                promiscuous: promisc,
                snaplen: DEFAULT_SNAPLEN,
                buffer_size: DEFAULT_BUFFER_MIB << 20,
            });
            tui(capture, captures, realtime, color.forced(), report)
        }
        #[cfg(feature = "tables")]
        Command::Summarize {
            inputs,
            json,
            output,
        } => summarize::run(&inputs, json, output.as_deref()),
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
    let analysis = run_analysis(source, captures, &options, args, None)?;
    Ok(outputs::write(&analysis, args, true))
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
    // Bound before the capture starts: an address in use is an error now.
    let mut metrics = match metrics {
        Some((address, public)) => {
            let (m, bound) = crate::output::metrics::serve(address, public)?;
            say(&format!("metrics on http://{bound}/metrics"));
            Some(m)
        }
        None => None,
    };
    let stop = stop_flag()?;
    // SIGHUP re-reads the policy file (the service manager's reload);
    // installed after the Ctrl-C handler, which would take SIGHUP as a stop.
    if let Some(path) = &args.policy {
        options.policy_reload = Some((path.clone(), on_hangup()?));
    }
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
    let analysis = run_analysis(Box::new(source), &inputs, &options, args, extra)?;
    if let Some(stats) = &analysis.report.capture.interface_stats {
        say(&format!(
            "{} packets received, {} dropped by the kernel buffer, {} by the interface",
            stats.received, stats.dropped, stats.interface_dropped
        ));
    }
    Ok(outputs::write(&analysis, args, true))
}

fn tui(
    capture: Option<LiveOptions>,
    captures: Vec<String>,
    realtime: bool,
    colour: Option<bool>,
    args: ReportArgs,
) -> Outcome {
    let options = args.options()?;
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
    let analysis = crate::tui::run(input, &options, stop, colour)
        .map_err(|e| format!("terminal error: {e}"))?;
    // The screen was the summary: only write the report file.
    if args.output.is_none() {
        return Ok(ExitCode::SUCCESS);
    }
    let file_only = ReportArgs {
        json: false,
        ..args
    };
    Ok(outputs::write(&analysis, &file_only, false))
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

/// Runs a source through the analysis; with `--format jsonl`, calls and
/// findings are written as they conclude, so a live capture reports while
/// it runs.
fn run_analysis(
    source: Box<dyn PacketSource + Send>,
    inputs: &[String],
    options: &Options,
    args: &ReportArgs,
    extra: Option<&mut dyn crate::session::Watcher>,
) -> Result<Analysis, String> {
    let Some(target) = args.jsonl_target() else {
        return Ok(analyze_source(source, inputs, options, extra));
    };
    if let (Some(every), crate::output::jsonl::Target::File(path)) = (args.rotate_seconds, target) {
        let mut rotation = crate::output::jsonl::Rotation::new(path, every, args.keep);
        if let Some(key) = &args.sign {
            rotation = rotation.signed_by(crate::output::signing::Signer::load(
                std::path::Path::new(key),
            )?);
        }
        let mut writer = JsonlWriter::rotating(rotation, options.timeouts);
        let analysis = watch(source, inputs, options, &mut writer, extra);
        return match writer.error {
            Some(e) => Err(format!("cannot write the JSON lines: {e}")),
            None => Ok(analysis),
        };
    }
    let mut out = target.open().map_err(|e| {
        format!(
            "cannot write {}: {e}; choose a writable path with -o",
            target.name()
        )
    })?;
    let mut writer = JsonlWriter::new(&mut out, options.timeouts);
    let analysis = watch(source, inputs, options, &mut writer, extra);
    match writer.error {
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the JSON lines: {e}"))
        }
        _ => Ok(analysis),
    }
}

/// Runs the analysis with the JSON-lines writer watching, and `extra` too.
fn watch(
    source: Box<dyn PacketSource + Send>,
    inputs: &[String],
    options: &Options,
    writer: &mut JsonlWriter<'_>,
    extra: Option<&mut dyn crate::session::Watcher>,
) -> Analysis {
    match extra {
        Some(extra) => {
            let mut both = crate::session::Watchers(vec![writer, extra]);
            analyze_source(source, inputs, options, Some(&mut both))
        }
        None => analyze_source(source, inputs, options, Some(writer)),
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
