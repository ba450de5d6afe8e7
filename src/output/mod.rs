//! Writing what an analysis found: the report formats, owner-only files,
//! JSON lines as calls conclude, and the exit-code policy. It renders the
//! report it is given and must never change a finding, a verdict or a
//! redaction decision; every byte it writes passes through the run's
//! address scrubber.

pub mod exit;
pub mod format;
pub mod jsonl;
pub mod metrics;
#[cfg(feature = "tables")]
pub mod partitions;
pub mod private_file;
pub mod settled;
pub mod signing;
