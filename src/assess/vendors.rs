//! The vendor knowledge base: which platform a DNS name, SNI, TURN REALM or
//! STUN SOFTWARE string belongs to, and whether it publicly offers a BAA.
//! Built in from data/vendors.toml; users extend or override it.

use serde::Deserialize;

const BUILT_IN: &str = include_str!("../../data/vendors.toml");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    pub name: String,
    /// "yes" or "no": whether the vendor publicly offers a BAA.
    pub baa: Baa,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub suffixes: Vec<String>,
    #[serde(default)]
    pub realms: Vec<String>,
    #[serde(default)]
    pub software: Vec<String>,
    /// Address ranges the vendor publishes for its services.
    #[serde(default)]
    pub cidrs: Vec<super::policy::Cidr>,
}

#[derive(
    Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Baa {
    Yes,
    No,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorFile {
    vendor: Vec<Vendor>,
}

#[derive(Debug, Clone)]
pub struct Vendors {
    list: Vec<Vendor>,
}

impl Vendors {
    pub fn built_in() -> Vendors {
        Vendors::parse(BUILT_IN).expect("data/vendors.toml is valid (tested)")
    }

    /// Parses a vendor file; errors name the line and the key.
    pub fn parse(text: &str) -> Result<Vendors, String> {
        let file: VendorFile = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Vendors { list: file.vendor })
    }

    /// Adds the user's vendors; an entry with a built-in name replaces it.
    pub fn extend(&mut self, other: Vendors) {
        for v in other.list {
            self.list.retain(|old| old.name != v.name);
            self.list.push(v);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Vendor> {
        self.list.iter().find(|v| v.name == name)
    }

    /// The vendor a DNS name or SNI belongs to (suffix match on labels).
    pub fn by_name(&self, host: &str) -> Option<&Vendor> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.list.iter().find(|v| {
            v.suffixes.iter().any(|s| {
                host == *s
                    || (host.len() > s.len()
                        && host.ends_with(s.as_str())
                        && host.as_bytes()[host.len() - s.len() - 1] == b'.')
            })
        })
    }

    /// The vendor whose published ranges hold `ip`.
    pub fn by_address(&self, ip: std::net::IpAddr) -> Option<&Vendor> {
        self.list
            .iter()
            .find(|v| v.cidrs.iter().any(|c| c.contains(ip)))
    }

    pub fn by_realm(&self, realm: &str) -> Option<&Vendor> {
        let realm = realm.to_ascii_lowercase();
        self.list
            .iter()
            .find(|v| v.realms.iter().any(|r| realm.contains(r.as_str())))
            .or_else(|| self.by_name(&realm))
    }

    pub fn by_software(&self, software: &str) -> Option<&Vendor> {
        let software = software.to_ascii_lowercase();
        self.list.iter().find(|v| {
            v.software
                .iter()
                .any(|s| software.contains(&s.to_ascii_lowercase()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_list_parses_and_matches_by_label() {
        let v = Vendors::built_in();
        assert_eq!(v.by_name("doxy.me").unwrap().name, "Doxy.me");
        assert_eq!(v.by_name("api.zoom.us.").unwrap().name, "Zoom");
        assert!(
            v.by_name("notzoom.us").is_none(),
            "suffixes match whole labels"
        );
        assert_eq!(v.by_realm("turner.facebook").unwrap().baa, Baa::No);
        assert_eq!(v.by_name("www.whatsapp.net").unwrap().baa, Baa::No);
        assert_eq!(
            v.by_address("170.114.52.2".parse().unwrap()).unwrap().name,
            "Zoom"
        );
        assert_eq!(
            v.by_address("52.113.0.9".parse().unwrap()).unwrap().name,
            "Microsoft Teams"
        );
        assert!(v.by_address("8.8.8.8".parse().unwrap()).is_none());
    }

    #[test]
    fn user_file_overrides_and_errors_name_the_line() {
        let mut v = Vendors::built_in();
        v.extend(
            Vendors::parse(
                "[[vendor]]\nname = \"Doxy.me\"\nbaa = \"no\"\nsuffixes = [\"doxy.me\"]\n",
            )
            .unwrap(),
        );
        assert_eq!(v.by_name("doxy.me").unwrap().baa, Baa::No);
        let err = Vendors::parse("[[vendor]]\nname = \"X\"\nbaa = \"maybe\"\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        let err =
            Vendors::parse("[[vendor]]\nname = \"X\"\nbaa = \"yes\"\nsufixes = []\n").unwrap_err();
        assert!(err.contains("sufixes"), "{err}");
    }
}
