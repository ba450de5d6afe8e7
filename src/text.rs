//! Strings the output formats copy as they are. A formatter that scans the
//! strings it writes for addresses to pseudonymise (the report's) skips a
//! string serialized through [`serialize_verbatim`]: its type knows it
//! holds nothing to rewrite (a timestamp) or was rewritten already (an
//! address through the report's address map). It must never mark text
//! that came from the wire. And the report's formatter copies JSON this
//! program wrote itself (a flow written out to a temporary file, a call
//! rendered when it was written out) through [`OwnJsonValue`] without
//! parsing it again; never JSON from input.

use std::cell::{Cell, RefCell};

thread_local! {
    static VERBATIM: Cell<bool> = const { Cell::new(false) };
    /// JSON this program wrote earlier, waiting for the formatter to copy.
    static OWN_JSON: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OWN_JSON_PENDING: Cell<Option<OwnJson>> = const { Cell::new(None) };
    /// Formatters now writing that copy [`OwnJsonValue`] text.
    static OWN_JSON_COPIERS: Cell<u32> = const { Cell::new(0) };
    /// Whether the innermost of them writes pretty JSON.
    static OWN_JSON_PRETTY: Cell<bool> = const { Cell::new(false) };
}

/// What JSON of its own the program hands a formatter to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnJson {
    /// One line of compact JSON: valid as it is in any output.
    Line,
    /// Pretty JSON written at depth 0: for a pretty formatter only, which
    /// indents its lines to the depth it copies them at.
    Pretty,
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

/// Held while a formatter that copies the program's own JSON (the
/// report's) writes: only then may [`OwnJsonValue`] be used, since
/// any other serializer would write an empty string in its place.
pub struct OwnJsonCopier {
    /// The pretty flag of the copier this one nests in.
    outer_pretty: bool,
}

impl OwnJsonCopier {
    /// A formatter writing `pretty` JSON (or compact) starts copying.
    pub fn start(pretty: bool) -> OwnJsonCopier {
        OWN_JSON_COPIERS.with(|c| c.set(c.get() + 1));
        OwnJsonCopier {
            outer_pretty: OWN_JSON_PRETTY.with(|p| p.replace(pretty)),
        }
    }
}

impl Drop for OwnJsonCopier {
    fn drop(&mut self) {
        OWN_JSON_COPIERS.with(|c| c.set(c.get().saturating_sub(1)));
        OWN_JSON_PRETTY.with(|p| p.set(self.outer_pretty));
    }
}

/// Whether the serializer now writing copies the program's own JSON.
pub fn own_json_copied() -> bool {
    OWN_JSON_COPIERS.with(|c| c.get() > 0)
}

/// Whether the serializer now writing copies the program's own pretty
/// JSON ([`OwnJson::Pretty`]).
pub fn own_pretty_json_copied() -> bool {
    own_json_copied() && OWN_JSON_PRETTY.with(Cell::get)
}

/// A complete JSON value this program wrote itself (a flow the store wrote
/// out, a call rendered), serialized by copying it into the output as it
/// is: no parse, no check, no allocation (the buffer is lent to the
/// formatter and given back). Only while [`own_json_copied`] (for
/// [`OwnJson::Pretty`], [`own_pretty_json_copied`]); never for input.
pub struct OwnJsonValue<'a> {
    json: RefCell<&'a mut Vec<u8>>,
    kind: OwnJson,
}

impl<'a> OwnJsonValue<'a> {
    pub fn new(json: &'a mut Vec<u8>, kind: OwnJson) -> OwnJsonValue<'a> {
        OwnJsonValue {
            json: RefCell::new(json),
            kind,
        }
    }
}

impl serde::Serialize for OwnJsonValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_own_json(s, &mut self.json.borrow_mut(), self.kind)
    }
}

fn serialize_own_json<S: serde::Serializer>(
    s: S,
    json: &mut Vec<u8>,
    kind: OwnJson,
) -> Result<S::Ok, S::Error> {
    OWN_JSON.with(|own| std::mem::swap(&mut *own.borrow_mut(), json));
    OWN_JSON_PENDING.with(|p| p.set(Some(kind)));
    let result = s.serialize_str("");
    OWN_JSON_PENDING.with(|p| p.set(None));
    OWN_JSON.with(|own| std::mem::swap(&mut *own.borrow_mut(), json));
    result
}

/// For the formatter, at the start of a string: when the string is one
/// [`OwnJsonValue`] passes, writes the JSON it stands for with
/// `write` and says so.
pub fn write_own_json(
    write: impl FnOnce(&[u8], OwnJson) -> std::io::Result<()>,
) -> Option<std::io::Result<()>> {
    let kind = OWN_JSON_PENDING.with(|p| p.replace(None))?;
    Some(OWN_JSON.with(|own| write(&own.borrow(), kind)))
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
