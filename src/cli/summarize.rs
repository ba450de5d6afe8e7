//! `teleprobe summarize`: many reports and table directories aggregated.

use crate::output::exit::say;
use crate::output::private_file::open_private;
use crate::summarize;
use std::io::Write;
use std::process::ExitCode;

pub fn run(inputs: &[String], json: bool, output: Option<&str>) -> Result<ExitCode, String> {
    let summarized = summarize::summarize(inputs)?;
    for note in &summarized.skipped {
        say(&format!("skipped {note}"));
    }
    let as_json = || {
        summarize::to_json(&summarized)
            .and_then(|v| serde_json::to_string_pretty(&v).map_err(|e| e.to_string()))
    };
    if let Some(path) = output {
        as_json()
            .and_then(|text| {
                open_private(path)
                    .and_then(|mut f| writeln!(f, "{text}"))
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| format!("cannot write {path}: {e}; choose a writable path with -o"))?;
    }
    let text = if json {
        as_json()?
    } else if output.is_none() {
        summarize::render_text(&summarized)?
    } else {
        return Ok(ExitCode::SUCCESS);
    };
    let _ = writeln!(std::io::stdout(), "{}", text.trim_end());
    Ok(ExitCode::SUCCESS)
}
