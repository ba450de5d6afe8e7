//! teleprobe: a packet-capture probe for telehealth traffic. It reads
//! captures, follows flows, recognises the protocols a telehealth call uses
//! and reports the facts a HIPAA assessment needs.
//!
//! Data flow: [`source`] → [`decode`] → [`flow`] → [`dissect`] (with the
//! parsers in [`proto`]) → [`report`]. [`engine::Engine`] ties them together
//! and is shared by replay and live capture.

pub mod analyze;
pub mod assess;
pub mod decode;
pub mod dissect;
pub mod engine;
pub mod flow;
pub mod proto;
pub mod ranges;
pub mod report;
pub mod source;
#[cfg(feature = "tables")]
pub mod summarize;
pub mod time;
pub mod tui;
