#![no_main]
//! Fuzz target: the HEP3 parser and what a flow learns from it (the SIP
//! inside included).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(hep) = teleprobe::proto::hep::parse(data) {
        let mut detail = teleprobe::proto::hep::HepDetail::default();
        detail.on_message(1, &hep);
        assert!(detail.call_ids.len() <= 64);
    }
});
