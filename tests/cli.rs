//! The conventions a packaged sensor needs: `--version` with the git
//! revision, shell completions that the shells accept, a manual page, and
//! the systemd unit (checked with `systemd-analyze verify` where systemd
//! is installed).

mod common;

use common::*;

#[test]
fn version_names_the_revision() {
    let out = String::from_utf8(run_ok(&["--version"])).unwrap();
    assert!(
        out.starts_with(&format!("teleprobe {} (git ", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    let revision = out.trim().trim_end_matches(')').rsplit(' ').next().unwrap();
    assert!(
        revision == "unknown"
            || (revision.len() == 12 && revision.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
}

#[test]
fn completions_for_each_shell_and_a_manual_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = String::from_utf8(run_ok(&["completions", shell])).unwrap();
        for word in ["analyze", "live", "verify", "keygen"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // bash parses its script without running it.
    let dir = tempfile::tempdir().unwrap();
    let bash = dir.path().join("teleprobe.bash");
    std::fs::write(&bash, run_ok(&["completions", "bash"])).unwrap();
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&bash)
        .status()
        .unwrap();
    assert!(checked.success());
    let man = String::from_utf8(run_ok(&["man"])).unwrap();
    assert!(man.contains(".TH teleprobe 1"));
    assert!(man.contains("analyze") && man.contains("live"));
    let bad = run(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_systemd_unit_verifies() {
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/teleprobe.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    assert!(text.contains("AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN"));
    assert!(text.contains("ProtectSystem=strict"));
    if std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        return;
    }
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&out.stderr);
    // The binary's path is where the package installs it, not this build's.
    let real: Vec<&str> = errors
        .lines()
        .filter(|l| !l.contains("/usr/bin/teleprobe"))
        .collect();
    assert!(real.is_empty(), "{errors}");
}

/// `live --config FILE`: the file's settings are used (here a public
/// metrics address, refused without --metrics-public), and a mistake in
/// it is an error naming the key.
#[test]
fn live_reads_its_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("teleprobe.toml");
    std::fs::write(&config, "interface = \"lo\"\nmetrics = \"0.0.0.0:9469\"\n").unwrap();
    let out = run(&["live", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--metrics-public"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&config, "interface = \"lo\"\nrotate = 5\n").unwrap();
    let out = run(&["live", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown key `rotate`"));
    // Any `live` option is a key; a repeatable one takes a list.
    std::fs::write(
        &config,
        "interface = \"lo\"\nkeep = 3\ntrackers = [\"/nonexistent/a.txt\"]\n",
    )
    .unwrap();
    let out = run(&["live", "--config", config.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        said.contains("--keep says how many rotated files to keep"),
        "{said}"
    );
    std::fs::write(
        &config,
        "interface = \"lo\"\ntrackers = [\"/nonexistent/a.txt\"]\n",
    )
    .unwrap();
    let out = run(&["live", "--config", config.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot read tracker list /nonexistent/a.txt")
    );
    // The shipped example parses, and every key in it is a `live` option.
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/teleprobe.toml");
    let text = std::fs::read_to_string(&example).unwrap();
    assert!(text.parse::<toml::Table>().is_ok());
    let dir_config = dir.path().join("example.toml");
    std::fs::write(
        &dir_config,
        text.replace("eth0", "lo")
            .replace("/var/lib/teleprobe", dir.path().to_str().unwrap())
            .replace("/etc/teleprobe/policy.toml", "/nonexistent/policy.toml"),
    )
    .unwrap();
    let out = run(&["live", "--config", dir_config.to_str().unwrap()]);
    // It asks for Parquet partitions: a build without tables says how to
    // get them before anything else.
    let expected = if cfg!(feature = "tables") {
        "cannot read policy /nonexistent/policy.toml"
    } else {
        "built without tables"
    };
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(expected),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
