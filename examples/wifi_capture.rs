//! Writes the sample 802.11 monitor-mode captures (radiotap, link type
//! 127) from the project's frame builders: `cargo run --example
//! wifi_capture [DIR]`.
//!
//! - `wifi-clinic.pcap`: `proto::wifi::build::clinic_scene` (tests/wireless.rs
//!   checks the shipped file is exactly that scene);
//! - `wifi-security-classes.pcap`: one beacon per row and modifier of
//!   WIFI.md's decision table, BSSID 02:00:00:00:00:NN for the NNth; its
//!   facts as tshark reads them are in `wifi-security-classes.tshark.tsv`
//!   (`captures/record/wifi-oracle.sh`).

use std::io::Write;
use teleprobe::proto::wifi::build::{
    beacon, clinic_scene, element, radiotap, rsne, ssid_and, vendor, with_fcs, wpa_ie,
};

const WFA: [u8; 3] = [0x50, 0x6f, 0x9a];

fn pcap(frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut bytes = Vec::new();
    // pcap header: magic, version 2.4, zone, sigfigs, snaplen, link type.
    bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&4u16.to_le_bytes());
    for word in [0u32, 0, 65_535, 127] {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    for (ts_us, frame) in frames {
        let len = frame.len() as u32;
        for word in [
            (ts_us / 1_000_000) as u32,
            (ts_us % 1_000_000) as u32,
            len,
            len,
        ] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        bytes.extend_from_slice(frame);
    }
    bytes
}

/// The elements of each network of the decision table, in BSSID order:
/// (SSID, Privacy bit, elements after the SSID).
fn security_classes() -> Vec<(&'static [u8], bool, Vec<u8>)> {
    let cat = |parts: &[Vec<u8>]| parts.concat();
    let mut dpp_akm = rsne(&[4], &[8], 0x00c0);
    let n = dpp_akm.len();
    // The AKM suite (before the 2-byte capabilities) becomes 50-6F-9A:02.
    dpp_akm[n - 6..n - 2].copy_from_slice(&[WFA[0], WFA[1], WFA[2], 2]);
    let mut cckm = rsne(&[4], &[1], 0);
    let n = cckm.len();
    cckm[n - 6..n - 2].copy_from_slice(&[0x00, 0x40, 0x96, 0x00]);
    let mut wep_group = rsne(&[4], &[2], 0);
    wep_group[7] = 1;
    vec![
        (b"open", false, vec![]),
        (
            b"open-owe",
            false,
            vendor(WFA, 0x1c, &[2, 0, 0, 0, 0, 3, 0]),
        ),
        (b"", true, rsne(&[4], &[18], 0x00c0)),
        (b"wep", true, vec![]),
        (b"wpa-psk", true, wpa_ie(2, &[2])),
        (b"wpa-eap", true, wpa_ie(2, &[1])),
        (b"wpa2-psk", true, rsne(&[4], &[2], 0)),
        (
            b"wpa2-wpa-mixed",
            true,
            cat(&[rsne(&[4, 2], &[2], 0), wpa_ie(2, &[2])]),
        ),
        (b"wpa2-eap", true, rsne(&[4], &[1], 0)),
        (b"wpa2-eap-pmf", true, rsne(&[4], &[1], 0x00c0)),
        (b"wpa3-eap", true, rsne(&[4], &[5], 0x00c0)),
        (b"wpa3-eap-transition", true, rsne(&[4], &[1, 5], 0x0080)),
        (b"wpa3-eap-192", true, rsne(&[9], &[12], 0x00c0)),
        (b"wpa3-sae", true, rsne(&[4], &[8], 0x00c0)),
        (b"wpa3-sae-transition", true, rsne(&[4], &[2, 8], 0x0080)),
        (b"sae-no-pmf", true, rsne(&[4], &[8], 0x0080)),
        (
            b"wpa3-compat",
            true,
            cat(&[
                rsne(&[4], &[2], 0x0080),
                vendor(WFA, 0x29, &rsne(&[4], &[8], 0x00c0)[2..]),
            ]),
        ),
        (
            b"ft-psk",
            true,
            cat(&[rsne(&[4], &[4], 0), element(54, &[1, 2, 0])]),
        ),
        (b"psk-sha256", true, rsne(&[4], &[6], 0x0080)),
        (b"dpp", true, dpp_akm),
        (b"cckm", true, cckm),
        (b"wep-group", true, wep_group),
        (
            b"sae-h2e",
            true,
            cat(&[rsne(&[4], &[8], 0x00c0), element(244, &[0x20])]),
        ),
        (
            b"wps-open",
            true,
            cat(&[
                rsne(&[4], &[2], 0),
                vendor([0, 0x50, 0xf2], 4, &[0x10, 0x44, 0, 1, 2]),
            ]),
        ),
    ]
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "captures".to_string());
    let dir = std::path::Path::new(&dir);
    let mut at = 1_700_000_100_000_000u64;
    let classes: Vec<(u64, Vec<u8>)> = security_classes()
        .into_iter()
        .enumerate()
        .map(|(i, (ssid, privacy, rest))| {
            at += 102_400;
            let bssid = [0x02, 0, 0, 0, 0, i as u8 + 1];
            let frame = beacon(bssid, privacy, &ssid_and(ssid, &rest));
            (at, radiotap(&with_fcs(&frame), true, Some(5180), Some(-60)))
        })
        .collect();
    for (name, frames) in [
        ("wifi-clinic.pcap", clinic_scene()),
        ("wifi-security-classes.pcap", classes),
    ] {
        let path = dir.join(name);
        std::fs::File::create(&path)?.write_all(&pcap(&frames))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
