//! Writes `captures/wifi-clinic.pcap`, the sample 802.11 monitor-mode
//! capture (radiotap, link type 127), from `proto::wifi::build::clinic_scene`:
//! `cargo run --example wifi_capture [OUT]`. tests/wireless.rs checks the
//! shipped file is exactly this scene.

use std::io::Write;

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "captures/wifi-clinic.pcap".to_string());
    let mut bytes = Vec::new();
    // pcap header: magic, version 2.4, zone, sigfigs, snaplen, link type.
    bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&4u16.to_le_bytes());
    for word in [0u32, 0, 65_535, 127] {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    for (ts_us, frame) in teleprobe::proto::wifi::build::clinic_scene() {
        let len = frame.len() as u32;
        for word in [
            (ts_us / 1_000_000) as u32,
            (ts_us % 1_000_000) as u32,
            len,
            len,
        ] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        bytes.extend_from_slice(&frame);
    }
    std::fs::File::create(&out)?.write_all(&bytes)?;
    eprintln!("wrote {out}");
    Ok(())
}
