//! Every input a fuzzing campaign crashed a target with, kept under
//! `tests/fuzz-regressions/TARGET/` and run through that target's code on
//! every test run, so a fixed crash stays fixed.

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no inputs in {}", dir.display());
    found
}

/// A header counting no question and 65,535 answers overflowed the
/// plausibility check's sum.
#[test]
fn dns_inputs_that_crashed_the_parser() {
    for (name, bytes) in inputs("dns") {
        let _ = teleprobe::proto::dns::parse(&bytes);
        eprintln!("{name}: survived");
    }
}

/// The same DNS header reached through the engine, on port 53.
#[test]
fn engine_inputs_that_crashed_it() {
    for (name, bytes) in inputs("engine") {
        let _ = teleprobe::engine::run_packed_frames(&teleprobe::engine::PACKED_WIRED, &bytes);
        eprintln!("{name}: survived");
    }
}

/// An SSID element of 255 bytes (an SSID is at most 32): the target's
/// bound on SSID text failed; such an element is now no SSID.
#[test]
fn wifi_inputs_that_crashed_it() {
    for (name, bytes) in inputs("wifi") {
        let (_, wireless) =
            teleprobe::engine::run_packed_frames(&teleprobe::engine::PACKED_WIRELESS, &bytes);
        assert!(
            wireless
                .networks
                .iter()
                .all(|n| n.ssid.as_ref().is_none_or(|s| s.len() <= 32 * 4)),
            "{name}"
        );
    }
}

/// A Process Information Block claiming 9 bytes: pcap-parser subtracted
/// its 12-byte header from that and overflowed.
#[test]
fn pcap_inputs_that_crashed_the_reader() {
    use teleprobe::source::{FileSource, PacketSource};
    for (name, bytes) in inputs("pcap") {
        let total = bytes.len() as u64;
        let input = Box::new(std::io::Cursor::new(bytes));
        let Ok(mut source) = FileSource::from_reader(&name, input, Some(total)) else {
            continue;
        };
        let mut packets = 0;
        let end = loop {
            match source.next_packet(&mut |_| packets += 1) {
                Ok(true) => {}
                end => break end,
            }
        };
        assert!(end.is_err(), "{name}: {packets} packets, then {end:?}");
    }
}
