//! Third-party trackers (data/trackers.toml, extended with `--trackers
//! FILE`): which hosts belong to advertising, analytics, session-replay
//! and similar services, by exact name or suffix. The HHS OCR bulletin on
//! online tracking technologies is why a contact during a visit matters.
//! Lists under non-commercial or share-alike licences are only ever loaded
//! at run time, never built in. Matching is by dedicated tracker hosts
//! only: platforms' own names (meet.google.com, zoom.us) are not trackers.

use super::vendors::{NameIndex, name_key};
use serde::Deserialize;

pub const BUILT_IN: &str = include_str!("../../data/trackers.toml");

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Advertising,
    Analytics,
    SessionReplay,
    TagManager,
    Social,
    Attribution,
    Cdp,
    Telemetry,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Advertising => "advertising",
            Category::Analytics => "analytics",
            Category::SessionReplay => "session-replay",
            Category::TagManager => "tag-manager",
            Category::Social => "social",
            Category::Attribution => "attribution",
            Category::Cdp => "cdp",
            Category::Telemetry => "telemetry",
        }
    }

    /// How grave a contact during a visit is: the bulletin's concern is
    /// disclosure to parties that profile or replay the user.
    pub fn severity(self) -> super::catalogue::Severity {
        use super::catalogue::Severity;
        match self {
            Category::Advertising
            | Category::Social
            | Category::SessionReplay
            | Category::Attribution => Severity::High,
            Category::Analytics | Category::TagManager | Category::Cdp => Severity::Medium,
            Category::Telemetry => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// The host serves tracking only.
    Dedicated,
    /// The host also serves the vendor's ordinary product.
    MultiPurpose,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tracker {
    pub org: String,
    pub product: String,
    pub category: Category,
    pub confidence: Confidence,
    /// Exact names and suffixes as the list gives them; moved into the
    /// indexes of [`Trackers`] when the list is loaded (empty after).
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    suffixes: Vec<String>,
    #[serde(default)]
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackerFile {
    tracker: Vec<Tracker>,
}

#[derive(Debug, Clone)]
pub struct Trackers {
    list: Vec<Tracker>,
    /// Each host (exact) and each suffix (itself and the names under it)
    /// to the first tracker in `list` that has it: a user's list holds
    /// tens of thousands of hosts, and every flow's server name is looked up.
    exact: NameIndex,
    under: NameIndex,
}

impl Default for Trackers {
    fn default() -> Self {
        Trackers::built_in()
    }
}

fn normalise(host: &str) -> String {
    name_key(host.trim()).into_owned()
}

impl Trackers {
    pub fn built_in() -> Trackers {
        Trackers::parse_toml(BUILT_IN).expect("data/trackers.toml is valid (tested)")
    }

    fn parse_toml(text: &str) -> Result<Trackers, String> {
        let file: TrackerFile = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Trackers::from_list(file.tracker))
    }

    /// A list the user holds: this project's TOML format, Disconnect's
    /// `services.json`, ABP host rules (`||host^`, as EasyPrivacy's
    /// tracking-servers list) or one host per line. Errors say what the
    /// file was taken for and what is wrong.
    pub fn parse(text: &str) -> Result<Trackers, String> {
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            return disconnect(trimmed);
        }
        if text.contains("[[tracker]]") {
            return Trackers::parse_toml(text);
        }
        let mut hosts = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty()
                || line.starts_with('!')
                || line.starts_with('#')
                || line.starts_with('[')
            {
                continue;
            }
            let is_host = |h: &str| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
            };
            let host = match line.strip_prefix("||") {
                // Rules with paths or options are not host rules: skipped.
                Some(rule) => match rule.strip_suffix('^').filter(|h| is_host(h)) {
                    Some(host) => host,
                    None => continue,
                },
                None => line,
            };
            if !is_host(host) {
                return Err(format!(
                    "line {}: `{line}` is neither a host nor an ABP host rule (||host^); expected this project's TOML, Disconnect services.json, ABP host rules or one host per line",
                    n + 1
                ));
            }
            hosts.push(normalise(host));
        }
        if hosts.is_empty() {
            return Err("no tracker hosts found".into());
        }
        Ok(Trackers::from_list(vec![Tracker {
            org: "user list".into(),
            product: "user list".into(),
            category: Category::Advertising,
            confidence: Confidence::Dedicated,
            hosts: Vec::new(),
            suffixes: hosts,
            source: "user-supplied host rules".into(),
        }]))
    }

    /// Indexes `list`; a host or suffix two trackers name belongs to the
    /// first. The names move into the indexes (a list of tens of thousands
    /// is held once).
    fn from_list(mut list: Vec<Tracker>) -> Trackers {
        let (mut exact, mut under) = (NameIndex::default(), NameIndex::default());
        for (i, tracker) in list.iter_mut().enumerate() {
            for host in std::mem::take(&mut tracker.hosts) {
                exact.insert(host.trim(), i);
            }
            for suffix in std::mem::take(&mut tracker.suffixes) {
                under.insert(suffix.trim(), i);
            }
        }
        Trackers { list, exact, under }
    }

    /// Appends `other`'s trackers after these; a name both lists hold
    /// keeps its tracker here.
    pub fn extend(&mut self, other: Trackers) {
        let offset = self.list.len();
        self.exact.merge(other.exact, offset);
        self.under.merge(other.under, offset);
        self.list.extend(other.list);
    }

    /// The tracker a host name belongs to.
    pub fn by_host(&self, host: &str) -> Option<&Tracker> {
        self.index_of(host).map(|i| &self.list[i])
    }

    pub fn get(&self, index: usize) -> &Tracker {
        &self.list[index]
    }

    /// The position of the tracker a host name belongs to.
    pub fn index_of(&self, host: &str) -> Option<usize> {
        let host = name_key(host.trim());
        let exact = self.exact.get(&host);
        exact.into_iter().chain(self.under.first_under(&host)).min()
    }
}

/// Disconnect's `services.json`: categories → [ { org: { homepage: [domains] } } ].
fn disconnect(text: &str) -> Result<Trackers, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let categories = value
        .get("categories")
        .and_then(|c| c.as_object())
        .ok_or("a JSON list must be Disconnect's services.json (an object with `categories`)")?;
    let mut list = Vec::new();
    for (category, entries) in categories {
        let category = match category.as_str() {
            "Advertising" => Category::Advertising,
            "Analytics" => Category::Analytics,
            "Social" | "Disconnect" => Category::Social,
            "FingerprintingInvasive" | "FingerprintingGeneral" | "Cryptomining" => {
                Category::Advertising
            }
            // Content, Email and consent managers are not trackers of a visit.
            _ => continue,
        };
        for entry in entries.as_array().into_iter().flatten() {
            for (org, sites) in entry.as_object().into_iter().flatten() {
                let domains: Vec<String> = sites
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(_, d)| d.as_array())
                    .flatten()
                    .filter_map(|d| d.as_str())
                    .map(normalise)
                    .collect();
                if !domains.is_empty() {
                    list.push(Tracker {
                        org: org.clone(),
                        product: org.clone(),
                        category,
                        confidence: Confidence::Dedicated,
                        hosts: Vec::new(),
                        suffixes: domains,
                        source: "Disconnect services.json (user-supplied)".into(),
                    });
                }
            }
        }
    }
    Ok(Trackers::from_list(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_list_parses_and_matches_hosts_and_suffixes() {
        let t = Trackers::built_in();
        assert_eq!(
            t.by_host("www.google-analytics.com").unwrap().category,
            Category::Analytics
        );
        assert_eq!(
            t.by_host("SSL.Google-Analytics.com.").unwrap().org,
            "Google"
        );
        assert_eq!(
            t.by_host("stats.g.doubleclick.net").unwrap().category,
            Category::Advertising
        );
        assert_eq!(
            t.by_host("graph.facebook.com").unwrap().confidence,
            Confidence::MultiPurpose
        );
        assert!(
            t.by_host("notgoogle-analytics.com").is_none(),
            "labels, not characters"
        );
        // Platforms are not trackers.
        for host in [
            "meet.google.com",
            "zoom.us",
            "teams.microsoft.com",
            "www.google.com",
            "facebook.com",
        ] {
            assert!(t.by_host(host).is_none(), "{host}");
        }
    }

    #[test]
    fn the_first_tracker_listed_that_names_a_host_is_its_tracker() {
        let toml = r#"
[[tracker]]
org = "Wide"
product = "wide"
category = "analytics"
confidence = "dedicated"
suffixes = ["Example.COM."]

[[tracker]]
org = "Narrow"
product = "narrow"
category = "advertising"
confidence = "dedicated"
hosts = ["ads.example.com", "ads.example.org"]
"#;
        let t = Trackers::parse(toml).unwrap();
        assert_eq!(t.by_host("ads.example.com").unwrap().org, "Wide");
        assert_eq!(t.by_host("example.com").unwrap().org, "Wide");
        assert_eq!(t.by_host("ADS.example.org.").unwrap().org, "Narrow");
        assert!(t.by_host("x.ads.example.org").is_none(), "a host is exact");
        assert!(t.by_host("com").is_none());
        // A user's list after the built-in one: the built-in entry stays.
        let mut both = Trackers::built_in();
        let users = Trackers::parse("||google-analytics.com^\n||tracker.example^\n").unwrap();
        both.extend(users);
        assert_eq!(
            both.by_host("ssl.google-analytics.com").unwrap().org,
            "Google"
        );
        assert_eq!(both.by_host("a.tracker.example").unwrap().org, "user list");
    }

    #[test]
    fn user_lists_in_three_formats_and_their_errors() {
        let abp = Trackers::parse(
            "! EasyPrivacy\n||tracker.example^\n||ads.example/path^\nplain.example\n",
        )
        .unwrap();
        assert!(abp.by_host("x.tracker.example").is_some());
        assert!(abp.by_host("plain.example").is_some());
        assert!(
            abp.by_host("ads.example").is_none(),
            "a rule with a path is not a host rule"
        );
        let json = r#"{"categories":{"Analytics":[{"Acme":{"https://acme.example/":["acme-metrics.example"]}}],"Content":[{"Cdn":{"https://cdn.example/":["cdn.example"]}}]}}"#;
        let d = Trackers::parse(json).unwrap();
        assert_eq!(
            d.by_host("eu.acme-metrics.example").unwrap().category,
            Category::Analytics
        );
        assert!(d.by_host("cdn.example").is_none());
        assert!(
            Trackers::parse("{\"nope\": 1}")
                .unwrap_err()
                .contains("services.json")
        );
        assert!(
            Trackers::parse("not a host!\n")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(Trackers::parse("\n! only comments\n").is_err());
    }
}
