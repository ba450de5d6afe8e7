//! RTP and RTCP: headers, compound RTCP, SDES, payload statistics
//! ([`parse`]), the streams and RTCP a flow carries ([`state`]), and the
//! judgement of whether each stream is encrypted ([`verdict`]).

pub mod build;
mod parse;
pub mod state;
pub mod verdict;

pub use parse::*;
pub use state::{RtcpDetail, RtpDetail, RtpState, RtpStream, SdesRecord};
