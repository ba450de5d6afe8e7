//! The teleprobe command line.

use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use teleprobe::assess::catalogue::Severity;
use teleprobe::assess::policy::Policy;
use teleprobe::assess::vendors::Vendors;
use teleprobe::flow::Timeouts;
use teleprobe::report::redact::{Redactor, ScrubWriter};
use teleprobe::report::summary;
use teleprobe::session::{Analysis, Options, Stream, analyze_source};
use teleprobe::source::live::{LiveOptions, LiveSource, devices};
use teleprobe::source::record::RecordOptions;
use teleprobe::source::{PacketSource, open_files};
use teleprobe::tui::TuiSource;

/// Writes a line to standard error; a closed stderr is not worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "teleprobe",
    version,
    about = "Find what telehealth calls expose on the wire: calls, verdicts, findings and the facts behind them",
    after_help = "Examples:\n  teleprobe analyze captures/sip-rtp-cleartext.pcap\n  teleprobe analyze --json call.pcapng | jq '.calls[] | {id, path, verdict}'\n  teleprobe analyze -o report.json part1.pcap part2.pcap\n  sudo teleprobe live -i eth0 -o report.json 'udp or tcp port 5061'\n  teleprobe devices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What every assessment run shares: output, privacy and policy.
#[derive(Args)]
struct ReportArgs {
    /// Print the JSON report on standard output instead of the summary
    #[arg(long)]
    json: bool,
    /// Write the JSON report to FILE (created owner-only)
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// Never show a progress bar or status line
    #[arg(long)]
    quiet: bool,
    /// Show names, phone numbers, SIP URIs, e-mail and outside addresses as
    /// captured (by default they are replaced by pseudonyms stable within the report)
    #[arg(long)]
    reveal: bool,
    /// Assessment policy (TOML): clinic networks, minimum TLS, allowed relays and vendors, severities
    #[arg(long, value_name = "FILE")]
    policy: Option<String>,
    /// Extra or overriding vendor definitions (TOML, same format as the built-in list)
    #[arg(long, value_name = "FILE")]
    vendors: Option<String>,
    /// Exit with status 1 when a finding at or above this severity exists
    #[arg(long, value_name = "SEVERITY", value_enum)]
    fail_on: Option<FailOn>,
    /// Write flows, calls and findings as Parquet tables into DIR
    #[cfg(feature = "tables")]
    #[arg(long, value_name = "DIR")]
    parquet: Option<String>,
    /// Write flows, calls and findings as CSV tables into DIR
    #[cfg(feature = "tables")]
    #[arg(long, value_name = "DIR")]
    csv: Option<String>,
    /// Sensor name: tables go to DIR/date=YYYY-MM-DD/sensor=NAME/ (Hive partitions)
    #[cfg(feature = "tables")]
    #[arg(long, value_name = "NAME")]
    sensor: Option<String>,
    /// Output format; for -o it is otherwise taken from the extension
    /// (.json, .jsonl, .md, .html, .ocsf). jsonl is written as calls and findings conclude
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<Format>,
    /// Seconds a UDP flow may be idle before it ends (calls stream out one such timeout after their last packet)
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    udp_timeout: u32,
    /// Seconds a TCP connection may be idle before it ends
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    tcp_timeout: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// The whole report (schema teleprobe.report/1)
    Json,
    /// One JSON object per call and per finding, written as each concludes
    Jsonl,
    /// Markdown, for tickets and wikis
    Md,
    /// One self-contained HTML page
    Html,
    /// OCSF Detection Finding events (class 2004), one per line
    Ocsf,
}

impl Format {
    fn from_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            Format::Jsonl
        } else if lower.ends_with(".md") || lower.ends_with(".markdown") {
            Format::Md
        } else if lower.ends_with(".html") || lower.ends_with(".htm") {
            Format::Html
        } else if lower.ends_with(".ocsf")
            || lower.ends_with(".ocsf.json")
            || lower.ends_with(".ocsf.jsonl")
        {
            Format::Ocsf
        } else {
            Format::Json
        }
    }
}

/// Writes the report in `format`.
fn render(
    format: Format,
    report: &teleprobe::report::model::Report,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use teleprobe::report::{html, markdown, ocsf};
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(|e| {
                match e.io_error_kind() {
                    // Keep a closed pipe recognisable (`| head` is not an error).
                    Some(kind) => std::io::Error::new(kind, e),
                    None => std::io::Error::other(e),
                }
            })?;
            writeln!(out)
        }
        // Streamed as calls conclude: see `jsonl_target`.
        Format::Jsonl => Ok(()),
        Format::Md => out.write_all(markdown::render(report).as_bytes()),
        Format::Html => out.write_all(html::render(report).as_bytes()),
        Format::Ocsf => out.write_all(ocsf::render(report).as_bytes()),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Analyse pcap/pcapng files: calls and verdicts, findings, flows and their protocols
    #[command(
        after_help = "Examples:\n  teleprobe analyze captures/webrtc-aiortc.pcap\n  teleprobe analyze --json -o report.json a.pcapng b.pcapng\n  teleprobe analyze - < capture.pcap\n  teleprobe analyze --policy clinic.toml --fail-on high capture.pcapng   # scripted audit\n\nExit codes: 0 done; 1 a finding at or above --fail-on; 2 unusable input or arguments (the report of what was read is still written).\nThe default policy is data/policy.toml in the source tree; print it with `teleprobe print-policy`."
    )]
    Analyze {
        /// Capture files (pcap or pcapng); several are merged in timestamp order; `-` reads standard input
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<String>,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Capture live from an interface until Ctrl-C, then report as `analyze` does
    #[command(
        after_help = "Examples:\n  sudo teleprobe live -i eth0 -o report.json\n  sudo teleprobe live -i eth0 --user nobody -o /tmp/report.json 'udp or tcp port 5060 or tcp port 5061'\n  teleprobe live -i lo --json 'udp port 3478'\n\nCapturing needs root or the capabilities: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v teleprobe).\nReceived and dropped packet counts are in capture.interface_stats and on the status line."
    )]
    Live {
        /// Interface to capture on (see `teleprobe devices`)
        #[arg(short, long, value_name = "IFACE")]
        interface: String,
        /// BPF capture filter (pcap-filter syntax), e.g. 'udp or tcp port 5061'
        #[arg(value_name = "FILTER", trailing_var_arg = true)]
        filter: Vec<String>,
        /// Put the interface in promiscuous mode
        #[arg(long)]
        promisc: bool,
        /// Bytes captured per packet
        #[arg(long, default_value_t = 262_144)]
        snaplen: i32,
        /// Kernel capture buffer in MiB (larger rides out bursts without drops)
        #[arg(long, default_value_t = 32)]
        buffer_mib: i32,
        /// After opening the interface, drop root privileges to this user (like tcpdump -Z)
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Also write the packets seen to this pcapng file (owner-only)
        #[arg(short = 'w', long = "write", value_name = "FILE")]
        write: Option<String>,
        /// With -w, start a new file (FILE.1.pcapng, ...) every N MiB
        #[arg(long, value_name = "N", requires = "write")]
        rotate_mib: Option<u64>,
        /// With -w, keep only the flows classified as telehealth (SIP, STUN/TURN, RTP/RTCP, DTLS, ZRTP)
        #[arg(long, requires = "write")]
        only_telehealth: bool,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Watch calls, flows and findings in the terminal, live or from a file
    #[command(
        after_help = "Examples:\n  sudo teleprobe tui -i eth0 --filter 'udp or tcp port 5061'\n  teleprobe tui captures/webrtc-aiortc-turn.pcap\n  teleprobe tui --realtime -o report.json call.pcapng\n\nKeys: 1-4 or Tab switch view, ↑/↓ move, Enter opens a call's ladder, / filters, s sorts flows, ? help, q quits."
    )]
    Tui {
        /// Capture live from this interface instead of reading files
        #[arg(short, long, value_name = "IFACE", conflicts_with = "captures")]
        interface: Option<String>,
        /// Capture files to replay
        #[arg(value_name = "CAPTURE", required_unless_present = "interface")]
        captures: Vec<String>,
        /// BPF capture filter for live capture
        #[arg(long, value_name = "FILTER")]
        filter: Option<String>,
        /// Replay at the capture's own pace instead of as fast as possible
        #[arg(long)]
        realtime: bool,
        /// Put the interface in promiscuous mode
        #[arg(long)]
        promisc: bool,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Aggregate many captures: JSON reports and --parquet directories (searched recursively)
    #[cfg(feature = "tables")]
    #[command(
        after_help = "Examples:\n  teleprobe summarize reports/*.json\n  teleprobe summarize --json tables-tree/ | jq '.vendors'\n  teleprobe summarize -o summary.json monday.json tuesday.json\n\nPrints totals, calls per verdict, per vendor and per protocol bytes and call counts with the share of media encrypted, and findings by id and severity per day.\nA capture found twice (as a report and as tables) is counted once."
    )]
    Summarize {
        /// JSON reports, Parquet table directories, or directories holding them
        #[arg(required = true, value_name = "DIR_OR_FILE")]
        inputs: Vec<String>,
        /// Print JSON instead of tables
        #[arg(long)]
        json: bool,
        /// Write the JSON summary to FILE (created owner-only)
        #[arg(short, long, value_name = "FILE")]
        output: Option<String>,
    },
    /// List the interfaces live capture can open
    Devices,
    /// Print the built-in default policy, to copy and edit
    PrintPolicy,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

/// Reads a TOML file given on the command line, or says what is wrong with it.
fn load<T>(path: &str, what: &str, parse: fn(&str) -> Result<T, String>) -> Result<T, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {what} {path}: {e}"))?;
    parse(&text).map_err(|e| format!("{what} {path}: {e}"))
}

impl ReportArgs {
    fn options(&self) -> Result<Options, String> {
        let policy = self
            .policy
            .as_deref()
            .map(|p| load(p, "policy", Policy::parse))
            .transpose()?;
        let vendors = self
            .vendors
            .as_deref()
            .map(|p| load(p, "vendor file", Vendors::parse))
            .transpose()?
            .map(|extra| {
                let mut all = Vendors::built_in();
                all.extend(extra);
                all
            });
        Ok(Options {
            progress: !self.quiet,
            reveal: self.reveal,
            policy: policy.unwrap_or_default(),
            vendors,
            record: None,
            timeouts: self.timeouts(),
        })
    }

    fn timeouts(&self) -> Timeouts {
        Timeouts {
            udp: i64::from(self.udp_timeout.max(1)) * 1_000_000_000,
            tcp: i64::from(self.tcp_timeout.max(1)) * 1_000_000_000,
        }
    }

    /// Where JSON lines go when the format is jsonl: a file, or standard
    /// output (`None`).
    fn jsonl_target(&self) -> Option<Option<&str>> {
        match &self.output {
            Some(path) => (self.format.unwrap_or_else(|| Format::from_path(path)) == Format::Jsonl)
                .then_some(Some(path.as_str())),
            None => (!self.json && self.format == Some(Format::Jsonl)).then_some(None),
        }
    }
}

/// Where JSON lines go: the owner-only file, or standard output (`None`).
fn jsonl_writer(target: Option<&str>) -> std::io::Result<Box<dyn Write>> {
    Ok(match target {
        Some(path) => Box::new(std::io::BufWriter::new(open_private(path)?)),
        None => Box::new(std::io::stdout()),
    })
}

/// Runs a source through the analysis; with `--format jsonl`, calls and
/// findings are written as they conclude, so a live capture reports while
/// it runs.
fn run_analysis(
    source: Box<dyn PacketSource + Send>,
    inputs: &[String],
    options: &Options,
    args: &ReportArgs,
) -> Result<Analysis, ExitCode> {
    let Some(target) = args.jsonl_target() else {
        return Ok(analyze_source(source, inputs, options, None));
    };
    let mut out = jsonl_writer(target).map_err(|e| {
        fail(&format!(
            "cannot write {}: {e}; choose a writable path with -o",
            target.unwrap_or("standard output")
        ))
    })?;
    let mut stream = Stream::new(&mut out, options.timeouts);
    let analysis = analyze_source(source, inputs, options, Some(&mut stream));
    match stream.error {
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(fail(&format!("cannot write the JSON lines: {e}")))
        }
        _ => Ok(analysis),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze { captures, report } => {
            let options = match report.options() {
                Ok(o) => o,
                Err(e) => return fail(&e),
            };
            let source = match open_files(&captures) {
                Ok(s) => s,
                Err(e) => return fail(&e.to_string()),
            };
            match run_analysis(source, &captures, &options, &report) {
                Ok(analysis) => finish(&analysis, &report, true),
                Err(code) => code,
            }
        }
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
            report,
        } => {
            let mut options = match report.options() {
                Ok(o) => o,
                Err(e) => return fail(&e),
            };
            options.record = write.map(|path| RecordOptions {
                path: path.into(),
                rotate_bytes: rotate_mib.map(|m| m << 20),
                only_telehealth,
            });
            let stop = Arc::new(AtomicBool::new(false));
            let flag = stop.clone();
            if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
                return fail(&format!("cannot install the Ctrl-C handler: {e}"));
            }
            let filter = (!filter.is_empty()).then(|| filter.join(" "));
            let live = LiveOptions {
                interface: interface.clone(),
                filter: filter.clone(),
                promiscuous: promisc,
                snaplen,
                buffer_size: buffer_mib.saturating_mul(1 << 20),
            };
            let source = match LiveSource::open(&live, stop) {
                Ok(s) => s,
                Err(e) => return fail(&e.to_string()),
            };
            if let Some(user) = &user {
                if let Err(e) = drop_privileges(user) {
                    return fail(&e);
                }
            }
            say!(
                "teleprobe: capturing on {interface}{}; Ctrl-C or SIGTERM stops and writes the report",
                filter
                    .map(|f| format!(" (filter: {f})"))
                    .unwrap_or_default()
            );
            let analysis = match run_analysis(
                Box::new(source),
                &[format!("live:{interface}")],
                &options,
                &report,
            ) {
                Ok(a) => a,
                Err(code) => return code,
            };
            if let Some(stats) = &analysis.report.capture.interface_stats {
                say!(
                    "teleprobe: {} packets received, {} dropped by the kernel buffer, {} by the interface",
                    stats.received,
                    stats.dropped,
                    stats.interface_dropped
                );
            }
            finish(&analysis, &report, true)
        }
        Command::Tui {
            interface,
            captures,
            filter,
            realtime,
            promisc,
            report,
        } => {
            let options = match report.options() {
                Ok(o) => o,
                Err(e) => return fail(&e),
            };
            let stop = Arc::new(AtomicBool::new(false));
            let flag = stop.clone();
            if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
                return fail(&format!("cannot install the Ctrl-C handler: {e}"));
            }
            let input = match &interface {
                Some(iface) => {
                    let live = LiveOptions {
                        interface: iface.clone(),
                        filter,
                        promiscuous: promisc,
                        snaplen: 262_144,
                        buffer_size: 32 << 20,
                    };
                    match LiveSource::open(&live, stop.clone()) {
                        Ok(source) => TuiSource {
                            source: Box::new(source),
                            inputs: vec![format!("live:{iface}")],
                            realtime: false,
                        },
                        Err(e) => return fail(&e.to_string()),
                    }
                }
                None => match open_files(&captures) {
                    Ok(source) => TuiSource {
                        source,
                        inputs: captures.clone(),
                        realtime,
                    },
                    Err(e) => return fail(&e.to_string()),
                },
            };
            match teleprobe::tui::run(input, &options, stop) {
                Ok(analysis) => {
                    let quiet = ReportArgs {
                        json: false,
                        ..report
                    };
                    // The screen was the summary: only write the report file.
                    if quiet.output.is_some() {
                        finish(&analysis, &quiet, false)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => fail(&format!("terminal error: {e}")),
            }
        }
        #[cfg(feature = "tables")]
        Command::Summarize {
            inputs,
            json,
            output,
        } => summarize(&inputs, json, output.as_deref()),
        Command::Devices => match devices() {
            Ok(list) => {
                for d in list {
                    println!(
                        "{:<16} {:<5} {}{}{}",
                        d.name,
                        if d.up { "up" } else { "down" },
                        d.addresses.join(", "),
                        if d.loopback { " (loopback)" } else { "" },
                        d.description.map(|t| format!("  {t}")).unwrap_or_default()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        },
        Command::PrintPolicy => {
            print!("{}", teleprobe::assess::policy::DEFAULT_POLICY);
            ExitCode::SUCCESS
        }
    }
}

#[cfg(feature = "tables")]
fn summarize(inputs: &[String], json: bool, output: Option<&str>) -> ExitCode {
    use teleprobe::summarize;
    let summarized = match summarize::summarize(inputs) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    for note in &summarized.skipped {
        say!("teleprobe: skipped {note}");
    }
    let as_json = || {
        summarize::to_json(&summarized)
            .and_then(|v| serde_json::to_string_pretty(&v).map_err(|e| e.to_string()))
    };
    if let Some(path) = output {
        let written = as_json().and_then(|text| {
            open_private(path)
                .and_then(|mut f| writeln!(f, "{text}"))
                .map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            return fail(&format!(
                "cannot write {path}: {e}; choose a writable path with -o"
            ));
        }
    }
    let text = if json {
        as_json()
    } else if output.is_none() {
        summarize::render_text(&summarized)
    } else {
        return ExitCode::SUCCESS;
    };
    match text {
        Ok(t) => {
            let _ = writeln!(std::io::stdout(), "{}", t.trim_end());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    say!("teleprobe: {message}");
    ExitCode::from(2)
}

/// Switches to `user` after the capture handle is open, so the rest of the
/// run (parsing untrusted packets) has no root privileges.
fn drop_privileges(user: &str) -> Result<(), String> {
    let name = std::ffi::CString::new(user).map_err(|_| format!("invalid user name {user:?}"))?;
    // SAFETY: getpwnam returns a pointer to static storage or null; we read it at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return Err(format!(
            "no such user {user}; pass an existing account to --user"
        ));
    }
    // SAFETY: pw is non-null and points to a valid passwd entry.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    // SAFETY: plain system calls with valid arguments; failures are checked.
    let failed = unsafe {
        libc::setgroups(0, std::ptr::null()) != 0
            || libc::setgid(gid) != 0
            || libc::setuid(uid) != 0
    };
    if failed {
        return Err(format!(
            "cannot switch to user {user}: {}; run as root to use --user",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Writes the outputs of a finished analysis and picks the exit code.
/// `streamed`: JSON lines were already written while the capture was read.
fn finish(analysis: &Analysis, args: &ReportArgs, streamed: bool) -> ExitCode {
    let report = &analysis.report;
    // JSON lines not streamed while reading (the TUI) are written all at once.
    if let (Some(target), false) = (args.jsonl_target(), streamed) {
        let written = jsonl_writer(target).and_then(|mut out| {
            let mut stream = Stream::new(&mut out, args.timeouts());
            stream.finish(report, &analysis.redactor);
            stream.error.map_or(Ok(()), Err)
        });
        if let Err(e) = written {
            return fail(&format!("cannot write the JSON lines: {e}"));
        }
    }
    if let Some(path) = &args.output {
        let format = args.format.unwrap_or_else(|| Format::from_path(path));
        if format != Format::Jsonl
            && let Err(e) = write_private(path, report, &analysis.redactor, format)
        {
            return fail(&format!(
                "cannot write {path}: {e}; choose a writable path with -o"
            ));
        }
    }
    #[cfg(feature = "tables")]
    for (dir, parquet) in [(&args.parquet, true), (&args.csv, false)] {
        if let Some(dir) = dir {
            // Tables hold the same values as the report: scrub them too.
            if let Err(e) = write_tables(analysis, dir, parquet, args.sensor.as_deref()) {
                return fail(&format!("cannot write tables to {dir}: {e}"));
            }
        }
    }
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let format = if args.json {
        Some(Format::Json)
    } else if args.output.is_none() {
        args.format
    } else {
        None
    };
    let printed = match format {
        Some(Format::Jsonl) => Ok(()),
        Some(format) => {
            let mut scrubbed =
                ScrubWriter::new(std::io::BufWriter::new(&mut stdout), &analysis.redactor);
            render(format, report, &mut scrubbed).and_then(|_| scrubbed.flush())
        }
        None if args.output.is_none() || std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            write!(
                stdout,
                "{}",
                analysis.redactor.scrub(&summary::render(report))
            )
        }
        None => Ok(()),
    };
    if let Err(e) = printed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(&format!("cannot write to standard output: {e}"));
        }
    }
    if let Some(e) = &analysis.error {
        return fail(&e.to_string());
    }
    if let Some(threshold) = args.fail_on.map(FailOn::severity) {
        let failing = report
            .findings
            .iter()
            .filter(|f| f.severity >= threshold)
            .count();
        if failing > 0 {
            say!(
                "teleprobe: {failing} finding(s) at or above {}",
                threshold.name()
            );
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

/// Writes the tables from the report as the outputs see it: addresses
/// outside the clinic pseudonymised like every other format.
#[cfg(feature = "tables")]
fn write_tables(
    analysis: &Analysis,
    dir: &str,
    parquet: bool,
    sensor: Option<&str>,
) -> Result<(), String> {
    teleprobe::report::tables::write(
        &analysis.report,
        std::path::Path::new(dir),
        parquet,
        sensor,
        &analysis.redactor,
    )
    .map(|_| ())
}

/// Creates (or truncates) an output file readable by the owner only.
fn open_private(path: &str) -> std::io::Result<std::fs::File> {
    use std::fs::OpenOptions;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let file = options.open(path)?;
    // An existing report file keeps its old mode through `open`: tighten it,
    // but never touch devices or pipes (`-o /dev/null`, `-o /dev/stdout`).
    #[cfg(unix)]
    if file.metadata()?.is_file() {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Reports can hold identifiers: create them readable by the owner only.
fn write_private(
    path: &str,
    report: &teleprobe::report::model::Report,
    redactor: &Redactor,
    format: Format,
) -> std::io::Result<()> {
    let file = open_private(path)?;
    let mut writer = ScrubWriter::new(std::io::BufWriter::new(file), redactor);
    render(format, report, &mut writer)?;
    writer.flush()
}
