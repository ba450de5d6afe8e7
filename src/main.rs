//! The teleprobe command line.

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;
use teleprobe::analyze::{Options, analyze_files};
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
        after_help = "Examples:\n  teleprobe analyze captures/webrtc-aiortc.pcap\n  teleprobe analyze --json -o report.json a.pcapng b.pcapng\n  teleprobe analyze - < capture.pcap\n\nExit codes: 0 done, 2 unusable input or arguments (the report of what was read is still written)."
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
    },
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
        } => analyze(
            &captures,
            json,
            output.as_deref(),
            Options {
                progress: !quiet,
                reveal,
            },
        ),
    }
}

fn analyze(captures: &[String], json: bool, output: Option<&str>, options: Options) -> ExitCode {
    let analysis = match analyze_files(captures, &options) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("teleprobe: {e}");
            return ExitCode::from(2);
        }
    };
    let report = &analysis.report;
    if let Some(path) = output {
        if let Err(e) = write_private(path, report) {
            eprintln!("teleprobe: cannot write {path}: {e}; choose a writable path with -o");
            return ExitCode::from(2);
        }
    }
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let printed = if json {
        serde_json::to_writer_pretty(&mut stdout, report)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(stdout))
    } else if output.is_none() || std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        write!(stdout, "{}", summary::render(report))
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
    ExitCode::SUCCESS
}

/// Reports can hold identifiers: create them readable by the owner only.
fn write_private(path: &str, report: &teleprobe::report::model::Report) -> std::io::Result<()> {
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
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, report).map_err(std::io::Error::other)?;
    writeln!(writer)?;
    writer.flush()
}
