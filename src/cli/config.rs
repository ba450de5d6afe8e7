//! The sensor's configuration file (`teleprobe live --config FILE`, or
//! TELEPROBE_CONFIG): the interface, filter, outputs and policy a service
//! runs with, in TOML, so the unit file stays generic. Keys become the
//! `live` flags they name; a flag given on the command line wins over the
//! file. Unknown keys are errors that list the known ones; a setting is
//! never silently dropped.

use std::ffi::OsString;

/// `live` flags a configuration file may set: key, flag, takes a value.
const KEYS: [(&str, &str, bool); 13] = [
    ("interface", "--interface", true),
    ("output", "--output", true),
    ("metrics", "--metrics", true),
    ("policy", "--policy", true),
    ("vendors", "--vendors", true),
    ("trackers", "--trackers", true),
    ("sign", "--sign", true),
    ("rotate_seconds", "--rotate-seconds", true),
    ("keep", "--keep", true),
    ("udp_timeout", "--udp-timeout", true),
    ("tcp_timeout", "--tcp-timeout", true),
    ("user", "--user", true),
    ("promisc", "--promisc", false),
];

/// The command line with the configuration file's settings added: only for
/// `live`, only for flags not already given. `filter` is appended when the
/// command line has none.
pub fn apply(args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    if args.get(1).is_none_or(|a| a != "live") {
        return Ok(args);
    }
    let mut path = std::env::var_os("TELEPROBE_CONFIG");
    let mut rest = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--config" {
            path = Some(args.get(i + 1).cloned().ok_or("--config needs a FILE")?);
            i += 2;
            continue;
        }
        rest.push(args[i].clone());
        i += 1;
    }
    let Some(path) = path else {
        return Ok(rest);
    };
    let shown = path.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the configuration {shown}: {e}"))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("configuration {shown}: {e}"))?;
    let given = |flag: &str| {
        let short = match flag {
            "--interface" => Some("-i"),
            "--output" => Some("-o"),
            _ => None,
        };
        rest.iter().any(|a| {
            let a = a.to_string_lossy();
            a == flag || a.starts_with(&format!("{flag}=")) || short.is_some_and(|s| a == s)
        })
    };
    let mut added: Vec<OsString> = Vec::new();
    let mut filter = None;
    for (key, value) in &table {
        if key == "filter" {
            filter = Some(
                value
                    .as_str()
                    .ok_or_else(|| format!("configuration {shown}: `filter` must be a string"))?
                    .to_string(),
            );
            continue;
        }
        let Some(&(_, flag, takes_value)) = KEYS.iter().find(|(k, _, _)| k == key) else {
            let known: Vec<&str> = KEYS.iter().map(|(k, _, _)| *k).chain(["filter"]).collect();
            return Err(format!(
                "configuration {shown}: unknown key `{key}`; known keys: {}",
                known.join(", ")
            ));
        };
        if given(flag) {
            continue;
        }
        match (takes_value, value) {
            (false, toml::Value::Boolean(true)) => added.push(flag.into()),
            (false, toml::Value::Boolean(false)) => {}
            (true, toml::Value::String(s)) => added.extend([flag.into(), s.into()]),
            (true, toml::Value::Integer(n)) => added.extend([flag.into(), n.to_string().into()]),
            _ => return Err(format!("configuration {shown}: `{key}` has the wrong type")),
        }
    }
    // The flags go right after `live`; the filter (positional) at the end.
    let mut out: Vec<OsString> = rest[..2].to_vec();
    out.extend(added);
    out.extend(rest[2..].iter().cloned());
    let has_filter = {
        // A positional argument is one not starting with '-' and not the
        // value of the flag before it.
        let mut positional = false;
        let mut skip = false;
        for a in &rest[2..] {
            let s = a.to_string_lossy();
            if skip {
                skip = false;
            } else if s.starts_with('-') {
                skip = !s.contains('=')
                    && !matches!(
                        s.as_ref(),
                        "--promisc"
                            | "--metrics-public"
                            | "--only-telehealth"
                            | "--quiet"
                            | "--reveal"
                            | "--json"
                    );
            } else {
                positional = true;
            }
        }
        positional
    };
    if let (Some(f), false) = (filter, has_filter) {
        out.push(f.into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_file_fills_what_the_command_line_leaves_out() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("teleprobe.toml");
        std::fs::write(&config, "interface = \"eth0\"\nfilter = \"udp port 5060\"\nmetrics = \"127.0.0.1:9469\"\nrotate_seconds = 3600\npromisc = true\n").unwrap();
        let c = config.to_str().unwrap();
        let out = apply(args(&["teleprobe", "live", "--config", c, "-i", "lo"])).unwrap();
        let out: Vec<String> = out
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            out,
            [
                "teleprobe",
                "live",
                "--metrics",
                "127.0.0.1:9469",
                "--promisc",
                "--rotate-seconds",
                "3600",
                "-i",
                "lo",
                "udp port 5060"
            ]
        );
        // A filter on the command line wins.
        let out = apply(args(&["teleprobe", "live", "--config", c, "tcp"])).unwrap();
        assert_eq!(out.last().unwrap(), "tcp");
        std::fs::write(&config, "interfaces = \"eth0\"\n").unwrap();
        let e = apply(args(&["teleprobe", "live", "--config", c])).unwrap_err();
        assert!(
            e.contains("unknown key `interfaces`") && e.contains("known keys: interface"),
            "{e}"
        );
        // Other commands are left alone.
        assert_eq!(
            apply(args(&["teleprobe", "analyze", "x.pcap"]))
                .unwrap()
                .len(),
            3
        );
    }
}
