#![no_main]
//! Fuzz target: 802.11 monitor-mode frames through the whole engine: the
//! link headers (radiotap, PPI, Prism, AVS, bare with or without FCS), the
//! MAC header, elements, EAPOL and EAP, the per-network state, and the IP
//! engine behind open networks' data frames (see
//! `teleprobe::engine::run_packed_frames`). The report must stay within
//! its bounds.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (_, wireless) =
        teleprobe::engine::run_packed_frames(&teleprobe::engine::PACKED_WIRELESS, data);
    assert!(wireless.networks.len() <= teleprobe::proto::wifi::state::MAX_NETWORKS);
    for n in &wireless.networks {
        assert!(n.deauthentications.floods.len() <= 16);
        assert!(n.ssid.as_ref().is_none_or(|s| s.len() <= 32 * 4));
    }
});
