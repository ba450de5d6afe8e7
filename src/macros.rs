//! Macros shared by every layer. They expand to plain trait impls and
//! must never reach into a module: whatever they name is passed in.

/// `Display` for types whose `name()` is how reports spell them (registry
/// values, verdicts, finding ids), so text and JSON always agree.
#[macro_export]
macro_rules! display_by_name {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}
