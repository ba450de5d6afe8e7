//! Operators and countries of servers, from MaxMind-format databases the
//! user gives (`--geoip FILE`, repeatable): GeoLite2/GeoIP2 ASN, ISP,
//! Country and City, and the DB-IP and ip-location-db files in the same
//! format, which Suricata, Zeek and Arkime users already keep. A database
//! is read whole and checked when opened, so a missing, corrupt or
//! wrong-kind file is an error naming it before any packet is read. Must
//! never guess: an address a database does not hold is unknown, and
//! nothing here ships or downloads a database.

use maxminddb::Reader;
use serde::Deserialize;
use std::net::IpAddr;

/// What kind of facts a database gives, from its `database_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Facts {
    /// AS number and organisation (GeoLite2-ASN, GeoIP2-ISP, *-asn).
    Asn,
    /// Country (GeoLite2-Country, GeoLite2-City, *-country).
    Country,
}

struct Database {
    /// The file's name, as given: cited in the evidence.
    path: String,
    facts: Facts,
    reader: Reader<Vec<u8>>,
}

/// The databases given, in the order given: for each fact, the first that
/// holds the address answers.
#[derive(Default)]
pub struct GeoIp {
    databases: Vec<Database>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.databases.iter().map(|d| &d.path))
            .finish()
    }
}

/// The fields teleprobe reads, under the names each family uses.
#[derive(Deserialize)]
struct Record {
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
    country: Option<Country>,
    registered_country: Option<Country>,
    /// ip-location-db's country files.
    country_code: Option<String>,
}

#[derive(Deserialize)]
struct Country {
    iso_code: Option<String>,
}

/// Where one server is, as far as the databases say.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_organization: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The databases that answered.
    pub databases: Vec<String>,
}

impl GeoIp {
    /// Opens and checks each database; the error names the file and says
    /// what to give instead.
    pub fn open(paths: &[String]) -> Result<GeoIp, String> {
        let mut databases = Vec::new();
        for path in paths {
            databases.push(Database::open(path)?);
        }
        Ok(GeoIp { databases })
    }

    pub fn is_empty(&self) -> bool {
        self.databases.is_empty()
    }

    pub fn knows_countries(&self) -> bool {
        self.databases.iter().any(|d| d.facts == Facts::Country)
    }

    pub fn knows_operators(&self) -> bool {
        self.databases.iter().any(|d| d.facts == Facts::Asn)
    }

    /// What the databases hold for `ip`; `None` when none holds it.
    pub fn locate(&self, ip: IpAddr) -> Option<Location> {
        let mut place = Location::default();
        for db in &self.databases {
            let Some(r) = db.record(ip) else { continue };
            let mut answered = false;
            if place.asn.is_none() && r.autonomous_system_number.is_some() {
                place.asn = r.autonomous_system_number;
                place.as_organization = r.autonomous_system_organization;
                answered = true;
            }
            let country = r
                .country
                .and_then(|c| c.iso_code)
                .or(r.country_code)
                .or_else(|| r.registered_country.and_then(|c| c.iso_code));
            if place.country.is_none() && country.is_some() {
                place.country = country.map(|c| c.to_ascii_uppercase());
                answered = true;
            }
            if answered {
                place.databases.push(db.path.clone());
            }
        }
        (!place.databases.is_empty()).then_some(place)
    }
}

impl Database {
    fn open(path: &str) -> Result<Database, String> {
        let reader = Reader::open_readfile(path).map_err(|e| match e {
            maxminddb::MaxMindDbError::Io(e) => format!("cannot read GeoIP database {path}: {e}"),
            e => format!(
                "GeoIP database {path} is not a readable MaxMind DB file ({e}); give a .mmdb file such as GeoLite2-ASN.mmdb or GeoLite2-Country.mmdb"
            ),
        })?;
        reader
            .verify()
            .map_err(|e| format!("GeoIP database {path} is corrupt ({e}); download it again"))?;
        let kind = reader.metadata.database_type.to_ascii_lowercase();
        let facts = if kind.contains("asn") && !kind.contains("country") || kind.contains("isp") {
            Facts::Asn
        } else if kind.contains("country") || kind.contains("city") {
            Facts::Country
        } else {
            return Err(format!(
                "GeoIP database {path} is a {} database, which holds neither AS numbers nor countries; give an ASN, ISP, Country or City database",
                reader.metadata.database_type
            ));
        };
        Ok(Database {
            path: path.to_string(),
            facts,
            reader,
        })
    }

    /// The record for `ip`, if the database holds one it can decode.
    fn record(&self, ip: IpAddr) -> Option<Record> {
        let found = self.reader.lookup(ip).ok()?;
        found.decode::<Record>().ok().flatten()
    }
}

/// Private, link-local and unique-local ranges: addresses no database
/// places and no host candidate should reveal.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private() || v.is_link_local() || v.is_loopback(),
        IpAddr::V6(v) => {
            v.is_loopback()
                || (v.segments()[0] & 0xfe00) == 0xfc00
                || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

use super::Assessor;
use super::catalogue::FindingId;
use super::model::Call;

impl Assessor {
    /// Gives each call's servers (relay, media server, the far end of every
    /// leg) their operator and country, raises
    /// `media-routed-outside-allowed-regions` where the policy limits
    /// countries, and says in each call what the databases could not show.
    pub(super) fn place_servers(&mut self, calls: &mut [Call]) {
        let allowed = self.policy.allowed_countries.clone();
        for call in calls.iter_mut() {
            let mut unplaced: Vec<String> = Vec::new();
            let mut outside: Vec<(String, String, Location, usize)> = Vec::new();
            for (i, leg) in call.legs.iter_mut().enumerate() {
                let Ok(server) = leg.server.parse::<std::net::SocketAddr>() else {
                    continue;
                };
                if is_internal(server.ip()) || self.policy.in_clinic(server.ip()) {
                    continue;
                }
                leg.location = self.geo.locate(server.ip());
                match &leg.location {
                    Some(place) => match &place.country {
                        Some(c) if !allowed.is_empty() && !allowed.contains(c) => {
                            outside.push((leg.server.clone(), c.clone(), place.clone(), i));
                        }
                        Some(_) => {}
                        None => unplaced.push(server.ip().to_string()),
                    },
                    None => unplaced.push(server.ip().to_string()),
                }
            }
            let place_of = |address: &str, legs: &[super::model::CallLeg]| {
                legs.iter()
                    .find(|l| l.server == address)
                    .and_then(|l| l.location.clone())
            };
            if let Some(r) = &mut call.relay {
                r.location = place_of(&r.address, &call.legs);
            }
            if let Some(s) = &mut call.server {
                s.location = place_of(&s.address, &call.legs);
            }
            unplaced.sort();
            unplaced.dedup();
            if !unplaced.is_empty() {
                let why = if self.geo.is_empty() {
                    "no --geoip database given".to_string()
                } else if !self.geo.knows_countries() {
                    "no country database given".to_string()
                } else {
                    "the databases given do not hold them".to_string()
                };
                call.cannot_show.push(format!(
                    "the operator and country of {} ({why}){}",
                    unplaced.join(", "),
                    if allowed.is_empty() {
                        ""
                    } else {
                        ", so whether they are in the allowed countries"
                    }
                ));
            }
            for (server, country, place, leg) in outside {
                let flow = call.legs[leg].flow;
                let role = call.legs[leg].role.to_string();
                let Some(f) = self.call_flow(flow) else {
                    continue;
                };
                let ev = super::evidence(
                    f,
                    f.first_packet,
                    f.last_packet,
                    format!(
                        "{role} leg (flow {flow}) to {server}: country {country}{} per {}; allowed: {}",
                        place
                            .as_organization
                            .as_deref()
                            .map(|o| format!(", {o}"))
                            .unwrap_or_default(),
                        place.databases.join(", "),
                        allowed.join(", ")
                    ),
                );
                let values = [
                    ("server", server.clone()),
                    ("country", country),
                    ("database", place.databases.join(", ")),
                ];
                self.report(
                    FindingId::MediaRoutedOutsideAllowedRegions,
                    format!("call {}: {server}", call.id),
                    &values,
                    ev,
                );
                if !call
                    .findings
                    .contains(&FindingId::MediaRoutedOutsideAllowedRegions)
                {
                    call.findings
                        .push(FindingId::MediaRoutedOutsideAllowedRegions);
                }
            }
        }
    }
}
