//! `teleprobe summarize`: many captures at once. Reads JSON reports
//! (`analyze -o x.json`) and Parquet table directories (`--parquet DIR`,
//! Hive-partitioned or not), stacks their flows, calls and findings, and
//! aggregates them with polars (teleprobe-tables). A capture given twice
//! (say, as a report and as tables) is counted once.

use crate::report::tables::{ReportView, Rows};
use crate::time::rfc3339;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use teleprobe_tables::polars::prelude::DataFrame;
use teleprobe_tables::{Cell, Summary, Table};

/// What one run read.
pub struct Summarized {
    pub summary: Summary,
    /// Inputs read, as given or found.
    pub inputs: Vec<String>,
    /// Inputs left out, and why.
    pub skipped: Vec<String>,
}

enum Unit {
    Report(PathBuf),
    Tables(PathBuf),
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Finds the inputs under `path`. Named files must be usable; inside
/// directories, files that are not reports or tables are passed over.
fn discover(path: &Path, named: bool, units: &mut Vec<(Unit, bool)>) -> Result<(), String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.is_dir() {
        if path.join("flows.parquet").is_file() {
            units.push((Unit::Tables(path.to_path_buf()), named));
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot list {}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() {
                discover(&entry, false, units)?;
            } else if is_json(&entry) {
                units.push((Unit::Report(entry), false));
            }
        }
    } else if path.extension().is_some_and(|e| e == "parquet") {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let already = units
            .iter()
            .any(|(u, _)| matches!(u, Unit::Tables(d) if *d == dir));
        if !already {
            units.push((Unit::Tables(dir), true));
        }
    } else {
        units.push((Unit::Report(path.to_path_buf()), named));
    }
    Ok(())
}

fn frame_error(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

/// Reads a directory's flows, calls and findings Parquet files.
fn read_tables(dir: &Path) -> Result<[DataFrame; 3], String> {
    let read = |name: &str| {
        let path = dir.join(name);
        teleprobe_tables::read_parquet(&path).map_err(|e| frame_error(&path, e))
    };
    Ok([
        read("flows.parquet")?,
        read("calls.parquet").and_then(|calls| {
            teleprobe_tables::upgrade_calls(calls)
                .map_err(|e| frame_error(&dir.join("calls.parquet"), e))
        })?,
        read("findings.parquet")?,
    ])
}

fn frames(rows: &Rows, path: &Path) -> Result<[DataFrame; 3], String> {
    Ok([
        teleprobe_tables::flows_frame(&rows.flows).map_err(|e| frame_error(path, e))?,
        teleprobe_tables::calls_frame(&rows.calls).map_err(|e| frame_error(path, e))?,
        teleprobe_tables::findings_frame(&rows.findings).map_err(|e| frame_error(path, e))?,
    ])
}

/// The (capture, sensor) pairs a set of tables covers.
fn captures_in(tables: &[DataFrame; 3]) -> BTreeSet<(String, String)> {
    let mut keys = BTreeSet::new();
    for df in tables {
        let (Ok(capture), Ok(sensor)) = (df.column("capture"), df.column("sensor")) else {
            continue;
        };
        let (Ok(capture), Ok(sensor)) = (capture.str(), sensor.str()) else {
            continue;
        };
        for i in 0..df.height() {
            keys.insert((
                capture.get(i).unwrap_or("").to_string(),
                sensor.get(i).unwrap_or("").to_string(),
            ));
        }
    }
    keys
}

/// Reads every input under `paths` and aggregates them.
pub fn summarize(paths: &[String]) -> Result<Summarized, String> {
    let mut units = Vec::new();
    for p in paths {
        discover(Path::new(p), true, &mut units)?;
    }
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let (mut flows, mut calls, mut findings) = (Vec::new(), Vec::new(), Vec::new());
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for (unit, named) in units {
        let (path, tables) = match unit {
            Unit::Tables(dir) => {
                let tables = read_tables(&dir)?;
                (dir, tables)
            }
            Unit::Report(path) => {
                let bytes = std::fs::read(&path).map_err(|e| frame_error(&path, e))?;
                let view = match ReportView::parse(&bytes) {
                    Ok(v) => v,
                    Err(e) if named => return Err(frame_error(&path, e)),
                    Err(e) => {
                        skipped.push(format!("{}: {e}", path.display()));
                        continue;
                    }
                };
                let tables = frames(&view.rows(""), &path)?;
                (path, tables)
            }
        };
        let keys = captures_in(&tables);
        if let Some((capture, sensor)) = keys.iter().find(|k| seen.contains(k)) {
            let sensor = if sensor.is_empty() {
                String::new()
            } else {
                format!(" (sensor {sensor})")
            };
            skipped.push(format!(
                "{}: capture {capture}{sensor} is already counted from another input",
                path.display()
            ));
            continue;
        }
        seen.extend(keys);
        inputs.push(path.display().to_string());
        let [f, c, x] = tables;
        flows.push(f);
        calls.push(c);
        findings.push(x);
    }
    if inputs.is_empty() {
        return Err(
            "no JSON reports or Parquet tables found; give files written by `teleprobe analyze -o report.json` or directories written by --parquet".to_string(),
        );
    }
    let stack = |frames: Vec<DataFrame>| {
        teleprobe_tables::concat(frames)
            .map_err(|e| format!("the inputs' tables do not stack (written by different teleprobe versions?): {e}"))
            .map(|f| f.unwrap_or_default())
    };
    let summary = teleprobe_tables::summarize(&stack(flows)?, &stack(calls)?, &stack(findings)?)
        .map_err(|e| format!("cannot aggregate: {e}"))?;
    Ok(Summarized {
        summary,
        inputs,
        skipped,
    })
}

fn tables(summary: &Summary) -> Result<Vec<(&'static str, Table)>, String> {
    let named = [
        ("totals", &summary.totals),
        ("verdicts", &summary.verdicts),
        ("vendors", &summary.vendors),
        ("platforms", &summary.platforms),
        ("protocols", &summary.protocols),
        ("findings_over_time", &summary.findings_over_time),
    ];
    named
        .into_iter()
        .map(|(name, df)| {
            Table::from_frame(df)
                .map(|t| (name, t))
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn json_cell(cell: &Cell, column: &str) -> serde_json::Value {
    match cell {
        Cell::Null => serde_json::Value::Null,
        Cell::Int(v) => (*v).into(),
        Cell::UInt(v) => (*v).into(),
        Cell::Float(v) => (*v).into(),
        Cell::Text(v) => v.as_str().into(),
        Cell::Time(v) if column == "day" => rfc3339(v * 1000)[..10].into(),
        Cell::Time(v) => rfc3339(v * 1000).into(),
    }
}

/// The summary as one JSON object: `{inputs, skipped, totals: {...},
/// verdicts: [...], vendors: [...], protocols: [...], findings_over_time: [...]}`.
pub fn to_json(s: &Summarized) -> Result<serde_json::Value, String> {
    let mut out = serde_json::Map::new();
    out.insert("inputs".into(), s.inputs.clone().into());
    out.insert("skipped".into(), s.skipped.clone().into());
    for (name, table) in tables(&s.summary)? {
        let rows: Vec<serde_json::Value> = table
            .rows
            .iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| (c.clone(), json_cell(v, c)))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .collect();
        let value = if name == "totals" {
            rows.into_iter().next().unwrap_or_default()
        } else {
            rows.into()
        };
        out.insert(name.into(), value);
    }
    Ok(out.into())
}

fn text_cell(cell: &Cell, column: &str) -> String {
    match cell {
        Cell::Null => "-".to_string(),
        Cell::Float(v) if column.ends_with("share") => format!("{:.1}%", v * 100.0),
        Cell::Float(v) => format!("{v:.3}"),
        Cell::Int(v) => v.to_string(),
        Cell::UInt(v) => v.to_string(),
        Cell::Text(v) => v.clone(),
        Cell::Time(_) => json_cell(cell, column)
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

/// The summary as aligned text tables.
pub fn render_text(s: &Summarized) -> Result<String, String> {
    let mut out = format!("{} input(s): {}\n", s.inputs.len(), s.inputs.join(", "));
    for note in &s.skipped {
        out.push_str(&format!("skipped {note}\n"));
    }
    for (name, table) in tables(&s.summary)? {
        out.push_str(&format!("\n{}\n", name.replace('_', " ")));
        let cells: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&table.columns)
                    .map(|(v, c)| text_cell(v, c))
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([c.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |values: Vec<&str>| {
            let padded: Vec<String> = values
                .iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect();
            format!("  {}\n", padded.join("  ").trim_end())
        };
        out.push_str(&line(table.columns.iter().map(String::as_str).collect()));
        for row in &cells {
            out.push_str(&line(row.iter().map(String::as_str).collect()));
        }
        if cells.is_empty() {
            out.push_str("  (none)\n");
        }
    }
    Ok(out)
}
