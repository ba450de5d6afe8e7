//! Byte strings the dissectors look for in every message of a kind (SIP
//! recording tokens, SDP in web signaling): searchers built once, since
//! building one costs more than searching a message with it. Only for
//! needles fixed in the program, never for text from the wire.

use memchr::memmem::Finder;
use std::sync::LazyLock;

/// Searchers for a fixed set of needles, built on first use.
pub type Needles = LazyLock<Vec<Finder<'static>>>;

/// The searchers of `needles` (for [`Needles::new`]).
pub fn searchers(needles: &[&'static [u8]]) -> Vec<Finder<'static>> {
    needles.iter().map(|n| Finder::new(*n)).collect()
}

/// Whether any needle occurs in any haystack.
pub fn any_in(needles: &Needles, haystacks: &[&[u8]]) -> bool {
    needles
        .iter()
        .any(|n| haystacks.iter().any(|h| n.find(h).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    static WORDS: Needles = Needles::new(|| searchers(&[b"siprec", b"a=record"]));

    #[test]
    fn any_needle_in_any_haystack() {
        assert!(any_in(&WORDS, &[b"Require: siprec\r\n", b""]));
        assert!(any_in(&WORDS, &[b"INVITE", b"v=0\r\na=recordpref:on\r\n"]));
        assert!(!any_in(&WORDS, &[b"Require: SIPREC", b"a=sendrecv"]));
        assert!(!any_in(&WORDS, &[]));
    }
}
