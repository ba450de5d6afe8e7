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
    assert_eq!(twin["deauthentications"]["frames"], 12);
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
        finding_ids(&r),
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
    let below = finding_subjects(&r, "wifi-below-minimum-class");
    assert_eq!(below.len(), 2, "{below:?}");
    assert!(below.iter().all(|s| !s.contains(":03)")));

    // An open twin of a protected network is critical; a flood that hit
    // a network while a call ran on it is high, the other medium.
    assert_eq!(twin_finding[0]["severity"], "critical");
    let floods = findings(&r, "wifi-deauth-flood");
    let severity_of = |bssid: &str| {
        floods
            .iter()
            .find(|f| f["subject"].as_str().unwrap().contains(bssid))
            .map(|f| f["severity"].as_str().unwrap().to_string())
    };
    assert_eq!(severity_of("00:1a:2b:00:00:02").as_deref(), Some("high"));
    assert_eq!(severity_of("00:1a:2b:00:00:01").as_deref(), Some("medium"));
    assert_eq!(phone["deauthentications"], 12);

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
    assert!(
        steps.iter().any(|s| s.starts_with("12 deauthentication/disassociation frames hit ClinicStaff (00:1a:2b:00:00:02) during the call")),
        "{steps:?}"
    );
    assert!(
        calls[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "wifi-deauth-flood")
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

/// What teleprobe's parsers read off every frame of the sample captures
/// equals what tshark read (captures/*.tshark.tsv, made by
/// captures/record/wifi-oracle.sh): BSSID, SSID, Privacy, the RSN
/// element's AKMs, ciphers and PMF bits, the WPA element's, EAPOL-Key
/// message numbers, EAP types and identities, reason codes.
#[test]
fn element_and_eapol_parsing_agrees_with_tshark() {
    use teleprobe::proto::wifi::elements::{Rsn, Suites, announcement};
    use teleprobe::proto::wifi::mac::{Header, Kind, mac_text, snap};
    use teleprobe::proto::wifi::{eapol, link};
    // tshark prints a suite of another organisation (DPP's 50-6F-9A:02,
    // Cisco's 00-40-96:00) as its bare type number.
    let numbers = |s: &Suites| {
        let mut n: Vec<String> = s.numbers().map(|n| n.to_string()).collect();
        if s.dpp {
            n.push("2".into());
        }
        n.extend((0..s.other).map(|_| "0".to_string()));
        n.sort();
        n.join(",")
    };
    let sorted = |field: &str| {
        let mut v: Vec<&str> = field.split(',').filter(|s| !s.is_empty()).collect();
        v.sort();
        v.join(",")
    };
    let mut compared = 0;
    for name in ["wifi-security-classes", "wifi-clinic"] {
        let oracle = std::fs::read_to_string(capture(&format!("{name}.tshark.tsv"))).unwrap();
        let packets =
            teleprobe::source::read_all(capture(&format!("{name}.pcap")).to_str().unwrap())
                .unwrap();
        let rows: Vec<Vec<&str>> = oracle.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(
            rows.len(),
            packets.len(),
            "{name}: one oracle line per frame"
        );
        for (p, t) in packets.iter().zip(&rows) {
            let at = format!("{name} frame {}", t[0]);
            let radio = link::mac_frame(p.link, &p.data).unwrap();
            let h = Header::parse(radio.frame, radio.padded).unwrap();
            assert_eq!(
                h.bssid().map(|b| mac_text(&b)).as_deref(),
                Some(t[1]),
                "{at}"
            );
            let mut ours = vec![String::new(); 15];
            if h.kind == Kind::Management && matches!(h.subtype, 0 | 5 | 8) {
                let (privacy, elements) = match h.subtype {
                    0 => (
                        u16::from_le_bytes([h.body[0], h.body[1]]) & 0x10 != 0,
                        &h.body[4..],
                    ),
                    _ => (
                        u16::from_le_bytes([h.body[10], h.body[11]]) & 0x10 != 0,
                        &h.body[12..],
                    ),
                };
                let a = announcement(elements, privacy);
                ours[2] = a.ssid.filter(|s| !s.is_empty()).map_or(String::new(), |s| {
                    s.iter().map(|b| format!("{b:02x}")).collect()
                });
                ours[3] = u8::from(privacy).to_string();
                if let Some(Rsn {
                    akms,
                    pairwise,
                    group,
                    ..
                }) = a.security.rsn
                {
                    let rsn = a.security.rsn.unwrap();
                    ours[4] = numbers(&akms);
                    ours[5] = numbers(&pairwise);
                    ours[6] = numbers(&group);
                    ours[7] = u8::from(rsn.mfp_capable()).to_string();
                    ours[8] = u8::from(rsn.mfp_required()).to_string();
                }
                if let Some(wpa) = a.security.wpa {
                    ours[9] = numbers(&wpa.akms);
                    ours[10] = numbers(&wpa.pairwise);
                }
                for i in 2..=10 {
                    let theirs = if i == 2 && t[2] == "<MISSING>" {
                        ""
                    } else {
                        t[i]
                    };
                    assert_eq!(ours[i], sorted(theirs), "{at} column {i}");
                }
                compared += 1;
            }
            if let Some((0x888e, body)) = (h.kind == Kind::Data).then(|| snap(h.body)).flatten() {
                match eapol::parse(body).unwrap() {
                    eapol::Eapol::Key(k) => assert_eq!(
                        k.message.map(|m| m.to_string()).as_deref(),
                        Some(t[11]),
                        "{at}"
                    ),
                    eapol::Eapol::Eap(e) => {
                        assert_eq!(
                            e.method.map_or(String::new(), |m| m.to_string()),
                            t[12],
                            "{at}"
                        );
                        if e.method == Some(1) {
                            assert_eq!(std::str::from_utf8(e.data).unwrap(), t[13], "{at}");
                        }
                    }
                    _ => {}
                }
                compared += 1;
            }
            if h.kind == Kind::Management && h.subtype == 12 {
                let reason = u16::from_le_bytes([h.body[0], h.body[1]]);
                assert_eq!(format!("0x{reason:04x}"), t[14], "{at}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 24 + 3 + 6 + 50, "{compared} frames compared");
}

/// Every row and modifier of WIFI.md's decision table, one beacon each
/// (examples/wifi_capture.rs), classified as the table says.
#[test]
fn every_row_of_the_decision_table() {
    let r = report_json_revealed(&capture("wifi-security-classes.pcap"));
    let expected: [(&str, &str, &[&str], Option<&str>); 24] = [
        ("open", "open", &[], None),
        ("open-owe", "open", &["transition"], None),
        ("<hidden OWE>", "owe", &[], Some("required")),
        ("wep", "wep", &[], None),
        ("wpa-psk", "wpa-psk", &["tkip"], None),
        ("wpa-eap", "wpa-enterprise", &["tkip"], None),
        ("wpa2-psk", "wpa2-psk", &[], Some("none")),
        ("wpa2-wpa-mixed", "wpa-psk", &["tkip"], Some("none")),
        ("wpa2-eap", "wpa2-enterprise", &[], Some("none")),
        ("wpa2-eap-pmf", "wpa2-enterprise", &[], Some("required")),
        ("wpa3-eap", "wpa3-enterprise", &[], Some("required")),
        (
            "wpa3-eap-transition",
            "wpa2-enterprise",
            &["transition"],
            Some("capable"),
        ),
        ("wpa3-eap-192", "wpa3-enterprise-192", &[], Some("required")),
        ("wpa3-sae", "wpa3-sae", &[], Some("required")),
        (
            "wpa3-sae-transition",
            "wpa2-psk",
            &["transition"],
            Some("capable"),
        ),
        ("sae-no-pmf", "wpa3-sae", &[], Some("capable")),
        (
            "wpa3-compat",
            "wpa2-psk",
            &["override(wpa3-sae)"],
            Some("capable"),
        ),
        ("ft-psk", "wpa2-psk", &["ft"], Some("none")),
        ("psk-sha256", "wpa2-psk", &[], Some("capable")),
        ("dpp", "wpa3-sae", &["dpp"], Some("required")),
        ("cckm", "rsn-unknown", &[], Some("none")),
        ("wep-group", "wpa2-psk", &["wep-group"], Some("none")),
        ("sae-h2e", "wpa3-sae", &["h2e"], Some("required")),
        ("wps-open", "wpa2-psk", &[], Some("none")),
    ];
    let networks = r["wireless"]["networks"].as_array().unwrap();
    assert_eq!(networks.len(), expected.len());
    for (i, (ssid, class, modifiers, pmf)) in expected.iter().enumerate() {
        let n = network(&r, &format!("02:00:00:00:00:{:02x}", i + 1));
        assert_eq!(n["ssid"].as_str().unwrap_or("<hidden OWE>"), *ssid);
        assert_eq!(n["class"], *class, "{ssid}");
        assert_eq!(n["modifiers"], serde_json::json!(modifiers), "{ssid}");
        assert_eq!(n["pmf"].as_str(), *pmf, "{ssid}");
        assert_eq!(n["confidence"], "observed");
    }
    let ids = |ssid: &str| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["subject"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{ssid} ("))
            })
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids("sae-no-pmf").contains(&"wifi-pmf-not-required".to_string()));
    assert!(!ids("wpa3-sae").contains(&"wifi-pmf-not-required".to_string()));
    assert!(ids("wpa3-sae").contains(&"wifi-wpa3-personal".to_string()));
    assert!(ids("<hidden>").contains(&"wifi-owe-unauthenticated".to_string()));
    assert!(ids("<hidden>").contains(&"wifi-hidden-ssid".to_string()));
    assert!(ids("wps-open").contains(&"wifi-wps-enabled".to_string()));
    assert!(ids("wpa3-sae-transition").contains(&"wifi-transition-mode".to_string()));
    assert!(ids("wpa-eap").contains(&"wifi-wpa1-or-tkip".to_string()));
    assert!(ids("wep").contains(&"wifi-wep".to_string()));
    // The open network that points at its OWE twin is not an evil twin,
    // and no open network here carried data.
    assert!(!r["findings"].to_string().contains("wifi-evil-twin"));
    assert!(!r["findings"].to_string().contains("wifi-open-network"));
    // WPA3-Enterprise meets the default minimum; WPA2-Personal does not.
    assert!(!ids("wpa3-eap").contains(&"wifi-below-minimum-class".to_string()));
    assert!(ids("wpa2-psk").contains(&"wifi-below-minimum-class".to_string()));
}

/// Real 802.1X exchanges between hostapd and wpa_supplicant
/// (captures/record/wifi-eap.sh): EAP-TLS over TLS 1.2 shows the
/// clinician's certificate, PEAP hides its user behind an anonymous
/// identity, EAP-MD5 is weak; each with the frame tshark numbers.
#[test]
fn real_eap_tls_peap_and_md5_exchanges() {
    let path = capture("wifi-eap-methods.pcap");
    let r = report_json_revealed(&path);
    let n = &r["wireless"]["networks"][0];
    assert_eq!(
        (n["class"].as_str(), n["pmf"].as_str()),
        (Some("wpa2-enterprise"), Some("capable"))
    );
    let clients = r["wireless"]["clients"].as_array().unwrap();
    assert_eq!(clients.len(), 3);
    let eap = |mac: &str| &clients.iter().find(|c| c["mac"] == mac).unwrap()["eap"];
    let tls = eap("02:00:5e:00:02:10");
    assert_eq!(tls["methods"][0]["method"], "EAP-TLS");
    assert_eq!(tls["outcome"], "success");
    assert_eq!(
        tls["client_certificate"],
        "CN=Dr. Jane Jones, Email=dr.jones@clinic.example"
    );
    assert_eq!(
        tls["client_certificate_packet"], 12,
        "tshark: Certificate in frame 12"
    );
    assert_eq!(tls["server_certificate"], "CN=radius.clinic.example");
    let peap = eap("02:00:5e:00:02:11");
    assert_eq!(
        (
            peap["identity_kind"].as_str(),
            peap["methods"][0]["method"].as_str()
        ),
        (Some("anonymous"), Some("PEAP"))
    );
    assert!(peap["client_certificate"].is_null());
    let md5 = eap("02:00:5e:00:02:12");
    assert_eq!(
        (
            md5["identity"].as_str(),
            md5["methods"][0]["method"].as_str()
        ),
        (Some("nurse7"), Some("MD5"))
    );
    let subjects = |id: &str| -> Vec<String> {
        findings(&r, id)
            .iter()
            .map(|f| f["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(subjects("wifi-eap-certificate-exposed").len(), 1);
    assert!(subjects("wifi-eap-certificate-exposed")[0].starts_with("02:00:5e:00:02:10"));
    assert_eq!(subjects("wifi-eap-weak-method").len(), 1);
    assert_eq!(
        subjects("wifi-eap-identity-exposed").len(),
        2,
        "not the anonymous PEAP one"
    );
    // Redacted: the certificate's subject and the user names are gone.
    let out = String::from_utf8(run_ok(&[
        "analyze",
        "--json",
        "--quiet",
        path.to_str().unwrap(),
    ]))
    .unwrap();
    for secret in ["Jane Jones", "dr.jones", "nurse7"] {
        assert!(!out.contains(secret), "{secret}");
    }
}

/// The remaining rules on a capture built for them: a station that chose
/// PSK on a WPA3 transition network, an IMSI identity, a network seen only
/// through WEP-protected data (class inferred), and the policy's clinic
/// SSIDs narrowing which networks must meet the minimum class.
#[test]
fn weaker_akm_imsi_inferred_wep_and_clinic_ssids() {
    const AP: [u8; 6] = [0x02, 0, 0, 0, 0, 0x31];
    const WEP_AP: [u8; 6] = [0x02, 0, 0, 0, 0, 0x32];
    const STA: [u8; 6] = [0x02, 0, 0, 0, 0, 0x41];
    const SIM: [u8; 6] = [0x02, 0, 0, 0, 0, 0x42];
    const OLD: [u8; 6] = [0x02, 0, 0, 0, 0, 0x43];
    let mut p = Pcap::new(127);
    let mut put = |frame: Vec<u8>| p.frame(&build::radiotap(&frame, false, None, None));
    let transition = build::ssid_and(b"Lobby", &build::rsne(&[4], &[2, 8], 0x0080));
    put(build::beacon(AP, true, &transition));
    let chose_psk = build::ssid_and(b"Lobby", &build::rsne(&[4], &[2], 0x0080));
    put(build::assoc_request(AP, STA, &chose_psk));
    let imsi = build::eap(
        2,
        Some(1),
        b"1310150123456789@wlan.mnc015.mcc310.3gppnetwork.org",
    );
    put(build::data(AP, SIM, true, &build::snap(0x888e, &imsi)));
    put(build::protected_data(WEP_AP, OLD, false));
    // Unprotected IP on the WPA3 transition network; then its beacon drops
    // to open (CRYPTODROP), and a third BSSID answers probes for two other
    // names (karma).
    let udp = build::ipv4_udp(([10, 1, 0, 5], 5000), ([10, 1, 0, 1], 53), b"query");
    put(build::data(AP, STA, true, &udp));
    const DROP: [u8; 6] = [0x02, 0, 0, 0, 0, 0x34];
    put(build::beacon(
        DROP,
        true,
        &build::ssid_and(b"Ward", &build::rsne(&[4], &[2], 0)),
    ));
    put(build::beacon(DROP, false, &build::element(0, b"Ward")));
    const KARMA: [u8; 6] = [0x02, 0, 0, 0, 0, 0x33];
    for name in [&b"Guest"[..], b"HomeNet", b"CoffeeShop"] {
        put(build::probe_response(
            KARMA,
            STA,
            false,
            &build::element(0, name),
        ));
    }
    // A deauthentication forces a station off the Ward network before it
    // turned open, and its handshake follows at once: the attack pattern.
    const VICTIM: [u8; 6] = [0x02, 0, 0, 0, 0, 0x44];
    const HOME: [u8; 6] = [0x02, 0, 0, 0, 0, 0x35];
    let home = build::ssid_and(b"Home", &build::rsne(&[4], &[2], 0));
    put(build::beacon(HOME, true, &home));
    put(build::deauth(12, HOME, VICTIM, HOME, 7, false)); // frame 12
    for n in [1, 2] {
        let key = build::snap(0x888e, &build::eapol_key(n, false));
        put(build::data(HOME, VICTIM, n == 2, &key));
    }
    // Reliability: Home's beacons every 102.4 ms, then two seconds of
    // silence, then one on another channel.
    let mut at = p.ts_us + 100_000;
    for i in 0..6 {
        let channel = if i < 5 { 1 } else { 6 };
        let mut elements = home.clone();
        elements.extend(build::element(3, &[channel]));
        at += if i < 5 { 102_400 } else { 2_000_000 };
        p.frame_at(
            at,
            &build::radiotap(&build::beacon(HOME, true, &elements), false, None, None),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = p.save(dir.path(), "rules.pcap");
    let r = report_json_revealed(&path);
    let home_net = network(&r, "02:00:00:00:00:35");
    assert_eq!(home_net["beacon_interval_tu"], 100);
    assert_eq!(home_net["beacon_gaps"], 1);
    assert_eq!(home_net["longest_beacon_gap_ms"], 2000);
    assert_eq!(home_net["channel_changes"], 1);
    let victim = r["wireless"]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mac"] == "02:00:00:00:00:44")
        .unwrap();
    assert_eq!(victim["handshake"]["after_deauthentication"], 12);
    let forced: Vec<&serde_json::Value> = findings(&r, "wifi-psk-crackable")
        .into_iter()
        .filter(|f| {
            f["subject"]
                .as_str()
                .unwrap()
                .starts_with("02:00:00:00:00:44")
        })
        .collect();
    assert_eq!(forced.len(), 1);
    assert_eq!(forced[0]["severity"], "high");
    assert_eq!(
        forced[0]["values"]["forced_by_deauthentication"],
        "frame 12"
    );
    let weaker = findings(&r, "wifi-weaker-akm-chosen");
    assert_eq!(weaker.len(), 1);
    assert_eq!(weaker[0]["evidence"][0]["first_packet"], 2);
    assert_eq!(weaker[0]["values"]["chosen"], "PSK");
    let imsi = findings(&r, "wifi-eap-imsi-exposed");
    assert_eq!(imsi.len(), 1);
    assert!(
        findings(&r, "wifi-eap-identity-exposed").is_empty(),
        "an IMSI is its own finding"
    );
    let wep = network(&r, "02:00:00:00:00:32");
    assert_eq!(
        (wep["class"].as_str(), wep["confidence"].as_str()),
        (Some("wep"), Some("inferred"))
    );
    assert!(
        wep["inferred_from"]
            .as_str()
            .unwrap()
            .contains("WEP header (frame 4)")
    );
    assert_eq!(findings(&r, "wifi-wep").len(), 1);
    let unprotected = findings(&r, "wifi-unprotected-data-in-rsn");
    assert_eq!(unprotected.len(), 1);
    assert_eq!(unprotected[0]["evidence"][0]["first_packet"], 5);
    let twins: Vec<String> = findings(&r, "wifi-evil-twin")
        .iter()
        .map(|f| format!("{} {}", f["subject"], f["evidence"][0]["detail"]))
        .collect();
    assert!(twins.iter().any(|t| t.contains("02:00:00:00:00:34") && t.contains("dropped from wpa2-psk to open")), "{twins:?}");
    assert!(
        twins
            .iter()
            .any(|t| t.contains("02:00:00:00:00:33")
                && t.contains("answered probes for 2 other names")),
        "{twins:?}"
    );
    // Every network is judged against the minimum by default; naming the
    // clinic's SSIDs leaves the others out.
    assert_eq!(findings(&r, "wifi-below-minimum-class").len(), 5);
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[wireless]\nclinic_ssids = [\"Lobby\"]\nminimum_class = \"wpa3-sae\"\n",
    )
    .unwrap();
    let narrowed = report_json_with(&path, &["--reveal", "--policy", policy.to_str().unwrap()]);
    let below = findings(&narrowed, "wifi-below-minimum-class");
    assert_eq!(below.len(), 1);
    assert!(below[0]["subject"].as_str().unwrap().starts_with("Lobby ("));
    assert_eq!(below[0]["values"]["minimum_class"], "wpa3-sae");
    // A class the policy does not know is an error that lists the known ones.
    std::fs::write(&policy, "[wireless]\nminimum_class = \"wpa4\"\n").unwrap();
    let out = run(&[
        "analyze",
        "--policy",
        policy.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown wireless class `wpa4`"));
}
