//! Reports: the model, its JSON form and the human summary.

pub mod html;
pub mod ladder;
pub mod markdown;
pub mod model;
pub mod ocsf;
pub mod redact;
pub mod store;
pub mod summary;
#[cfg(feature = "tables")]
pub mod tables;
pub mod wireless;
