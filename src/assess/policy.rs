//! The assessment policy (`--policy FILE`, TOML): the clinic's own networks,
//! minimum TLS/DTLS versions, allowed cipher suites, allow-listed relays and
//! vendors, severity overrides and findings to ignore. Every key is checked:
//! a mistake is an error that names the line and the key, never a silent
//! default.

use super::catalogue::{FindingId, RULES, Severity};
use crate::proto::wifi::classify::Class;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The documented default, also shipped as data/policy.toml.
pub const DEFAULT_POLICY: &str = include_str!("../../data/policy.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Address ranges of the clinic itself: addresses inside are not redacted.
    #[serde(default)]
    pub clinic_networks: Vec<Cidr>,
    #[serde(default)]
    pub tls: TlsPolicy,
    #[serde(default)]
    pub allow: Allow,
    /// Severity overrides by finding id.
    #[serde(default)]
    pub severity: BTreeMap<RuleId, Severity>,
    /// Finding ids never reported.
    #[serde(default)]
    pub ignore: Vec<RuleId>,
    /// ISO 3166-1 alpha-2 codes of the countries media and signaling may
    /// reach (with `--geoip`); empty means any.
    #[serde(default, deserialize_with = "country_codes")]
    pub allowed_countries: Vec<String>,
    #[serde(default)]
    pub wireless: WirelessPolicy,
    #[serde(default)]
    pub trackers: TrackerPolicy,
}

/// How trackers are tied to visits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerPolicy {
    /// Seconds before a call starts and after it ends within which a
    /// device's tracker contact belongs to the call (a waiting-room page
    /// before, a survey after).
    #[serde(default = "default_tracker_window")]
    pub window_seconds: u32,
}

impl Default for TrackerPolicy {
    fn default() -> Self {
        TrackerPolicy {
            window_seconds: default_tracker_window(),
        }
    }
}

fn default_tracker_window() -> u32 {
    600
}

/// What the clinic's Wi-Fi must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WirelessPolicy {
    #[serde(
        default = "default_wireless_class",
        deserialize_with = "wireless_class"
    )]
    pub minimum_class: Class,
    /// The clinic's SSIDs; empty means every network is judged.
    #[serde(default)]
    pub clinic_ssids: Vec<String>,
}

impl Default for WirelessPolicy {
    fn default() -> Self {
        WirelessPolicy {
            minimum_class: default_wireless_class(),
            clinic_ssids: Vec::new(),
        }
    }
}

impl WirelessPolicy {
    /// Whether a network of this SSID (as captured) is the clinic's.
    pub fn is_clinic(&self, ssid: Option<&str>) -> bool {
        self.clinic_ssids.is_empty()
            || ssid.is_some_and(|s| self.clinic_ssids.iter().any(|c| c == s))
    }
}

fn default_wireless_class() -> Class {
    Class::Wpa2Enterprise
}

fn wireless_class<'de, D: Deserializer<'de>>(d: D) -> Result<Class, D::Error> {
    let name = String::deserialize(d)?;
    Class::from_name(&name).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown wireless class `{name}`; known classes, weakest first: {}",
            Class::ALL.map(Class::name).join(", ")
        ))
    })
}

fn country_codes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let codes = Vec::<String>::deserialize(d)?;
    for c in &codes {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(serde::de::Error::custom(format!(
                "{c:?} is not an ISO 3166-1 alpha-2 country code (\"US\", \"DE\")"
            )));
        }
    }
    Ok(codes.iter().map(|c| c.to_ascii_uppercase()).collect())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsPolicy {
    #[serde(default = "default_tls")]
    pub minimum_version: TlsVersion,
    #[serde(default = "default_dtls")]
    pub minimum_dtls_version: TlsVersion,
    /// IANA names; empty means any suite that is not weak.
    #[serde(default)]
    pub allowed_ciphers: Vec<String>,
}

impl Default for TlsPolicy {
    fn default() -> Self {
        TlsPolicy {
            minimum_version: default_tls(),
            minimum_dtls_version: default_dtls(),
            allowed_ciphers: Vec::new(),
        }
    }
}

fn default_tls() -> TlsVersion {
    TlsVersion(crate::proto::tls::Version(0x0303))
}

fn default_dtls() -> TlsVersion {
    TlsVersion(crate::proto::tls::Version(0xFEFD))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// Vendor names (as in the vendor list) the organisation has a BAA with.
    #[serde(default)]
    pub vendors: Vec<String>,
    #[serde(default)]
    pub relays: Vec<RelayRule>,
}

/// A relay the organisation operates or has a BAA for; any one field matching is enough.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayRule {
    pub name: String,
    pub cidr: Option<Cidr>,
    pub realm: Option<String>,
    pub sni_suffix: Option<String>,
}

/// A finding id that exists in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleId(pub FindingId);

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        FindingId::from_name(&s).map(RuleId).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown finding id `{s}`; known ids: {}",
                RULES
                    .iter()
                    .map(|r| r.id.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }
}

/// A TLS or DTLS version by name ("TLS 1.2", "DTLS 1.2"), as a policy
/// file writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsVersion(pub crate::proto::tls::Version);

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::proto::tls::Version::from_name(&s)
            .map(TlsVersion)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown version `{s}`; write \"TLS 1.2\", \"TLS 1.3\", \"DTLS 1.2\"..."
                ))
            })
    }
}

/// An address range: `10.0.0.0/8`, `2001:db8::/32`, or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
            None => {
                let a = s.parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr {
            network: addr,
            prefix,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |a: IpAddr| -> u128 {
            match a {
                IpAddr::V4(v) => u32::from(v) as u128,
                IpAddr::V6(v) => u128::from(v),
            }
        };
        if self.network.is_ipv4() != ip.is_ipv4() {
            return false;
        }
        let width = if ip.is_ipv4() { 32 } else { 128 };
        if self.prefix == 0 {
            return true;
        }
        let shift = width - self.prefix as u32;
        (bits(ip) >> shift) == (bits(self.network) >> shift)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Cidr::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not an address range such as 10.0.0.0/8"))
        })
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::parse(DEFAULT_POLICY).expect("data/policy.toml is valid (tested)")
    }
}

impl Policy {
    /// Parses a policy; the error names the line and the key at fault.
    pub fn parse(text: &str) -> Result<Policy, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    pub fn severity_of(&self, id: FindingId, default: Severity) -> Severity {
        self.severity
            .iter()
            .find(|(k, _)| k.0 == id)
            .map_or(default, |(_, s)| *s)
    }

    pub fn ignores(&self, id: FindingId) -> bool {
        self.ignore.iter().any(|r| r.0 == id)
    }

    pub fn in_clinic(&self, ip: IpAddr) -> bool {
        self.clinic_networks.iter().any(|c| c.contains(ip))
    }

    pub fn vendor_allowed(&self, name: &str) -> bool {
        self.allow
            .vendors
            .iter()
            .any(|v| v.eq_ignore_ascii_case(name))
    }

    /// The allow-list entry matching a relay, if any.
    pub fn allowed_relay(
        &self,
        ip: Option<IpAddr>,
        realm: Option<&str>,
        names: &[String],
    ) -> Option<&RelayRule> {
        self.allow.relays.iter().find(|r| {
            r.cidr.zip(ip).is_some_and(|(c, ip)| c.contains(ip))
                || r.realm
                    .as_deref()
                    .zip(realm)
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
                || r.sni_suffix
                    .as_deref()
                    .is_some_and(|s| names.iter().any(|n| n.ends_with(s)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid() {
        let p = Policy::default();
        assert_eq!(
            p.tls.minimum_version,
            TlsVersion(crate::proto::tls::Version(0x0303))
        );
        assert!(p.in_clinic("10.1.2.3".parse().unwrap()));
        assert!(!p.in_clinic("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = Policy::parse("[tls]\nminimum_version = \"TLS 9\"\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("TLS 9"), "{e}");
        let e = Policy::parse("ignore = [\"no-such-finding\"]\n").unwrap_err();
        assert!(e.contains("line 1") && e.contains("no-such-finding"), "{e}");
        let e = Policy::parse("[allow]\nvendor = []\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("vendor"), "{e}");
        let e = Policy::parse("clinic_networks = [\"10.0.0.0/33\"]\n").unwrap_err();
        assert!(e.contains("10.0.0.0/33"), "{e}");
    }

    #[test]
    fn cidr_and_relays() {
        let c = Cidr::parse("192.168.0.0/16").unwrap();
        assert!(
            c.contains("192.168.4.5".parse().unwrap())
                && !c.contains("192.169.0.1".parse().unwrap())
        );
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
        let p = Policy::parse("[[allow.relays]]\nname = \"ours\"\nrealm = \"clinic.example\"\n")
            .unwrap();
        assert_eq!(
            p.allowed_relay(None, Some("clinic.example"), &[])
                .unwrap()
                .name,
            "ours"
        );
        assert!(p.allowed_relay(None, Some("other"), &[]).is_none());
    }
}
