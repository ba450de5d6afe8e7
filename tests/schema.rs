//! docs/report-schema.json is generated from the report model and must not
//! drift from it (run with TELEPROBE_BLESS=1 to rewrite it after a deliberate
//! change); every report of the shipped captures validates against it.

mod common;

use std::path::PathBuf;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/report-schema.json")
}

fn generated() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(teleprobe::report::model::Report)).unwrap();
    schema["$id"] = "https://teleprobe.invalid/report-schema/1".into();
    schema["title"] = "teleprobe report (teleprobe.report/1)".into();
    schema
}

#[test]
fn schema_document_matches_the_model() {
    let text = serde_json::to_string_pretty(&generated()).unwrap() + "\n";
    if std::env::var_os("TELEPROBE_BLESS").is_some() {
        std::fs::write(schema_path(), &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(schema_path()).expect("docs/report-schema.json exists");
    assert!(
        on_disk == text,
        "docs/report-schema.json is stale: rerun with TELEPROBE_BLESS=1 and review the diff"
    );
}

#[test]
fn reports_validate_against_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path()).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let report = common::report_json(&path);
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        checked += 1;
    }
    assert!(
        checked >= 5,
        "expected the shipped captures, found {checked}"
    );
    // And a report the schema must reject: a protocol outside the vocabulary.
    let mut bad = common::report_json(&dir.join("dns.pcap"));
    bad["flows"][0]["protocols"][0] = "smtp".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn jsonl_lines_validate_as_calls_and_findings() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path()).unwrap()).unwrap();
    let validator_of = |definition: &str| {
        let one = serde_json::json!({
            "$defs": schema["$defs"],
            "$ref": format!("#/$defs/{definition}"),
        });
        jsonschema::validator_for(&one).expect("schema compiles")
    };
    let (call, finding) = (validator_of("Call"), validator_of("Finding"));
    let out = common::run(&[
        "analyze",
        "--quiet",
        "--format",
        "jsonl",
        common::capture("sip-rtp-cleartext.pcap").to_str().unwrap(),
        common::capture("webrtc-aiortc-turn.pcap").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let mut kinds = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
        let object = value.as_object_mut().unwrap();
        let kind = object.remove("type").unwrap();
        // The chain's fields (docs/formats.md), then the call or finding.
        assert!(object.remove("seq").unwrap().is_u64());
        assert_eq!(object.remove("prev").unwrap().as_str().unwrap().len(), 64);
        let validator = match kind.as_str().unwrap() {
            "call" => &call,
            "finding" => &finding,
            "checkpoint" => {
                assert!(object["lines"].is_u64() && object["head"].is_string());
                kinds.push(kind);
                continue;
            }
            other => panic!("unexpected line type {other}"),
        };
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{line}: {errors:#?}");
        kinds.push(kind);
    }
    assert_eq!(kinds.iter().filter(|k| *k == "call").count(), 2);
    assert_eq!(kinds.last().unwrap(), "checkpoint");
    assert!(kinds.iter().filter(|k| *k == "finding").count() >= 6);
    assert!(!finding.is_valid(&serde_json::json!({"id": "media-cleartext"})));
}
