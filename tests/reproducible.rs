//! The same capture gives the same report, run after run: flows that end
//! together are handed on in id order, whatever the flow table's hashing.
//! Checked on public captures where many flows end in one sweep.

use std::path::PathBuf;
use teleprobe::session::{Options, analyze_files};

fn report_json(path: &str) -> String {
    let options = Options {
        reveal: true,
        ..Options::default()
    };
    let analysis = analyze_files(&[path.to_string()], &options).expect("capture opens");
    serde_json::to_string(&analysis.report).unwrap()
}

#[test]
fn the_same_capture_gives_the_same_report() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/ndpi");
    let mut checked = 0;
    for name in ["signal.pcap", "sites.pcapng", "zoom.pcap"] {
        let path = corpus.join(name);
        if !path.exists() {
            continue;
        }
        let path = path.to_string_lossy().into_owned();
        let first = report_json(&path);
        for _ in 0..3 {
            assert!(
                report_json(&path) == first,
                "{name}: reports differ between runs"
            );
        }
        checked += 1;
    }
    // The shared captures are present in CI; a checkout without them still
    // checks the shipped sample.
    if checked == 0 {
        let sample = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/captures/webrtc-aiortc-turn.pcap"
        );
        assert_eq!(report_json(sample), report_json(sample));
    }
}
