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

/// The JSON schema of a typed value that serializes as text (a timestamp,
/// a version): in the schema it is the string it is written as.
#[macro_export]
macro_rules! schema_as_string {
    ($($t:ty),*) => {$(
        impl schemars::JsonSchema for $t {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                String::schema_name()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                String::json_schema(generator)
            }
        }
    )*};
}
