//! Output formats and how each renders the report.

use crate::report::model::Report;
use crate::report::redact::Redactor;
use crate::report::{html, markdown, ocsf};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
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
    /// The format a file name asks for; JSON unless the extension says otherwise.
    pub fn from_path(path: &str) -> Format {
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

/// Renders the whole report, outside addresses pseudonymised; JSON lines
/// are streamed elsewhere ([`crate::output::jsonl`]), so `Jsonl` writes
/// nothing here.
pub fn render(
    format: Format,
    report: &Report,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let rendered = match format {
        Format::Json | Format::Jsonl => None,
        Format::Md => Some(markdown::render(report)),
        Format::Html => Some(html::render(report)),
        Format::Ocsf => Some(ocsf::render(report)),
    };
    if let Some(text) = rendered {
        return out.write_all(redactor.scrub(&text).as_bytes());
    }
    match format {
        Format::Json => {
            // serde_json writes token by token: through a buffer of a
            // concrete type, not `dyn Write`, each write is a copy inlined
            // into the serializer instead of a call through a vtable.
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
            redactor
                .to_json_writer(&mut buffered, report, true)
                .map_err(|e| {
                    match e.io_error_kind() {
                        // Keep a closed pipe recognisable (`| head` is not an error).
                        Some(kind) => std::io::Error::new(kind, e),
                        None => std::io::Error::other(e),
                    }
                })?;
            writeln!(buffered)?;
            buffered.flush()
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn extensions_pick_the_format() {
        assert_eq!(Format::from_path("r.JSONL"), Format::Jsonl);
        assert_eq!(Format::from_path("r.ndjson"), Format::Jsonl);
        assert_eq!(Format::from_path("r.md"), Format::Md);
        assert_eq!(Format::from_path("r.htm"), Format::Html);
        assert_eq!(Format::from_path("r.ocsf.json"), Format::Ocsf);
        assert_eq!(Format::from_path("report.json"), Format::Json);
        assert_eq!(Format::from_path("report"), Format::Json);
    }
}
