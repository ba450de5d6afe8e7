#![no_main]
//! Fuzz target: RTP headers, RTCP compound packets and SDES items.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::rtp::*;
    let _ = parse_rtp(data);
    let _ = is_plain_rtcp(data);
    for p in rtcp_packets(data) {
        let _ = sdes_items(&p).count();
    }
    let mut s = PayloadStats::default();
    s.add(data);
    let _ = s.verdict();
});
