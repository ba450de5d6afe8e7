//! Recording values once, with caps, without allocating on repeats: the
//! per-packet path compares a formatted value with the stored ones on the
//! stack and only allocates the first time a value is seen.

use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Formats `value` on the stack and hands the text to `f`, so the packet
/// path can compare a formatted value (an address, a code) with the stored
/// ones without allocating; only values longer than the buffer allocate.
pub fn with_text<R>(value: impl std::fmt::Display, f: impl FnOnce(&str) -> R) -> R {
    use std::fmt::Write;
    struct Buf {
        bytes: [u8; 128],
        len: usize,
    }
    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            slot.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut buf = Buf {
        bytes: [0; 128],
        len: 0,
    };
    match write!(buf, "{value}") {
        Ok(()) => f(std::str::from_utf8(&buf.bytes[..buf.len]).unwrap_or_default()),
        Err(_) => f(&value.to_string()),
    }
}

/// An optional address that prints as nothing when absent.
pub struct OptionalAddr(pub Option<SocketAddr>);

impl std::fmt::Display for OptionalAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => Ok(()),
        }
    }
}

/// Adds `value` unless present or the list holds `cap` values already.
pub fn push_unique(list: &mut Vec<String>, value: &str, cap: usize) {
    if list.len() < cap && !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

/// Counts one more `key`, allocating the key only the first time.
pub fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_once_and_capped() {
        let mut list = Vec::new();
        for v in ["a", "b", "a", "c", "d"] {
            push_unique(&mut list, v, 3);
        }
        assert_eq!(list, ["a", "b", "c"]);
        let mut counts = BTreeMap::new();
        bump(&mut counts, "INVITE");
        bump(&mut counts, "INVITE");
        assert_eq!(counts["INVITE"], 2);
    }

    #[test]
    fn long_values_are_compared_too() {
        let long = "x".repeat(300);
        assert!(with_text(&long, |t| t == long));
        assert!(with_text(OptionalAddr(None), |t| t.is_empty()));
    }
}
