//! Cleartext HTTP/1.x: request heads ([`parse`]) and what a flow records
//! of them ([`state`]).

mod parse;
pub mod state;

pub use parse::*;
pub use state::{HttpDetail, HttpRequest};
