//! 802.11 monitor-mode captures, built frame by frame with the project's
//! builders: every link type reaches the same networks; a clinic scene
//! (WPA2-Personal with a PMKID and a deauthentication flood, an open twin
//! carrying a cleartext call, an Enterprise network whose client shows its
//! identity and uses EAP-MD5, a probing phone) gives exactly the networks,
//! clients, findings and call reasoning it must, with identifiers redacted
//! unless --reveal.

mod common;

use common::*;
use teleprobe::proto::wifi::build;

const PSK_AP: [u8; 6] = [0x00, 0x1a, 0x2b, 0x00, 0x00, 0x01];
const TWIN_AP: [u8; 6] = [0x00, 0x1a, 0x2b, 0x00, 0x00, 0x02];

/// The shipped sample, which `examples/wifi_capture.rs` writes from
/// `build::clinic_scene`; checked to be exactly that scene.
fn clinic_capture() -> std::path::PathBuf {
    let path = capture("wifi-clinic.pcap");
    let mut p = Pcap::new(127);
    for (ts, frame) in build::clinic_scene() {
        p.frame_at(ts, &frame);
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        p.bytes,
        "captures/wifi-clinic.pcap is stale: cargo run --example wifi_capture"
    );
    path
}

fn ids(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn network<'a>(report: &'a serde_json::Value, bssid: &str) -> &'a serde_json::Value {
    report["wireless"]["networks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["bssid"] == bssid)
        .unwrap_or_else(|| panic!("no network {bssid}"))
}

#[test]
fn a_clinic_scene_gives_its_networks_clients_findings_and_call() {
    let r = report_json_revealed(&clinic_capture());

    let staff = network(&r, "00:1a:2b:00:00:01");
    assert_eq!(staff["ssid"], "ClinicStaff");
    assert_eq!(staff["class"], "wpa2-psk");
    assert_eq!(staff["confidence"], "observed");
    assert_eq!(staff["pmf"], "none");
    assert_eq!(staff["airodump"], "WPA2, CCMP, PSK");
    assert_eq!(staff["frequency_mhz"], 2437);
    assert_eq!(staff["deauthentications"]["frames"], 50);
    assert_eq!(
        staff["deauthentications"]["floods"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let twin = network(&r, "00:1a:2b:00:00:02");
    assert_eq!(twin["class"], "open");
    assert_eq!(twin["unprotected_data"]["count"], 40);
    let secure = network(&r, "00:1a:2b:00:00:03");
    assert_eq!(
        (secure["class"].as_str(), secure["pmf"].as_str()),
        (Some("wpa2-enterprise"), Some("required"))
    );

    let clients = r["wireless"]["clients"].as_array().unwrap();
    let tablet = clients
        .iter()
        .find(|c| c["mac"] == "3c:22:fb:00:00:10")
        .unwrap();
    assert_eq!(tablet["bssid"], "00:1a:2b:00:00:01");
    assert_eq!(tablet["akms"], serde_json::json!(["PSK"]));
    assert_eq!(tablet["handshake"]["messages"], serde_json::json!([1, 2]));
    assert_eq!(tablet["handshake"]["pmkid_packet"], 3);
    let laptop = clients
        .iter()
        .find(|c| c["mac"] == "3c:22:fb:00:00:12")
        .unwrap();
    assert_eq!(laptop["eap"]["identity"], "dr.jones@clinic.example");
    assert_eq!(laptop["eap"]["methods"][0]["method"], "MD5");
    assert_eq!(laptop["eap"]["outcome"], "success");
    let phone = clients
        .iter()
        .find(|c| c["mac"] == "3c:22:fb:00:00:11")
        .unwrap();
    assert_eq!(phone["addresses"], serde_json::json!(["192.168.7.20"]));

    assert_eq!(
        ids(&r),
        [
            "media-cleartext",
            "wifi-below-minimum-class",
            "wifi-deauth-flood",
            "wifi-eap-identity-exposed",
            "wifi-eap-weak-method",
            "wifi-evil-twin",
            "wifi-open-network",
            "wifi-pmf-not-required",
            "wifi-probe-ssids-exposed",
            "wifi-psk-crackable",
            "wifi-wpa2-personal",
        ]
    );
    // Evidence names the frames: the PMKID is frame 3.
    let crackable = findings(&r, "wifi-psk-crackable");
    assert!(
        crackable[0]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["first_packet"] == 3)
    );
    let twin_finding = findings(&r, "wifi-evil-twin");
    assert!(
        twin_finding[0]["subject"]
            .as_str()
            .unwrap()
            .contains("00:1a:2b:00:00:02")
    );
    // Below the default minimum (wpa2-enterprise): the Personal and open
    // networks, not the Enterprise one.
    let below: Vec<&str> = findings(&r, "wifi-below-minimum-class")
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(below.len(), 2, "{below:?}");
    assert!(below.iter().all(|s| !s.contains(":03)")));

    // The call on the open network carries that network in its reasoning.
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    let steps: Vec<&str> = calls[0]["reasoning"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(
        steps.iter().any(|s| s
            .contains("was on Wi-Fi network ClinicStaff (00:1a:2b:00:00:02), class open")
            && s.contains("readable by anyone in radio range")),
        "{steps:?}"
    );
}

#[test]
fn identifiers_are_pseudonymised_unless_revealed() {
    let path = clinic_capture();
    let out = String::from_utf8(run_ok(&[
        "analyze",
        "--json",
        "--quiet",
        path.to_str().unwrap(),
    ]))
    .unwrap();
    for secret in [
        "ClinicStaff",
        "ClinicSecure",
        "dr.jones",
        "SmithFamilyHome",
        "00:1a:2b:00:00:01",
        "3c:22:fb",
    ] {
        assert!(!out.contains(secret), "{secret} in the redacted report");
    }
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let laptop = r["wireless"]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["eap"].is_object())
        .unwrap();
    let identity = laptop["eap"]["identity"].as_str().unwrap();
    assert!(
        identity.starts_with("user-") && identity.ends_with("@clinic.example"),
        "{identity}"
    );
    // Networks and clients stay joinable under their pseudonyms.
    let bssids: Vec<&str> = r["wireless"]["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["bssid"].as_str().unwrap())
        .collect();
    assert!(bssids.contains(&laptop["bssid"].as_str().unwrap()));
}

#[test]
fn every_link_type_with_and_without_fcs_reaches_the_same_network() {
    let beacon = build::beacon(
        PSK_AP,
        true,
        &build::ssid_and(b"x", &build::rsne(&[4], &[8], 0x00c0)),
    );
    let framed = build::with_fcs(&beacon);
    let mut prism = vec![0u8; 144];
    prism.extend_from_slice(&framed);
    let mut avs = vec![0x80, 0x21, 0x10, 0x01, 0, 0, 0, 64];
    avs.resize(64, 0);
    avs.extend_from_slice(&beacon);
    let cases: [(u32, Vec<u8>); 7] = [
        (105, beacon.clone()),
        (105, framed.clone()),
        (119, prism),
        (163, avs),
        (127, build::radiotap(&framed, true, None, None)),
        (127, build::radiotap(&beacon, false, Some(5180), None)),
        (192, build::ppi(&framed, true, 5180, -60)),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (link, frame)) in cases.iter().enumerate() {
        let mut p = Pcap::new(*link);
        p.frame(frame);
        let path = p.save(dir.path(), &format!("{i}.pcap"));
        let r = report_json_revealed(&path);
        let n = network(&r, "00:1a:2b:00:00:01");
        assert_eq!(
            (n["class"].as_str(), n["ssid"].as_str()),
            (Some("wpa3-sae"), Some("x")),
            "link {link} case {i}"
        );
        assert_eq!(r["capture"]["malformed_packets"], 0, "link {link} case {i}");
        assert_eq!(r["wireless"]["frames"]["malformed"], 0);
    }
}

#[test]
fn bad_wireless_input_is_counted_not_fatal() {
    let mut p = Pcap::new(127);
    p.frame(&[0, 0, 200, 0, 0, 0, 0, 0]); // radiotap length past the frame
    p.frame(&build::radiotap(&[0x80, 0x00, 0, 0], false, None, None)); // beacon cut in its header
    let mut lying = build::beacon(PSK_AP, true, &build::element(0, b"ok"));
    lying.extend_from_slice(&[48, 20, 1, 0, 0, 0x0f, 0xac, 4, 0xff, 0xff]); // RSNE counts past its length
    p.frame(&build::radiotap(&lying, false, None, None));
    p.frame(&build::radiotap(
        &build::beacon(
            TWIN_AP,
            false,
            &build::element(0, &[0xb2, 0xe2, 0xca, 0xd4]),
        ),
        false,
        None,
        None,
    ));
    let dir = tempfile::tempdir().unwrap();
    let r = report_json_revealed(&p.save(dir.path(), "bad.pcap"));
    assert_eq!(r["capture"]["packets"], 4);
    assert_eq!(r["capture"]["malformed_packets"], 2);
    assert_eq!(
        network(&r, "00:1a:2b:00:00:02")["ssid"],
        "\\xB2\\xE2\\xCA\\xD4"
    );
    // The RSNE whose element length is shorter than it claims ends the walk.
    assert_eq!(network(&r, "00:1a:2b:00:00:01")["class"], "wep");
}
