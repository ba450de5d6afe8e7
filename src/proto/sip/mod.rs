//! SIP and the SDP it carries: message parsing ([`parse`], [`sdp`]) and what
//! a flow learns from its dialogs ([`state`]).

mod parse;
pub mod sdp;
pub mod state;

pub use parse::*;
pub use state::{SdpCandidate, SdpMedia, SdpRecord, SipDetail, SipIdentity, SipMessageRecord};
