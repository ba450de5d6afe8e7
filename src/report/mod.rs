//! Reports: the model, its JSON form and the human summary.

pub mod ladder;
pub mod model;
pub mod redact;
pub mod store;
pub mod summary;
