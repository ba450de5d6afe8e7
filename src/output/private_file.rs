//! Report files hold identifiers: they are created readable by the owner
//! only, and an existing file is tightened to that mode. A report is never
//! left half-written under its name: it is written beside it, synced, and
//! renamed over it, so a full disk or a kill leaves the old file or none.

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

/// Writes the report in `format` to an owner-only file, addresses
/// scrubbed. A regular file (or a new one) is written to a temporary file
/// in the same folder and renamed into place once complete; devices and
/// pipes (`-o /dev/stdout`, a FIFO) are written directly.
pub fn write_private(
    path: &str,
    report: &Report,
    redactor: &Redactor,
    format: Format,
) -> std::io::Result<()> {
    let target = std::path::Path::new(path);
    let special = std::fs::metadata(target).is_ok_and(|m| !m.is_file());
    if special {
        let mut writer = std::io::BufWriter::new(open_private(path)?);
        render(format, report, redactor, &mut writer)?;
        return writer.flush();
    }
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    // Created with mode 0600; removed if anything below fails.
    let temporary = tempfile::Builder::new()
        .prefix(".teleprobe-")
        .suffix(".partial")
        .tempfile_in(folder)?;
    let mut writer = std::io::BufWriter::new(temporary);
    render(format, report, redactor, &mut writer)?;
    let temporary = writer.into_inner().map_err(|e| e.into_error())?;
    temporary.as_file().sync_all()?;
    temporary.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `bytes` to an owner-only file, through a temporary file renamed
/// into place (keys, signatures).
pub fn write_bytes_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".teleprobe-")
        .suffix(".partial")
        .tempfile_in(folder)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}
