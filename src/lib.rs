//! teleprobe: a packet-capture probe for telehealth traffic. It reads
//! captures, follows flows, recognises the protocols a telehealth call uses
//! and reports the facts a HIPAA assessment needs.
//!
//! Data flow: [`source`] → [`decode`] → [`flow`] → [`dissect`] (with the
//! parsers and per-flow state in [`proto`]) → [`facts`] → [`assess`] →
//! [`report`]. [`engine::Engine`] ties the engine side together and hands
//! finished flows to a sink; [`session::Session`] drives it for replay, live
//! capture and the TUI alike. Each layer imports only those before it
//! (tests/layers.rs holds the order).

mod macros;

pub mod assess;
pub mod cli;
pub mod decode;
pub mod dissect;
pub mod engine;
pub mod facts;
pub mod flow;
pub mod output;
pub mod proto;
pub mod ranges;
pub mod report;
pub mod session;
pub mod source;
#[cfg(feature = "tables")]
pub mod summarize;
pub mod text;
pub mod time;
pub mod tui;
