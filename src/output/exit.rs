//! Exit codes: 0 done, 1 a finding at or above `--fail-on`, 2 unusable
//! input or arguments. Messages go to standard error, prefixed with the
//! program's name, and say what to do next.

use crate::assess::catalogue::Severity;
use crate::report::model::Report;
use std::io::Write;
use std::process::ExitCode;

/// Writes a line to standard error; a closed stderr is not worth a panic.
pub fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "teleprobe: {message}");
}

/// Says what went wrong and gives the exit code for unusable input.
pub fn fail(message: &str) -> ExitCode {
    say(message);
    ExitCode::from(2)
}

/// Exit code 1 (with a line saying how many) when findings reach `threshold`.
pub fn fail_on(report: &Report, threshold: Option<Severity>) -> ExitCode {
    let Some(threshold) = threshold else {
        return ExitCode::SUCCESS;
    };
    let failing = report
        .findings
        .iter()
        .filter(|f| f.severity >= threshold)
        .count();
    if failing == 0 {
        return ExitCode::SUCCESS;
    }
    say(&format!(
        "{failing} finding(s) at or above {}",
        threshold.name()
    ));
    ExitCode::from(1)
}
