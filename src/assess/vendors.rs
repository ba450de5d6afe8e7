//! The vendor knowledge base: which platform a DNS name, SNI, TURN REALM,
//! STUN SOFTWARE string, STUN type or attribute, certificate name, wire
//! marker or server address (with its media or messaging port) belongs to,
//! and whether it publicly offers a BAA. Built in from data/vendors.toml;
//! users extend or override it. Must never name a platform from an
//! operator's whole network alone (`wide_ranges`).

use hashbrown::HashMap;
use serde::Deserialize;
use std::borrow::Cow;

pub const BUILT_IN: &str = include_str!("../../data/vendors.toml");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    pub name: String,
    /// "yes" or "no": whether the vendor publicly offers a BAA.
    pub baa: Baa,
    #[serde(default)]
    pub note: String,
    /// The company that runs the platform's servers.
    #[serde(default)]
    pub operator: String,
    /// Where the BAA statement was read; empty when only the absence of
    /// any public offer is known.
    #[serde(default)]
    pub baa_source: String,
    #[serde(default)]
    pub suffixes: Vec<String>,
    #[serde(default)]
    pub realms: Vec<String>,
    #[serde(default)]
    pub software: Vec<String>,
    /// Address ranges the vendor publishes for its services.
    #[serde(default)]
    pub cidrs: Vec<super::policy::Cidr>,
    /// `cidrs` are the operator's whole network, not the platform's own
    /// (Apple's 17.0.0.0/8 holds iCloud, the App Store and Maps as well as
    /// FaceTime and APNs): an address there names the platform only on one
    /// of its media or messaging ports.
    #[serde(default)]
    pub wide_ranges: bool,
    /// STUN message types and attributes no standard defines, which only
    /// this platform's clients and relays send.
    #[serde(default)]
    pub stun_message_types: Vec<u16>,
    #[serde(default)]
    pub stun_attributes: Vec<u16>,
    /// Ports its media servers listen on: an address in `cidrs` on one
    /// of them is its media server, a stronger sign than the address
    /// alone (the ranges hold its web and CDN servers too).
    #[serde(default)]
    pub media_ports: Vec<u16>,
    /// Names its servers' certificates carry (CN or DNS name).
    #[serde(default)]
    pub certificate_names: Vec<String>,
    /// TCP ports of its messaging service (chat, push): a connection there
    /// to one of its servers is a messaging session.
    #[serde(default)]
    pub messaging_ports: Vec<u16>,
    /// Fixed packets only its clients send, by the name the dissector
    /// gives them (`discord-keepalive`).
    #[serde(default)]
    pub wire_markers: Vec<String>,
    /// Stream openings (wire markers) of its messaging protocol
    /// (`whatsapp-chat`): such a connection is a messaging session.
    #[serde(default)]
    pub messaging_markers: Vec<String>,
    /// ALPN protocol names only its messaging clients offer
    /// (`apns-security-v3`).
    #[serde(default)]
    pub messaging_alpn: Vec<String>,
    /// Server names (SNI, suffix match) of its messaging service
    /// (`chat.signal.org`): a TLS connection naming one is a session.
    #[serde(default)]
    pub messaging_names: Vec<String>,
}

#[derive(
    Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Baa {
    Yes,
    No,
}

impl Baa {
    pub fn name(self) -> &'static str {
        match self {
            Baa::Yes => "yes",
            Baa::No => "no",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorFile {
    vendor: Vec<Vendor>,
}

#[derive(Debug, Clone)]
pub struct Vendors {
    list: Vec<Vendor>,
    /// Each vendor's DNS suffixes to the first vendor in `list` that has
    /// it: every flow's server name is looked up, some several times.
    by_suffix: NameIndex,
}

/// A DNS name as a [`NameIndex`] holds it: no trailing dot, lowercase
/// (copied only when it has a capital).
pub fn name_key(name: &str) -> Cow<'_, str> {
    let name = name.trim_end_matches('.');
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// DNS names (hosts or suffixes) to the first entry of a list that has
/// them, so a list of any length costs a few hash lookups per name asked
/// (the vendors' suffixes, the trackers' hosts and suffixes).
#[derive(Debug, Clone, Default)]
pub struct NameIndex(HashMap<String, usize>);

impl NameIndex {
    /// Notes that entry `entry` has `name`; an earlier entry keeps it.
    pub fn insert(&mut self, name: &str, entry: usize) {
        self.0.entry(name_key(name).into_owned()).or_insert(entry);
    }

    /// The entry that has exactly `key` (a [`name_key`]).
    pub fn get(&self, key: &str) -> Option<usize> {
        self.0.get(key).copied()
    }

    /// The first entry that has `key` (a [`name_key`]) or a domain it is
    /// under, label by label: `cdn.zoom.us` is under `zoom.us`,
    /// `notzoom.us` is not.
    pub fn first_under(&self, key: &str) -> Option<usize> {
        std::iter::successors(Some(key), |d| d.split_once('.').map(|(_, parent)| parent))
            .filter_map(|d| self.get(d))
            .min()
    }

    /// Adds `other`'s names for entries numbered from `offset`; a name
    /// both hold keeps its entry here.
    pub fn merge(&mut self, other: NameIndex, offset: usize) {
        for (name, entry) in other.0 {
            self.0.entry(name).or_insert(entry + offset);
        }
    }
}

/// Whether `host` (lowercase, no trailing dot) is `domain` or a name under
/// it, label by label: `cdn.zoom.us` is under `zoom.us`, `notzoom.us` is not.
pub fn under_domain(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

impl Vendor {
    /// Whether `sni` is (under) one of its messaging service's names.
    pub fn names_messaging(&self, sni: &str) -> bool {
        let sni = sni.trim_end_matches('.').to_ascii_lowercase();
        self.messaging_names.iter().any(|n| under_domain(&sni, n))
    }

    /// Whether its published ranges hold `ip`.
    fn holds(&self, ip: std::net::IpAddr) -> bool {
        self.cidrs.iter().any(|c| c.contains(ip))
    }
}

impl Vendors {
    pub fn built_in() -> Vendors {
        Vendors::parse(BUILT_IN).expect("data/vendors.toml is valid (tested)")
    }

    /// Parses a vendor file; errors name the line and the key.
    pub fn parse(text: &str) -> Result<Vendors, String> {
        let file: VendorFile = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Vendors::indexed(file.vendor))
    }

    fn indexed(list: Vec<Vendor>) -> Vendors {
        let mut by_suffix = NameIndex::default();
        for (i, v) in list.iter().enumerate() {
            for suffix in &v.suffixes {
                by_suffix.insert(suffix, i);
            }
        }
        Vendors { list, by_suffix }
    }

    /// Adds the user's vendors; an entry with a built-in name replaces it.
    pub fn extend(&mut self, other: Vendors) {
        let mut list = std::mem::take(&mut self.list);
        for v in other.list {
            list.retain(|old| old.name != v.name);
            list.push(v);
        }
        *self = Vendors::indexed(list);
    }

    pub fn get(&self, name: &str) -> Option<&Vendor> {
        self.list.iter().find(|v| v.name == name)
    }

    /// The vendor a DNS name or SNI belongs to (suffix match on labels).
    pub fn by_name(&self, host: &str) -> Option<&Vendor> {
        let first = self.by_suffix.first_under(&name_key(host))?;
        Some(&self.list[first])
    }

    /// The vendor whose published ranges hold `ip`, when those ranges are
    /// the platform's own (not [`Vendor::wide_ranges`]).
    pub fn by_address(&self, ip: std::net::IpAddr) -> Option<&Vendor> {
        self.list.iter().find(|v| !v.wide_ranges && v.holds(ip))
    }

    pub fn by_realm(&self, realm: &str) -> Option<&Vendor> {
        let realm = realm.to_ascii_lowercase();
        self.list
            .iter()
            .find(|v| v.realms.iter().any(|r| realm.contains(r.as_str())))
            .or_else(|| self.by_name(&realm))
    }

    /// The vendor whose own STUN message type or attribute a flow carried,
    /// with the number that matched.
    pub fn by_stun(&self, message_types: &[u16], attributes: &[u16]) -> Option<(&Vendor, String)> {
        self.list.iter().find_map(|v| {
            let kind = message_types
                .iter()
                .find(|t| v.stun_message_types.contains(t));
            let attribute = attributes.iter().find(|a| v.stun_attributes.contains(a));
            match (kind, attribute) {
                (Some(t), _) => Some((v, format!("STUN message type 0x{t:04x}"))),
                (None, Some(a)) => Some((v, format!("STUN attribute 0x{a:04x}"))),
                (None, None) => None,
            }
        })
    }

    /// The vendor whose own fixed packet this is.
    pub fn by_marker(&self, marker: &str) -> Option<&Vendor> {
        self.list.iter().find(|v| {
            v.wire_markers
                .iter()
                .chain(&v.messaging_markers)
                .any(|m| m == marker)
        })
    }

    /// The platform whose media servers listen at `server`.
    pub fn by_media_server(&self, server: std::net::SocketAddr) -> Option<&Vendor> {
        self.list
            .iter()
            .find(|v| v.media_ports.contains(&server.port()) && v.holds(server.ip()))
    }

    /// The platform whose messaging service listens at `server` (Apple's
    /// push service on 5223 in its network).
    pub fn by_messaging_server(&self, server: std::net::SocketAddr) -> Option<&Vendor> {
        self.list
            .iter()
            .find(|v| v.messaging_ports.contains(&server.port()) && v.holds(server.ip()))
    }

    /// The platform whose messaging clients offer this ALPN name.
    pub fn by_alpn(&self, alpn: &str) -> Option<&Vendor> {
        self.list
            .iter()
            .find(|v| v.messaging_alpn.iter().any(|a| a == alpn))
    }

    pub fn messaging_port(&self, port: u16) -> bool {
        self.list.iter().any(|v| v.messaging_ports.contains(&port))
    }

    pub fn is_messaging_marker(&self, marker: &str) -> bool {
        self.list
            .iter()
            .any(|v| v.messaging_markers.iter().any(|m| m == marker))
    }

    pub fn is_messaging_alpn(&self, alpn: &str) -> bool {
        self.by_alpn(alpn).is_some()
    }

    /// Whether `sni` names a platform's messaging service.
    pub fn is_messaging_name(&self, sni: &str) -> bool {
        self.list.iter().any(|v| Vendor::names_messaging(v, sni))
    }

    pub fn by_certificate(&self, name: &str) -> Option<&Vendor> {
        let name = name.to_ascii_lowercase();
        self.list.iter().find(|v| {
            v.certificate_names
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&name))
        })
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
        assert_eq!(v.by_name("API.Zoom.US").unwrap().name, "Zoom");
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
        assert_eq!(v.by_stun(&[0x0801], &[]).unwrap().0.name, "WhatsApp");
        let (teams, signal) = v.by_stun(&[0x0001], &[0x0006, 0x8055]).unwrap();
        assert_eq!(
            (teams.name.as_str(), signal.as_str()),
            ("Microsoft Teams", "STUN attribute 0x8055")
        );
        assert!(
            v.by_stun(&[0x0001, 0x0101], &[0x0006, 0x0008, 0xC057])
                .is_none(),
            "standard and libwebrtc ones name no platform"
        );
        assert_eq!(v.by_certificate("hangouts").unwrap().name, "Google Meet");
        assert_eq!(v.by_realm("turn.l.google.com").unwrap().name, "Google Meet");
        assert_eq!(v.by_realm("telegram.org").unwrap().name, "Telegram");
    }

    /// Apple's 17.0.0.0/8 is all of Apple: an address there is FaceTime's
    /// or iMessage's only on their media or messaging ports.
    #[test]
    fn an_operators_whole_network_names_its_platform_only_on_its_ports() {
        let v = Vendors::built_in();
        let at = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        assert!(v.by_address("17.248.185.140".parse().unwrap()).is_none());
        let facetime = Some("FaceTime / iMessage");
        let media = v.by_media_server(at("17.173.254.222:3478"));
        assert_eq!(media.map(|v| v.name.as_str()), facetime);
        let push = v.by_messaging_server(at("17.57.144.116:5223"));
        assert_eq!(push.map(|v| v.name.as_str()), facetime);
        assert!(v.by_messaging_server(at("17.57.144.116:443")).is_none());
        assert!(v.by_messaging_server(at("198.51.100.7:5223")).is_none());
        // A platform's own ranges still name it alone.
        assert_eq!(
            v.by_address("170.114.52.2".parse().unwrap()).unwrap().name,
            "Zoom"
        );
    }

    /// Messenger by its own names only: Facebook's pages, CDN and pixel
    /// are every Facebook and Instagram visit, and the pixel a tracker's.
    #[test]
    fn messenger_is_named_by_its_own_names_not_facebooks() {
        let v = Vendors::built_in();
        for name in ["www.messenger.com", "m.me", "edge-mqtt.facebook.com"] {
            let vendor = v.by_name(name).map(|v| v.name.as_str());
            assert_eq!(vendor, Some("Facebook Messenger"), "{name}");
        }
        for name in [
            "www.facebook.com",
            "graph.facebook.com",
            "connect.facebook.net",
            "instagram.faae1-1.fna.fbcdn.net",
        ] {
            assert!(v.by_name(name).is_none(), "{name}");
        }
        let trackers = crate::assess::trackers::Trackers::built_in();
        assert!(trackers.by_host("connect.facebook.net").is_some());
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
        // A replaced vendor's names go with it; a new one's are found.
        v.extend(
            Vendors::parse(
                "[[vendor]]\nname = \"Zoom\"\nbaa = \"yes\"\nsuffixes = [\"Zoom.Example.\"]\n\n[[vendor]]\nname = \"Clinic video\"\nbaa = \"yes\"\nsuffixes = [\"video.clinic.example\"]\n",
            )
            .unwrap(),
        );
        assert!(v.by_name("api.zoom.us").is_none());
        assert_eq!(v.by_name("eu.zoom.example").unwrap().name, "Zoom");
        assert_eq!(
            v.by_name("a.video.clinic.example").unwrap().name,
            "Clinic video"
        );
        assert!(v.by_name("clinic.example").is_none());
        let err = Vendors::parse("[[vendor]]\nname = \"X\"\nbaa = \"maybe\"\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        let err =
            Vendors::parse("[[vendor]]\nname = \"X\"\nbaa = \"yes\"\nsufixes = []\n").unwrap_err();
        assert!(err.contains("sufixes"), "{err}");
    }
}
