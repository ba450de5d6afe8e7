//! reports/ holds the Markdown and HTML reports of every capture in
//! captures/, so a visitor can read one without building anything. This
//! test regenerates them (with a fixed pseudonym key, so they are
//! reproducible) and fails on drift; TELEPROBE_BLESS=1 rewrites them.

mod common;

use std::path::PathBuf;

#[test]
fn reports_folder_matches_the_captures() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(root.join("captures"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    let dir = tempfile::tempdir().unwrap();
    let bless = std::env::var_os("TELEPROBE_BLESS").is_some();
    let mut stale = Vec::new();
    for name in &names {
        let stem = name.trim_end_matches(".pcapng").trim_end_matches(".pcap");
        for ext in ["md", "html"] {
            let fresh = dir.path().join(format!("{stem}.{ext}"));
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
                .env("TELEPROBE_PSEUDONYM_KEY", "teleprobe reports/ folder")
                .current_dir(&root)
                .args(["analyze", "--quiet", "-o", fresh.to_str().unwrap()])
                // Relative, so the reports read the same in every checkout.
                .arg(format!("captures/{name}"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let fresh = std::fs::read_to_string(&fresh).unwrap();
            let committed = root.join("reports").join(format!("{stem}.{ext}"));
            if bless {
                std::fs::write(&committed, &fresh).unwrap();
            } else if std::fs::read_to_string(&committed).ok().as_deref() != Some(fresh.as_str()) {
                stale.push(committed.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "reports/ is stale ({stale:?}): run TELEPROBE_BLESS=1 cargo test --test reports and review"
    );
}
