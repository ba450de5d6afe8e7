//! Operators and countries of call servers from MaxMind-format databases
//! the tests build themselves (`common/mmdb.rs`): the relay or media
//! server gets its AS and country, the policy's allowed_countries turns a
//! server elsewhere into a finding, an address the databases do not hold
//! stays unknown, and bad databases are errors that name the file.

mod common;
#[path = "common/mmdb.rs"]
mod mmdb;

use common::*;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

const CLIENT: ([u8; 4], u16) = ([192, 168, 1, 20], 50000);
const SERVER: ([u8; 4], u16) = ([198, 51, 100, 7], 3478);

/// A STUN binding then RTP both ways with SERVER: one call, one leg.
fn call_capture(dir: &Path) -> PathBuf {
    let mut p = Pcap::new(ETHERNET);
    p.udp4(CLIENT, SERVER, &stun(0x0001, [1; 12], &[]));
    for seq in 0..20u16 {
        let payload = noise(u32::from(seq), 120);
        p.udp4(CLIENT, SERVER, &rtp(111, seq, 0x1111, &payload));
        p.udp4(SERVER, CLIENT, &rtp(111, seq, 0x2222, &payload));
    }
    p.save(dir, "call.pcap")
}

fn databases(dir: &Path) -> (String, String) {
    let asn = dir.join("asn.mmdb");
    let net = (Ipv4Addr::new(198, 51, 100, 0), 24);
    let other = (Ipv4Addr::new(203, 0, 113, 0), 24);
    std::fs::write(
        &asn,
        mmdb::asn(&[
            (other, 64500, "Other Networks"),
            (net, 32934, "Meta Platforms"),
        ]),
    )
    .unwrap();
    let country = dir.join("country.mmdb");
    std::fs::write(&country, mmdb::country(&[(net, "IE"), (other, "US")])).unwrap();
    (
        asn.to_str().unwrap().to_string(),
        country.to_str().unwrap().to_string(),
    )
}

fn policy_file(dir: &Path, countries: &str) -> String {
    let path = dir.join("policy.toml");
    std::fs::write(&path, format!("allowed_countries = [{countries}]\n")).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_server_outside_the_allowed_countries_is_a_finding_with_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let capture = call_capture(dir.path());
    let (asn, country) = databases(dir.path());
    let policy = policy_file(dir.path(), "\"us\"");
    let r = report_json_with(
        &capture,
        &[
            "--reveal", "--geoip", &asn, "--geoip", &country, "--policy", &policy,
        ],
    );
    let call = &r["calls"][0];
    let leg = call["legs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["server"] == "198.51.100.7:3478")
        .expect("the media leg");
    assert_eq!(leg["location"]["asn"], 32934);
    assert_eq!(leg["location"]["as_organization"], "Meta Platforms");
    assert_eq!(leg["location"]["country"], "IE");
    assert_eq!(
        leg["location"]["databases"],
        serde_json::json!([asn, country])
    );
    assert!(call_findings(call).contains(&"media-routed-outside-allowed-regions"));
    let f = findings(&r, "media-routed-outside-allowed-regions");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["subject"], "call 1: 198.51.100.7:3478");
    assert_eq!(f[0]["values"]["country"], "IE");
    assert_eq!(f[0]["values"]["database"], format!("{asn}, {country}"));
    let ev = &f[0]["evidence"][0];
    assert!(ev["first_packet"].as_u64().unwrap() >= 1);
    let detail = ev["detail"].as_str().unwrap();
    assert!(
        detail.contains("to 198.51.100.7:3478: country IE, Meta Platforms")
            && detail.ends_with("allowed: US"),
        "{detail}"
    );
    assert!(
        call["cannot_show"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c.as_str().unwrap().contains("country of")),
        "{}",
        call["cannot_show"]
    );

    // The clinic allows Ireland: no finding, the location stays.
    let policy = policy_file(dir.path(), "\"US\", \"IE\"");
    let r = report_json_with(
        &capture,
        &["--geoip", &asn, "--geoip", &country, "--policy", &policy],
    );
    assert!(findings(&r, "media-routed-outside-allowed-regions").is_empty());
    assert_eq!(r["calls"][0]["legs"][0]["location"]["country"], "IE");
}

#[test]
fn without_a_database_or_outside_it_the_report_says_what_it_cannot_show() {
    let dir = tempfile::tempdir().unwrap();
    let capture = call_capture(dir.path());
    let cannot = |r: &serde_json::Value| -> Vec<String> {
        r["calls"][0]["cannot_show"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    };
    let r = report_json_revealed(&capture);
    assert!(
        cannot(&r).contains(
            &"the operator and country of 198.51.100.7 (no --geoip database given)".to_string()
        ),
        "{:?}",
        cannot(&r)
    );
    assert!(r["calls"][0]["legs"][0].get("location").is_none());

    // A database that does not hold the address: unknown, never guessed.
    let country = dir.path().join("elsewhere.mmdb");
    let net = (Ipv4Addr::new(203, 0, 113, 0), 24);
    std::fs::write(&country, mmdb::country(&[(net, "US")])).unwrap();
    let policy = policy_file(dir.path(), "\"US\"");
    let r = report_json_with(
        &capture,
        &[
            "--reveal",
            "--geoip",
            country.to_str().unwrap(),
            "--policy",
            &policy,
        ],
    );
    assert!(r["calls"][0]["legs"][0].get("location").is_none());
    assert!(findings(&r, "media-routed-outside-allowed-regions").is_empty());
    assert!(
        cannot(&r).contains(&"the operator and country of 198.51.100.7 (the databases given do not hold them), so whether they are in the allowed countries".to_string()),
        "{:?}",
        cannot(&r)
    );
}

#[test]
fn missing_corrupt_and_wrong_kind_databases_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let capture = call_capture(dir.path());
    let missing = dir.path().join("missing.mmdb");
    let corrupt = dir.path().join("corrupt.mmdb");
    std::fs::write(&corrupt, noise(7, 4096)).unwrap();
    let truncated = dir.path().join("truncated.mmdb");
    let (asn, _) = databases(dir.path());
    let whole = std::fs::read(&asn).unwrap();
    let mut cut = whole[..40].to_vec();
    cut.extend_from_slice(&whole[whole.len() - 120..]);
    std::fs::write(&truncated, cut).unwrap();
    let wrong = dir.path().join("connection.mmdb");
    let net = (Ipv4Addr::new(198, 51, 100, 0), 24);
    std::fs::write(
        &wrong,
        mmdb::write(
            "GeoIP2-Connection-Type",
            &[(
                net,
                mmdb::map(vec![("connection_type", mmdb::s("Cable/DSL"))]),
            )],
        ),
    )
    .unwrap();
    for (db, says) in [
        (&missing, "cannot read GeoIP database"),
        (&corrupt, "is not a readable MaxMind DB file"),
        (&truncated, "GeoIP database"),
        (&wrong, "is a GeoIP2-Connection-Type database"),
    ] {
        let out = run(&[
            "analyze",
            "--quiet",
            "--geoip",
            db.to_str().unwrap(),
            capture.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", db.display());
        assert!(
            err.contains(says) && err.contains(db.to_str().unwrap()),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_bad_country_code_in_the_policy_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let capture = call_capture(dir.path());
    let policy = policy_file(dir.path(), "\"USA\"");
    let out = run(&["analyze", "--policy", &policy, capture.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("\"USA\" is not an ISO 3166-1 alpha-2"),
        "{err}"
    );
}
