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
