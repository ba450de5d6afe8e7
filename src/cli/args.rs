//! The command line's grammar: subcommands, options and their help with
//! examples (clap derive), and how options become the analysis' settings.
//! Parsing only; running a command is [`super`]'s job.

use crate::assess::catalogue::Severity;
use crate::assess::policy::Policy;
use crate::assess::vendors::Vendors;
use crate::flow::Timeouts;
use crate::output::format::Format;
use crate::output::jsonl::Target;
use crate::report::model::InputDigest;
use crate::session::Options;
use crate::source::live::{DEFAULT_BUFFER_MIB, DEFAULT_SNAPLEN};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "teleprobe",
    version = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("TELEPROBE_GIT_REVISION"), ")"),
    about = "Find what telehealth calls expose on the wire: calls, verdicts, findings and the facts behind them",
    after_help = "Examples:\n  teleprobe analyze captures/sip-rtp-cleartext.pcap\n  teleprobe analyze --json call.pcapng | jq '.calls[] | {id, path, verdict}'\n  teleprobe analyze -o report.json part1.pcap part2.pcap\n  sudo teleprobe live -i eth0 -o report.json 'udp or tcp port 5061'\n  teleprobe devices"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What every assessment run shares: output, privacy and policy.
#[derive(Args)]
pub struct ReportArgs {
    /// Print the JSON report on standard output instead of the summary
    #[arg(long)]
    pub json: bool,
    /// Write the JSON report to FILE (created owner-only)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,
    /// With JSON lines into -o FILE.jsonl: a new file every N seconds of
    /// capture time (from multiples of N), FILE-TIME.jsonl, renamed into
    /// place once complete; with --parquet, a partition of tables per
    /// period (live: hourly unless given)
    #[arg(long, value_name = "N")]
    pub rotate_seconds: Option<u32>,
    /// A new file when the current one reaches N MiB: JSON lines into -o,
    /// and live -w's pcapng (FILE.1.pcapng, ...)
    #[arg(long, value_name = "N")]
    pub rotate_mib: Option<u64>,
    /// With --rotate-seconds or --rotate-mib: keep at most N JSON-lines
    /// files (the oldest are removed)
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Never show a progress bar or status line
    #[arg(long)]
    pub quiet: bool,
    /// Show names, phone numbers, SIP URIs, e-mail and outside addresses as
    /// captured (by default they are replaced by pseudonyms stable within the report)
    #[arg(long)]
    pub reveal: bool,
    /// Assessment policy (TOML): clinic networks, minimum TLS, allowed relays and vendors, severities
    #[arg(long, value_name = "FILE")]
    pub policy: Option<String>,
    /// Extra or overriding vendor definitions (TOML, same format as the built-in list)
    #[arg(long, value_name = "FILE")]
    pub vendors: Option<String>,
    /// More tracker hosts: this project's TOML format (data/trackers.toml),
    /// ABP host rules (||host^, e.g. EasyPrivacy's tracking servers), one
    /// host per line, or Disconnect's services.json; repeat for several
    #[arg(long, value_name = "FILE")]
    pub trackers: Vec<String>,
    /// MaxMind-format database (GeoLite2-ASN, GeoLite2-Country or City,
    /// DB-IP, ip-location-db) giving servers and relays their operator and
    /// country; repeat for several
    #[arg(long, value_name = "FILE")]
    pub geoip: Vec<String>,
    /// Sign each report file written with -o: FILE.minisig beside it
    /// (minisign format; make a key with `teleprobe keygen`; an encrypted
    /// key's password comes from TELEPROBE_KEY_PASSWORD)
    #[arg(long, value_name = "KEY")]
    pub sign: Option<String>,
    /// Exit with status 1 when a finding at or above this severity exists
    #[arg(long, value_name = "SEVERITY", value_enum)]
    pub fail_on: Option<FailOn>,
    /// Write flows, calls and findings as Parquet tables into DIR; live
    /// (or with --rotate-seconds), a partition per period as it ends:
    /// DIR/date=D/[sensor=S/]hour=HH/part=HHMMSS/
    #[arg(long, value_name = "DIR")]
    pub parquet: Option<String>,
    /// Write flows, calls and findings as CSV tables into DIR
    #[arg(long, value_name = "DIR")]
    pub csv: Option<String>,
    /// Sensor name: tables go to DIR/date=YYYY-MM-DD/sensor=NAME/ (Hive partitions)
    #[arg(long, value_name = "NAME")]
    pub sensor: Option<String>,
    /// Output format; for -o it is otherwise taken from the extension
    /// (.json, .jsonl, .md, .html, .ocsf). jsonl is written as calls and findings conclude
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Seconds a UDP flow may be idle before it ends (calls stream out one such timeout after their last packet)
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub udp_timeout: u32,
    /// Seconds a TCP connection may be idle before it ends
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub tcp_timeout: u32,
}

#[derive(Subcommand)]
pub enum Command {
    /// Analyse pcap/pcapng files: calls and verdicts, findings, flows and their protocols
    #[command(
        after_help = "Examples:\n  teleprobe analyze captures/webrtc-aiortc.pcap\n  teleprobe analyze --json -o report.json a.pcapng b.pcapng\n  teleprobe analyze - < capture.pcap\n  teleprobe analyze --policy clinic.toml --fail-on high capture.pcapng   # scripted audit\n  teleprobe analyze -o wifi.html monitor-mode.pcapng   # 802.11 (radiotap, PPI, Prism, AVS): networks, clients, wifi-* findings\n\nExit codes: 0 done; 1 a finding at or above --fail-on; 2 unusable input or arguments (the report of what was read is still written).\nThe default policy is data/policy.toml in the source tree; print it with `teleprobe print-policy`."
    )]
    Analyze {
        /// Capture files (pcap or pcapng); several are merged in timestamp order; `-` reads standard input
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<String>,
        /// Threads: with 2, the files are read ahead of the engine and the flows that ended are assessed and stored beside it (the report is the same); default: the cores available, at most 2
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Capture live from an interface until Ctrl-C, then report as `analyze` does
    #[command(
        after_help = "Examples:\n  sudo teleprobe live -i eth0 -o report.json\n  sudo teleprobe live -i eth0 --user nobody -o /tmp/report.json 'udp or tcp port 5060 or tcp port 5061'\n  teleprobe live -i lo --json 'udp port 3478'\n  sudo teleprobe live -i wlan0mon -o wifi.html   # a monitor-mode interface: Wi-Fi networks and clients\n\nCapturing needs root or the capabilities: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v teleprobe).\nReceived and dropped packet counts are in capture.interface_stats and on the status line."
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
        #[arg(long, default_value_t = DEFAULT_SNAPLEN)]
        snaplen: i32,
        /// Kernel capture buffer in MiB (larger rides out bursts without drops)
        #[arg(long, default_value_t = DEFAULT_BUFFER_MIB)]
        buffer_mib: i32,
        /// After opening the interface, drop root privileges to this user (like tcpdump -Z)
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Also write the packets seen to this pcapng file (owner-only)
        #[arg(short = 'w', long = "write", value_name = "FILE")]
        write: Option<String>,
        /// Serve Prometheus metrics on http://ADDR/metrics while capturing
        /// (packets, drops, flows, calls by verdict, findings by severity)
        #[arg(long, value_name = "ADDR")]
        metrics: Option<String>,
        /// Allow --metrics on an address other than loopback
        #[arg(long, requires = "metrics")]
        metrics_public: bool,
        /// Settings from a TOML file (interface, filter, output, metrics,
        /// policy, rotate_seconds, keep...); flags given here win. Also
        /// TELEPROBE_CONFIG
        #[arg(long, value_name = "FILE")]
        config: Option<String>,
        /// With -w, keep only the flows classified as telehealth (SIP, STUN/TURN, RTP/RTCP, DTLS, ZRTP)
        #[arg(long, requires = "write")]
        only_telehealth: bool,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Watch calls, flows and findings in the terminal, live or from a file
    #[command(
        after_help = "Examples:\n  sudo teleprobe tui -i eth0 --filter 'udp or tcp port 5061'\n  teleprobe tui captures/webrtc-aiortc-turn.pcap\n  teleprobe tui --realtime -o report.json call.pcapng\n\nKeys: 1-5 or Tab switch view (5: Wi-Fi networks), ↑/↓ move, Enter opens a call's ladder, / filters, s sorts flows, ? help, q quits."
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
        /// Colours: auto (on unless NO_COLOR is set), always, never
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
        /// Serve Prometheus metrics on http://ADDR/metrics while the view runs
        #[arg(long, value_name = "ADDR")]
        metrics: Option<String>,
        /// Allow --metrics on an address other than loopback
        #[arg(long, requires = "metrics")]
        metrics_public: bool,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Aggregate many captures: JSON reports and --parquet directories (searched recursively)
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
    /// Make an Ed25519 key pair for signing reports (minisign format)
    #[command(
        after_help = "Examples:\n  teleprobe keygen -o ~/.teleprobe/report.key\n  TELEPROBE_KEY_PASSWORD=... teleprobe keygen -o report.key   # password-protected\n  teleprobe analyze --sign report.key -o report.json capture.pcapng\n  minisign -Vm report.json -p report.key.pub                  # Debian's minisign verifies it too\n\nWrites KEY (secret, owner-only) and KEY.pub (give it to whoever checks reports)."
    )]
    Keygen {
        /// Where to write the secret key (the public key goes to KEY.pub)
        #[arg(short, long, value_name = "KEY")]
        output: String,
        /// Replace an existing key
        #[arg(long)]
        force: bool,
    },
    /// Check a signed report: its signature, and the captures it names against their recorded SHA-256
    #[command(
        after_help = "Examples:\n  teleprobe verify -p report.key.pub report.json\n  teleprobe verify -p report.key.pub report.json capture.pcapng\n\nExit codes: 0 every check passed; 1 a check failed (the report, its signature or a capture was altered, or another key signed it); 2 unusable input."
    )]
    Verify {
        /// The report file (REPORT.minisig must be beside it)
        #[arg(value_name = "REPORT")]
        report: String,
        /// Capture files to check against the report's evidence block
        #[arg(value_name = "CAPTURE")]
        captures: Vec<String>,
        /// The signer's public key (KEY.pub from `teleprobe keygen`)
        #[arg(short = 'p', long = "pubkey", value_name = "KEY.pub")]
        public_key: String,
    },
    /// Print shell completions for bash, zsh, fish, elvish or powershell
    #[command(
        after_help = "Examples:\n  teleprobe completions bash > /etc/bash_completion.d/teleprobe\n  teleprobe completions zsh > \"${fpath[1]}/_teleprobe\"\n  teleprobe completions fish > ~/.config/fish/completions/teleprobe.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from this help
    #[command(
        after_help = "Examples:\n  teleprobe man > teleprobe.1 && man ./teleprobe.1\n  teleprobe man | gzip > /usr/share/man/man1/teleprobe.1.gz"
    )]
    Man,
    /// List the interfaces live capture can open
    Devices,
    /// Print the built-in default policy, to copy and edit
    PrintPolicy,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `None` for auto: NO_COLOR decides.
    pub fn forced(self) -> Option<bool> {
        match self {
            ColorChoice::Auto => None,
            ColorChoice::Always => Some(true),
            ColorChoice::Never => Some(false),
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

/// Reads a TOML file given on the command line, or says what is wrong with
/// it; the SHA-256 of the bytes parsed goes into `inputs` (evidence block).
fn load<T>(
    path: &str,
    what: &str,
    kind: &str,
    parse: fn(&str) -> Result<T, String>,
    inputs: &mut Vec<InputDigest>,
) -> Result<T, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {what} {path}: {e}"))?;
    inputs.push(input_digest(kind, path, text.as_bytes()));
    parse(&text).map_err(|e| format!("{what} {path}: {e}"))
}

/// The evidence block's record of a data file given on the command line.
fn input_digest(kind: &str, path: &str, bytes: &[u8]) -> InputDigest {
    use sha2::Digest;
    InputDigest {
        kind: kind.into(),
        source: path.into(),
        sha256: crate::source::digest::hex(&sha2::Sha256::digest(bytes)),
    }
}

impl ReportArgs {
    pub fn options(&self) -> Result<Options, String> {
        if self.keep.is_some() && self.rotate_seconds.is_none() && self.rotate_mib.is_none() {
            return Err(
                "--keep says how many rotated files to keep: add --rotate-seconds or --rotate-mib"
                    .into(),
            );
        }
        if let Some(key) = &self.sign {
            if self.output.is_none() {
                return Err("--sign signs the report file: give one with -o FILE".into());
            }
            // A key that cannot be used fails now, not after a long replay.
            crate::output::signing::Signer::load(std::path::Path::new(key))?;
        }
        let mut inputs = Vec::new();
        let policy = self
            .policy
            .as_deref()
            .map(|p| load(p, "policy", "policy", Policy::parse, &mut inputs))
            .transpose()?;
        let vendors = self
            .vendors
            .as_deref()
            .map(|p| load(p, "vendor file", "vendors", Vendors::parse, &mut inputs))
            .transpose()?
            .map(|extra| {
                let mut all = Vendors::built_in();
                all.extend(extra);
                all
            });
        Ok(Options {
            progress: !self.quiet,
            without_json_report: !self.writes_json_report(),
            threads: 1,
            reveal: self.reveal,
            policy: policy.unwrap_or_default(),
            vendors,
            record: None,
            timeouts: self.timeouts(),
            geoip: std::sync::Arc::new(crate::assess::geo::GeoIp::open(&self.geoip)?),
            trackers: std::sync::Arc::new(self.tracker_list(&mut inputs)?),
            inputs,
            analysed_at: Some(crate::time::Timestamp::now()),
            signed: self.sign.is_some(),
            hangup: None,
            policy_path: None,
            tap_ended_flows: false,
            conclude_at: None,
            calls_held: None,
            flows_held: None,
        })
    }

    /// The built-in tracker list plus the user's files (read lossily: a
    /// list is host names), each file's SHA-256 recorded in `inputs`.
    fn tracker_list(
        &self,
        inputs: &mut Vec<InputDigest>,
    ) -> Result<crate::assess::trackers::Trackers, String> {
        let mut all = crate::assess::trackers::Trackers::built_in();
        for path in &self.trackers {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read tracker list {path}: {e}"))?;
            inputs.push(input_digest("trackers", path, &bytes));
            let list = crate::assess::trackers::Trackers::parse(&String::from_utf8_lossy(&bytes))
                .map_err(|e| format!("tracker list {path}: {e}"))?;
            all.extend(list);
        }
        Ok(all)
    }

    pub fn timeouts(&self) -> Timeouts {
        Timeouts {
            udp: i64::from(self.udp_timeout.max(1)) * 1_000_000_000,
            tcp: i64::from(self.tcp_timeout.max(1)) * 1_000_000_000,
        }
    }

    /// With --parquet, the seconds of each partition written while the
    /// capture runs: --rotate-seconds, or an hour for a live capture;
    /// `None`: the tables of the whole capture at its end.
    pub fn table_periods(&self, live: bool) -> Option<u32> {
        #[cfg(feature = "tables")]
        if self.parquet.is_some() {
            return self.rotate_seconds.or(live.then_some(3600));
        }
        let _ = live;
        None
    }

    /// Whether a JSON report is written (to a file or standard output).
    fn writes_json_report(&self) -> bool {
        let to_file = self.output.as_ref().is_some_and(|path| {
            self.format.unwrap_or_else(|| Format::from_path(path)) == Format::Json
        });
        let to_stdout = self.json || (self.output.is_none() && self.format == Some(Format::Json));
        to_file || to_stdout
    }

    /// Where JSON lines go, when the format is jsonl.
    pub fn jsonl_target(&self) -> Option<Target<'_>> {
        match &self.output {
            Some(path) => (self.format.unwrap_or_else(|| Format::from_path(path)) == Format::Jsonl)
                .then_some(Target::File(path.as_str())),
            None => (!self.json && self.format == Some(Format::Jsonl)).then_some(Target::Stdout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command};
    use clap::Parser;

    /// Whether `teleprobe analyze ARGS x.pcap` writes a JSON report: only
    /// then are concluded calls rendered for it as they are written out.
    fn json_report(args: &[&str]) -> bool {
        let cli = Cli::try_parse_from(
            ["teleprobe", "analyze"]
                .iter()
                .chain(args)
                .chain(&["x.pcap"]),
        )
        .unwrap();
        let Command::Analyze { report, .. } = cli.command else {
            unreachable!()
        };
        report.writes_json_report()
    }

    #[test]
    fn calls_are_rendered_only_for_a_json_report() {
        assert!(json_report(&["-o", "report.json"]));
        assert!(json_report(&["-o", "/dev/null"]));
        assert!(json_report(&["--json"]));
        assert!(json_report(&["--format", "json"]));
        assert!(json_report(&["--json", "-o", "report.md"]));
        assert!(!json_report(&[]));
        assert!(!json_report(&["-o", "report.md"]));
        assert!(!json_report(&["-o", "calls.jsonl"]));
        assert!(!json_report(&["--format", "jsonl"]));
        assert!(!json_report(&["-o", "report.json", "--format", "html"]));
    }
}
