//! STUN and TURN: the message parser ([`parse`]) and what a flow learns
//! from them ([`state`]).

pub mod build;
mod parse;
pub mod state;

pub use parse::*;
pub use state::{ChannelBinding, StunDetail, TurnDetail};
