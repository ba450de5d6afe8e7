//! TLS and DTLS: records, hellos and certificates ([`parse`]), DTLS
//! handshake reassembly ([`dtls`]) and what a flow learns from its
//! handshake ([`state`]), shared by TLS over TCP, DTLS and QUIC.

pub mod build;
pub mod dtls;
mod parse;
pub mod state;

pub use parse::*;
pub use state::{CertificateDetail, TlsDetail, TlsState};
