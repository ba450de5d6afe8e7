//! `--threads 2` reads the capture on a thread of its own and runs the
//! redact-assess-store pipeline on another: the report must be the one
//! `--threads 1` gives, on every shipped and shared capture.

mod common;

use teleprobe::session::{Options, analyze_source};
use teleprobe::source::{ReadAhead, open_files};

fn report(path: &str, threads: usize) -> String {
    let options = Options {
        reveal: true,
        threads,
        ..Options::default()
    };
    let mut source = open_files(&[path.to_string()]).unwrap();
    if threads >= 2 {
        source = Box::new(ReadAhead::new(source));
    }
    let analysis = analyze_source(source, &[path.to_string()], &options, None);
    let mut text = serde_json::to_string(&analysis.report).unwrap();
    text.push_str(&format!("{:?}", analysis.error.map(|e| e.to_string())));
    text
}

#[test]
fn threads_change_no_report() {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut captures: Vec<std::path::PathBuf> = Vec::new();
    for dir in [Some(shipped), common::corpus_dir()].into_iter().flatten() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.to_string_lossy().to_string();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                captures.push(path);
            }
        }
    }
    captures.sort();
    assert!(captures.len() > 20, "{} captures", captures.len());
    for path in &captures {
        let path = path.to_str().unwrap();
        assert!(
            report(path, 1) == report(path, 2),
            "{path}: the reports differ"
        );
    }
}
