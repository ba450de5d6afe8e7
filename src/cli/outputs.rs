//! After the analysis: the outputs the options ask for (report file,
//! tables, standard output) and the exit code.

use super::args::ReportArgs;
use crate::output::exit::{fail, fail_on};
use crate::output::format::{Format, render};
use crate::output::jsonl::JsonlWriter;
use crate::output::private_file::write_private;
use crate::report::summary;
use crate::session::{Analysis, Watcher};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Writes the outputs of a finished analysis and picks the exit code.
/// `streamed`: JSON lines (and per-period tables) were already written
/// while the capture was read; `live`: it was a live capture.
pub fn write(analysis: &Analysis, args: &ReportArgs, streamed: bool, live: bool) -> ExitCode {
    let report = &analysis.report;
    #[cfg(not(feature = "tables"))]
    let _ = live;
    // JSON lines not streamed while reading (the TUI) are written all at once.
    if let (Some(target), false) = (args.jsonl_target(), streamed) {
        let written = JsonlWriter::for_target(target, args.timeouts()).and_then(|mut writer| {
            writer.finish(analysis);
            writer.error.map_or(Ok(()), Err)
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
        // Rotated JSON-lines files were signed as each was closed.
        if let Some(key) = args.sign.as_ref().filter(|_| args.rotate_seconds.is_none()) {
            let signed = crate::output::signing::Signer::load(std::path::Path::new(key))
                .and_then(|signer| signer.sign(std::path::Path::new(path)));
            if let Err(e) = signed {
                return fail(&e);
            }
        }
    }
    #[cfg(feature = "tables")]
    for (dir, parquet) in [(&args.parquet, true), (&args.csv, false)] {
        // Partitions written per period while the capture ran.
        if parquet && streamed && args.table_periods(live).is_some() {
            continue;
        }
        if let Some(dir) = dir {
            // Tables hold the same values as the report: scrubbed like every format.
            let written = crate::report::tables::write(
                report,
                std::path::Path::new(dir),
                parquet,
                args.sensor.as_deref(),
                &analysis.redactor,
            );
            if let Err(e) = written {
                return fail(&format!("cannot write tables to {dir}: {e}"));
            }
        }
    }
    if let Err(e) = print(analysis, args) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(&format!("cannot write to standard output: {e}"));
        }
    }
    if let Some(e) = report.calls.read_error() {
        return fail(&format!(
            "{e}: the outputs miss the calls written out past that point; run again with free space in the temporary folder (TMPDIR)"
        ));
    }
    if let Some(e) = &analysis.error {
        return fail(&e.to_string());
    }
    if let Some(e) = &analysis.recording_error {
        return fail(&format!(
            "{e}; the analysis went on and its report is complete"
        ));
    }
    fail_on(report, args.fail_on.map(|f| f.severity()))
}

/// Standard output: the format asked for, else the human summary (also
/// when a report file is written, if standard output is a terminal).
fn print(analysis: &Analysis, args: &ReportArgs) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let format = if args.json {
        Some(Format::Json)
    } else if args.output.is_none() {
        args.format
    } else {
        None
    };
    match format {
        Some(Format::Jsonl) => Ok(()),
        Some(format) => {
            let mut out = std::io::BufWriter::new(&mut stdout);
            render(format, &analysis.report, &analysis.redactor, &mut out).and_then(|_| out.flush())
        }
        None if args.output.is_none() || std::io::stdout().is_terminal() => {
            let text = summary::render(&analysis.report);
            write!(stdout, "{}", analysis.redactor.scrub(&text))
        }
        None => Ok(()),
    }
}
