//! The teleprobe command line.

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;
use teleprobe::analyze::{Options, analyze_files};
use teleprobe::assess::catalogue::Severity;
use teleprobe::assess::policy::Policy;
use teleprobe::assess::vendors::Vendors;
use teleprobe::report::redact::{Redactor, ScrubWriter};
use teleprobe::report::summary;

#[derive(Parser)]
#[command(
    name = "teleprobe",
    version,
    about = "Find what telehealth calls expose on the wire: flows, protocols and the facts a HIPAA assessment needs",
    after_help = "Examples:\n  teleprobe analyze captures/sip-rtp-cleartext.pcap\n  teleprobe analyze --json call.pcapng | jq '.flows[] | select(.protocols | index(\"rtp\"))'\n  teleprobe analyze -o report.json part1.pcap part2.pcap\n  tcpdump -w - -i eth0 udp | teleprobe analyze -"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse pcap/pcapng files: flows, protocols, TLS/DTLS, STUN/TURN, SIP/SDP, RTP, DNS, QUIC
    #[command(
        after_help = "Examples:\n  teleprobe analyze captures/webrtc-aiortc.pcap\n  teleprobe analyze --json -o report.json a.pcapng b.pcapng\n  teleprobe analyze - < capture.pcap\n  teleprobe analyze --policy clinic.toml --fail-on high capture.pcapng   # scripted audit\n\nExit codes: 0 done; 1 a finding at or above --fail-on; 2 unusable input or arguments (the report of what was read is still written).\nThe default policy is data/policy.toml in the source tree; print it with --print-policy."
    )]
    Analyze {
        /// Capture files (pcap or pcapng); several are merged in timestamp order; `-` reads standard input
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<String>,
        /// Print the JSON report on standard output instead of the summary
        #[arg(long)]
        json: bool,
        /// Write the JSON report to FILE (created owner-only)
        #[arg(short, long, value_name = "FILE")]
        output: Option<String>,
        /// Never show a progress bar
        #[arg(long)]
        quiet: bool,
        /// Show names, phone numbers, SIP URIs and e-mail addresses as captured
        /// (by default they are replaced by pseudonyms stable within the report)
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
    },
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze {
            captures,
            json,
            output,
            quiet,
            reveal,
            policy,
            vendors,
            fail_on,
        } => {
            let policy = match policy
                .as_deref()
                .map(|p| load(p, "policy", Policy::parse))
                .transpose()
            {
                Ok(p) => p.unwrap_or_default(),
                Err(e) => {
                    eprintln!("teleprobe: {e}");
                    return ExitCode::from(2);
                }
            };
            let vendors = match vendors
                .as_deref()
                .map(|p| load(p, "vendor file", Vendors::parse))
                .transpose()
            {
                Ok(extra) => extra.map(|extra| {
                    let mut all = Vendors::built_in();
                    all.extend(extra);
                    all
                }),
                Err(e) => {
                    eprintln!("teleprobe: {e}");
                    return ExitCode::from(2);
                }
            };
            let options = Options {
                progress: !quiet,
                reveal,
                policy,
                vendors,
            };
            analyze(
                &captures,
                json,
                output.as_deref(),
                options,
                fail_on.map(FailOn::severity),
            )
        }
        Command::PrintPolicy => {
            print!("{}", teleprobe::assess::policy::DEFAULT_POLICY);
            ExitCode::SUCCESS
        }
    }
}

fn analyze(
    captures: &[String],
    json: bool,
    output: Option<&str>,
    options: Options,
    fail_on: Option<Severity>,
) -> ExitCode {
    let analysis = match analyze_files(captures, &options) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("teleprobe: {e}");
            return ExitCode::from(2);
        }
    };
    let report = &analysis.report;
    if let Some(path) = output {
        if let Err(e) = write_private(path, report, &analysis.redactor) {
            eprintln!("teleprobe: cannot write {path}: {e}; choose a writable path with -o");
            return ExitCode::from(2);
        }
    }
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let printed = if json {
        let mut scrubbed =
            ScrubWriter::new(std::io::BufWriter::new(&mut stdout), &analysis.redactor);
        serde_json::to_writer_pretty(&mut scrubbed, report)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(scrubbed))
            .and_then(|_| scrubbed.flush())
    } else if output.is_none() || std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        write!(
            stdout,
            "{}",
            analysis.redactor.scrub(&summary::render(report))
        )
    } else {
        Ok(())
    };
    if let Err(e) = printed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("teleprobe: cannot write to standard output: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(e) = &analysis.error {
        eprintln!("teleprobe: {e}");
        return ExitCode::from(2);
    }
    if let Some(threshold) = fail_on {
        let failing = report
            .findings
            .iter()
            .filter(|f| f.severity >= threshold)
            .count();
        if failing > 0 {
            eprintln!(
                "teleprobe: {failing} finding(s) at or above {}",
                threshold.name()
            );
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

/// Reports can hold identifiers: create them readable by the owner only.
fn write_private(
    path: &str,
    report: &teleprobe::report::model::Report,
    redactor: &Redactor,
) -> std::io::Result<()> {
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
    let mut writer = ScrubWriter::new(std::io::BufWriter::new(file), redactor);
    serde_json::to_writer_pretty(&mut writer, report).map_err(std::io::Error::other)?;
    writeln!(writer)?;
    writer.flush()
}
