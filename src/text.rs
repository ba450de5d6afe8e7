//! Strings the output formats copy as they are. A formatter that scans the
//! strings it writes for addresses to pseudonymise (the report's) skips a
//! string serialized through [`serialize_verbatim`]: its type knows it
//! holds nothing to rewrite (a timestamp) or was rewritten already (an
//! address through the report's address map). It must never mark text
//! that came from the wire.

use std::cell::Cell;

thread_local! {
    static VERBATIM: Cell<bool> = const { Cell::new(false) };
}

/// Serializes `text` marked as verbatim for the formatter that writes it.
pub fn serialize_verbatim<S: serde::Serializer>(s: S, text: &str) -> Result<S::Ok, S::Error> {
    VERBATIM.with(|v| v.set(true));
    let result = s.serialize_str(text);
    VERBATIM.with(|v| v.set(false));
    result
}

/// Whether the string now being written was marked verbatim. Reading
/// clears the mark.
pub fn take_verbatim() -> bool {
    VERBATIM.with(|v| v.replace(false))
}

/// A name from one of the program's fixed vocabularies (protocols, call
/// kinds, directions, header names), read back from a record it wrote:
/// each distinct name is kept once for the life of the process. Only for
/// records the program wrote itself (the call store), never for input:
/// a stranger's file could fill it.
pub fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.iter().find(|n| **n == name) {
        return known;
    }
    let kept: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(kept);
    kept
}

/// A `&'static str` field read back through [`static_name`]. Spelled as an
/// alias because serde's derive takes a field written `&'static str` as
/// borrowed from the input, which a record read from a file cannot be.
pub type StaticName = &'static str;

/// `deserialize_with` for a `&'static str` field: see [`intern`].
pub fn static_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let name: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
    Ok(intern(&name))
}

/// `deserialize_with` for a `Vec<&'static str>` field: see [`intern`].
pub fn static_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
    let names: Vec<std::borrow::Cow<'de, str>> = serde::Deserialize::deserialize(d)?;
    Ok(names.iter().map(|n| intern(n)).collect())
}
