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

/// What rewrites addresses as the facts are serialized: the report's
/// pseudonymiser, set for one serialization on this thread by
/// [`use_address_map`]. Without one, addresses are written as they are.
pub trait AddressMap {
    fn map(&self, ip: std::net::IpAddr) -> std::net::IpAddr;
}

thread_local! {
    static ADDRESS_MAP: std::cell::RefCell<Option<std::sync::Arc<dyn AddressMap>>> =
        const { std::cell::RefCell::new(None) };
}

/// Puts `map` in force on this thread until the guard is dropped.
pub fn use_address_map(map: std::sync::Arc<dyn AddressMap>) -> AddressMapGuard {
    AddressMapGuard(ADDRESS_MAP.with(|m| m.borrow_mut().replace(map)))
}

/// Restores the map that was in force before [`use_address_map`].
pub struct AddressMapGuard(Option<std::sync::Arc<dyn AddressMap>>);

impl Drop for AddressMapGuard {
    fn drop(&mut self) {
        let previous = self.0.take();
        ADDRESS_MAP.with(|m| *m.borrow_mut() = previous);
    }
}

/// A typed address the map can rewrite.
pub trait Address: std::fmt::Display + Copy {
    fn mapped(self, map: &dyn AddressMap) -> Self;

    /// Hands `f` the address as `Display` writes it, formatted on the
    /// stack (IPv4, most of a report's addresses, without the formatting
    /// machinery: a report writes hundreds of thousands).
    fn with_text<R>(self, f: impl FnOnce(&str) -> R) -> R;
}

impl Address for std::net::IpAddr {
    fn mapped(self, map: &dyn AddressMap) -> Self {
        map.map(self)
    }

    fn with_text<R>(self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            std::net::IpAddr::V4(v4) => ipv4_text(v4, None, f),
            std::net::IpAddr::V6(_) => with_text(self, f),
        }
    }
}

impl Address for std::net::SocketAddr {
    fn mapped(self, map: &dyn AddressMap) -> Self {
        std::net::SocketAddr::new(map.map(self.ip()), self.port())
    }

    fn with_text<R>(self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            std::net::SocketAddr::V4(v4) => ipv4_text(*v4.ip(), Some(v4.port()), f),
            std::net::SocketAddr::V6(_) => with_text(self, f),
        }
    }
}

/// `a.b.c.d` or `a.b.c.d:port` in decimal, as `Display` writes them.
fn ipv4_text<R>(ip: std::net::Ipv4Addr, port: Option<u16>, f: impl FnOnce(&str) -> R) -> R {
    /// "255.255.255.255:65535" is 21 bytes.
    struct Text {
        bytes: [u8; 21],
        len: usize,
    }
    impl Text {
        fn push(&mut self, b: u8) {
            self.bytes[self.len] = b;
            self.len += 1;
        }
        fn decimal(&mut self, value: u16) {
            let (mut digits, mut n, mut v) = ([0u8; 5], 0, value);
            loop {
                digits[n] = b'0' + (v % 10) as u8;
                n += 1;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            digits[..n].iter().rev().for_each(|&d| self.push(d));
        }
    }
    let mut text = Text {
        bytes: [0; 21],
        len: 0,
    };
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            text.push(b'.');
        }
        text.decimal(u16::from(octet));
    }
    if let Some(port) = port {
        text.push(b':');
        text.decimal(port);
    }
    // Only ASCII digits, dots and a colon were written.
    f(std::str::from_utf8(&text.bytes[..text.len]).unwrap_or_default())
}

/// An address as text, through the address map when one is in force.
fn address_text<T: Address, S: serde::Serializer>(value: T, s: S) -> Result<S::Ok, S::Error> {
    let mapped = ADDRESS_MAP.with(|m| m.borrow().as_ref().map(|map| value.mapped(&**map)));
    let Some(mapped) = mapped else {
        return value.with_text(|text| s.serialize_str(text));
    };
    // Rewritten already: a formatter scanning for addresses must not
    // rewrite the pseudonym again.
    mapped.with_text(|text| crate::text::serialize_verbatim(s, text))
}

/// Serializes a typed address as the text the schema documents: facts
/// stay typed, only the formats write text (pseudonymised by the map).
pub fn as_text<T: Address, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    address_text(*value, s)
}

/// [`as_text`] for each address of a list.
pub fn as_texts<T: Address, S: serde::Serializer>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(values.len()))?;
    for v in values {
        seq.serialize_element(&AsText(*v))?;
    }
    seq.end()
}

/// An address that serializes as [`as_text`] does.
struct AsText<T>(T);

impl<T: Address> serde::Serialize for AsText<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        address_text(self.0, s)
    }
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
pub fn as_optional_text<T: Address, S: serde::Serializer>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_some(&AsText(*v)),
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

/// Distinct keys a count map keeps (methods, message types): a hostile
/// flow sending a new one in every packet must not grow it without bound.
pub const MAX_COUNTED_KEYS: usize = 64;

/// Where the keys beyond [`MAX_COUNTED_KEYS`] are counted.
pub const OTHER_KEYS: &str = "(other)";

/// Counts one more `key`, allocating the key only the first time; past
/// [`MAX_COUNTED_KEYS`] distinct keys, new ones count as [`OTHER_KEYS`].
pub fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n += 1;
        return;
    }
    let key = if map.len() < MAX_COUNTED_KEYS {
        key
    } else {
        OTHER_KEYS
    };
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
    fn addresses_are_written_as_display_writes_them() {
        use std::net::{IpAddr, SocketAddr};
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut addresses: Vec<SocketAddr> = [
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "10.0.9.99:10",
            "[2001:db8::1]:5060",
            "[::ffff:192.0.2.1]:443",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        for _ in 0..2_000 {
            let v = next();
            let ip = std::net::Ipv4Addr::from((v >> 16) as u32);
            addresses.push(SocketAddr::new(IpAddr::V4(ip), v as u16));
        }
        for a in addresses {
            assert_eq!(a.with_text(str::to_string), a.to_string());
            assert_eq!(a.ip().with_text(str::to_string), a.ip().to_string());
        }
    }

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
        // A new method in every message: the map stops growing.
        for i in 0..10_000 {
            bump(&mut counts, &format!("M{i}"));
        }
        bump(&mut counts, "INVITE");
        assert_eq!(counts.len(), MAX_COUNTED_KEYS + 1);
        assert_eq!(counts["INVITE"], 3);
        assert_eq!(counts[OTHER_KEYS], 10_000 - (MAX_COUNTED_KEYS as u64 - 1));
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
