//! The layering of `src/`: each module imports only the layers below it,
//!
//!   macros, time, ranges, text ← source ← decode ← flow ← proto ← facts ← dissect ← engine
//!   ← assess ← report ← session ← {output, tui, summarize} ← cli
//!
//! so the engine side never learns how reports are written, and a protocol
//! never reaches into the assessment. The test reads every `crate::` path in
//! the sources (use lines and paths written inline) and fails on any that
//! points upward. ARCHITECTURE.md explains the layers.

use std::path::{Path, PathBuf};

/// Layers from the bottom; modules of one layer may import each other.
const LAYERS: &[&[&str]] = &[
    &["macros", "time", "ranges", "text"],
    &["source"],
    &["decode"],
    &["flow"],
    &["proto"],
    &["facts"],
    &["dissect"],
    &["engine"],
    &["assess"],
    &["report"],
    &["session"],
    &["output", "tui", "summarize"],
    &["cli"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level module a file under `src/` belongs to (`src/proto/stun/mod.rs` → `proto`).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every `crate::<module>` a source text names, with its line number.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let grouped = after.starts_with('{');
            if grouped {
                // use crate::{a, b::c}: each item's first segment.
                let inner = after[1..].split('}').next().unwrap_or_default();
                for item in inner.split(',') {
                    let first = item.trim().split("::").next().unwrap_or_default();
                    if !first.is_empty() {
                        found.push((n + 1, first.to_string()));
                    }
                }
            } else if !name.is_empty() {
                found.push((n + 1, name));
            }
            rest = after;
        }
    }
    found
}

/// The upward imports in one file's text, as readable lines.
fn violations(file: &str, module: &str, text: &str) -> Vec<String> {
    let Some(own) = layer(module) else {
        return vec![format!("{file}: module `{module}` has no layer in LAYERS")];
    };
    crate_paths(text)
        .into_iter()
        .filter_map(|(line, target)| {
            let to = layer(&target)?;
            (to > own).then(|| {
                format!("{file}:{line}: `{module}` (layer {own}) imports `{target}` (layer {to})")
            })
        })
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut problems = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&root).unwrap();
        let module = module_of(relative).unwrap();
        // The crate roots declare the modules; the binary sits above them all.
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        problems.extend(violations(&relative.display().to_string(), &module, &text));
    }
    assert!(
        files.len() > 20,
        "found only {} source files under {}",
        files.len(),
        root.display()
    );
    assert!(
        problems.is_empty(),
        "upward imports:\n{}",
        problems.join("\n")
    );
}

#[test]
fn an_upward_import_is_caught() {
    let engine_importing_report = "use crate::flow::Flow;\nuse crate::report::model::FlowRecord;\n";
    let found = violations("engine.rs", "engine", engine_importing_report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("imports `report`"), "{found:?}");

    let grouped = "use crate::{time::Nanos, assess::Assessor};";
    assert_eq!(violations("proto/x.rs", "proto", grouped).len(), 1);

    let inline = "let s: Vec<&crate::report::model::SdesRecord> = v;";
    assert_eq!(violations("dissect/mod.rs", "dissect", inline).len(), 1);

    let downward = "use crate::facts::FlowRecord;\nuse crate::time::rfc3339;";
    assert!(violations("assess/mod.rs", "assess", downward).is_empty());
    // A comment naming an upper layer is not an import.
    assert!(violations("flow/mod.rs", "flow", "// see crate::report").is_empty());
}
