//! The sensor's configuration file (`teleprobe live --config FILE`, or
//! TELEPROBE_CONFIG): the interface, filter, outputs and policy a service
//! runs with, in TOML, so the unit file stays generic. Keys become the
//! `live` flags they name; a flag given on the command line wins over the
//! file. Unknown keys are errors that list the known ones; a setting is
//! never silently dropped.

use clap::{Arg, Command, CommandFactory};
use std::ffi::OsString;

/// Options of `live` no configuration file sets: the file itself, and
/// those that print and exit.
const NOT_SETTINGS: [&str; 3] = ["config", "help", "version"];

/// The `live` option a key names (the option's long name with `_` for
/// `-`): any of `live`'s options but [`NOT_SETTINGS`]; what each takes is
/// clap's definition.
fn setting<'c>(live: &'c Command, key: &str) -> Option<&'c Arg> {
    let long = key.replace('_', "-");
    live.get_arguments()
        .filter(|a| a.get_long().is_some_and(|l| !NOT_SETTINGS.contains(&l)))
        .find(|a| a.get_long() == Some(long.as_str()))
}

/// Every key a configuration file may hold, for the error that lists them.
fn known_keys(live: &Command) -> Vec<String> {
    live.get_arguments()
        .filter_map(Arg::get_long)
        .filter(|l| !NOT_SETTINGS.contains(l))
        .map(|l| l.replace('-', "_"))
        .chain(["filter".to_string()])
        .collect()
}

/// The `live` option a command-line word names: `--name`, `--name=value`,
/// `-x`, `-xVALUE`.
fn option<'c>(live: &'c Command, word: &str) -> Option<&'c Arg> {
    if let Some(long) = word.strip_prefix("--") {
        let name = long.split('=').next()?;
        live.get_arguments().find(|a| a.get_long() == Some(name))
    } else {
        let short = word.strip_prefix('-')?.chars().next()?;
        live.get_arguments().find(|a| a.get_short() == Some(short))
    }
}

/// Whether the word after `word` is its value (not given inline).
fn value_follows(arg: &Arg, word: &str) -> bool {
    let inline = if word.starts_with("--") {
        word.contains('=')
    } else {
        word.len() > 2
    };
    arg.get_action().takes_values() && !inline
}

/// The command line with the configuration file's settings added: only for
/// `live`, only for options not already given. `filter` is appended when
/// the command line has none.
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
    let cli = super::args::Cli::command();
    let live = cli.find_subcommand("live").expect("live is a subcommand");
    // The options the command line gives, and whether it gives a filter
    // (a word that is neither an option nor an option's value).
    let mut given: Vec<&Arg> = Vec::new();
    let mut has_filter = false;
    let mut words = rest[2..].iter().map(|w| w.to_string_lossy());
    while let Some(word) = words.next() {
        match option(live, &word) {
            Some(arg) => {
                given.push(arg);
                if value_follows(arg, &word) {
                    words.next();
                }
            }
            None => has_filter |= !word.starts_with('-'),
        }
    }
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
        let Some(arg) = setting(live, key) else {
            return Err(format!(
                "configuration {shown}: unknown key `{key}`; known keys: {}",
                known_keys(live).join(", ")
            ));
        };
        if given.iter().any(|g| g.get_id() == arg.get_id()) {
            continue;
        }
        let flag = format!("--{}", key.replace('_', "-"));
        match (arg.get_action().takes_values(), value) {
            (false, toml::Value::Boolean(true)) => added.push(flag.into()),
            (false, toml::Value::Boolean(false)) => {}
            (true, toml::Value::String(s)) => added.extend([flag.into(), s.into()]),
            (true, toml::Value::Integer(n)) => added.extend([flag.into(), n.to_string().into()]),
            // A repeatable option (trackers, geoip): each value.
            (true, toml::Value::Array(items)) if items.iter().all(toml::Value::is_str) => {
                for item in items.iter().filter_map(toml::Value::as_str) {
                    added.extend([flag.clone().into(), item.into()]);
                }
            }
            _ => return Err(format!("configuration {shown}: `{key}` has the wrong type")),
        }
    }
    // The options go right after `live`; the filter (positional) at the end.
    let mut out: Vec<OsString> = rest[..2].to_vec();
    out.extend(added);
    out.extend(rest[2..].iter().cloned());
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
