//! QUIC: long headers, Initial keys and decryption, CRYPTO frames
//! ([`parse`]), and what a flow learns from its Initial packets ([`state`]).

mod parse;
pub mod state;

pub use parse::*;
pub use state::{QuicDetail, QuicState};
