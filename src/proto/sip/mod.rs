//! SIP and the SDP it carries: message parsing ([`parse`], [`sdp`]) and what
//! a flow learns from SIP ([`state`]), and what one dialog is, across flows ([`dialog`]).

pub mod dialog;
mod parse;
pub mod sdp;
pub mod siprec;
pub mod state;

pub use dialog::{DialogMessage, DialogRecord, DialogSdp, DialogState};
pub use parse::*;
pub use state::{SdpCandidate, SdpMedia, SdpRecord, SipDetail, SipIdentity, SipMessageRecord};
