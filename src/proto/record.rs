//! Recording values once, with caps, without allocating on repeats: the
//! per-packet path compares a formatted value with the stored ones on the
//! stack and only allocates the first time a value is seen.

use std::collections::BTreeMap;

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

/// Adds a typed value (an address) unless present or the list is full.
pub fn push_unique_value<T: PartialEq>(list: &mut Vec<T>, value: T, cap: usize) {
    if list.len() < cap && !list.contains(&value) {
        list.push(value);
    }
}

/// Serializes a typed value (an address) as the text the schema documents:
/// facts stay typed, only the formats write text.
pub fn as_text<T: std::fmt::Display, S: serde::Serializer>(
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// [`as_text`] for each value of a list.
pub fn as_texts<T: std::fmt::Display, S: serde::Serializer>(
    values: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(|v| v.to_string()))
}

/// Numbers (STUN attribute types, Zoom media types) as `0x4000` / `0x0f`,
/// the way specifications write them: as many digits as the type holds.
pub fn as_hex<T: std::fmt::LowerHex, S: serde::Serializer>(
    values: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    let width = 2 + 2 * std::mem::size_of::<T>();
    s.collect_seq(values.iter().map(|v| format!("{v:#0width$x}")))
}

/// For `skip_serializing_if`: a count that is zero says nothing.
pub fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// [`as_text`] for an optional value (`null` when absent).
pub fn as_optional_text<T: std::fmt::Display, S: serde::Serializer>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// An optional value that prints as `?` when absent, for explanations.
pub struct OrUnknown<T>(pub Option<T>);

impl<T: std::fmt::Display> std::fmt::Display for OrUnknown<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(v) => v.fmt(f),
            None => f.write_str("?"),
        }
    }
}

/// Typed values (addresses) as one text, for explanations and summaries.
pub fn joined<T: std::fmt::Display>(values: &[T], separator: &str) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        use std::fmt::Write;
        let _ = write!(out, "{v}");
    }
    out
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
        assert!(with_text(OrUnknown(None::<u16>), |t| t == "?"));
        let addresses: [std::net::SocketAddr; 2] = [
            "10.0.0.1:5060".parse().unwrap(),
            "[::1]:3478".parse().unwrap(),
        ];
        assert_eq!(joined(&addresses, ", "), "10.0.0.1:5060, [::1]:3478");
        let mut typed = Vec::new();
        for a in [addresses[0], addresses[0], addresses[1]] {
            push_unique_value(&mut typed, a, 8);
        }
        assert_eq!(typed, addresses);
    }
}
