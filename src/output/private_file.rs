//! Report files hold identifiers: they are created readable by the owner
//! only, and an existing file is tightened to that mode.

use super::format::{Format, render};
use crate::report::model::Report;
use crate::report::redact::Redactor;
use std::io::Write;

/// Creates (or truncates) an output file readable by the owner only.
pub fn open_private(path: &str) -> std::io::Result<std::fs::File> {
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

/// Writes the report in `format` to an owner-only file, addresses scrubbed.
pub fn write_private(
    path: &str,
    report: &Report,
    redactor: &Redactor,
    format: Format,
) -> std::io::Result<()> {
    let file = open_private(path)?;
    let mut writer = std::io::BufWriter::new(file);
    render(format, report, redactor, &mut writer)?;
    writer.flush()
}
