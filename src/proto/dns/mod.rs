//! DNS: messages ([`parse`]) and what a flow learns from them ([`state`]).

mod parse;
pub mod state;

pub use parse::*;
pub use state::{DnsAnswer, DnsDetail, DnsQuery};
