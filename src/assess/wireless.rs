//! The wireless findings: what the networks and clients of an 802.11
//! capture show (WIFI.md §8), judged on the redacted wireless report, each
//! with the frames behind it; and the network a call's device was on, as
//! a step of that call's reasoning. Must never see an SSID, MAC address or
//! identity redaction did not.

use super::Assessor;
use super::catalogue::{FindingId, Severity};
use super::model::{Evidence, ReasoningStep, StepKind};
use super::policy::WirelessPolicy;
use crate::facts::{Frames, NetworkRecord, WirelessReport};
use crate::proto::wifi::classify::Class;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Evidence on the wireless layer: no IP flow (flow 0), the frames.
fn frames(f: &Frames, detail: String) -> Evidence {
    Evidence {
        flow: 0,
        first_packet: f.first_packet,
        last_packet: f.last_packet,
        first_timestamp: f.first_timestamp,
        last_timestamp: f.last_timestamp,
        detail,
    }
}

fn frame(packet: u64, at: &Frames, detail: String) -> Evidence {
    Evidence {
        first_packet: packet,
        last_packet: packet,
        ..frames(at, detail)
    }
}

/// A network as people name it, and as findings and reports show it:
/// `SSID (BSSID)`.
pub fn network_name(n: &NetworkRecord) -> String {
    format!("{} ({})", n.ssid.as_deref().unwrap_or("<hidden>"), n.bssid)
}

fn class(name: &str) -> Class {
    Class::from_name(name).unwrap_or(Class::RsnUnknown)
}

/// Marks the networks the policy names as the clinic's, before redaction
/// hides their SSIDs.
pub fn mark_clinic(report: &mut WirelessReport, policy: &WirelessPolicy) {
    for n in &mut report.networks {
        n.clinic = policy.is_clinic(n.ssid.as_deref());
    }
}

impl Assessor {
    /// Applies the wireless rules to a capture's (redacted) networks and clients.
    pub fn observe_wireless(&mut self, w: &WirelessReport) {
        if !w.clients.is_empty() {
            self.wireless = Some(std::sync::Arc::new(w.clone()));
        }
        for n in &w.networks {
            self.network(n);
        }
        self.twins(w);
        for c in &w.clients {
            let network = w
                .networks
                .iter()
                .find(|n| Some(&n.bssid) == c.bssid.as_ref());
            let who = format!(
                "{} on {}",
                c.mac,
                network.map_or("an unknown network".into(), network_name)
            );
            let personal = network.is_some_and(|n| {
                n.offered
                    .iter()
                    .any(|o| *o == "wpa2-psk" || *o == "wpa-psk")
            });
            let chose_sae = c.akms.iter().any(|a| a.contains("SAE"));
            if let Some(h) = &c.handshake
                && personal
                && !chose_sae
            {
                if let Some(p) = h.pmkid_packet {
                    self.report(
                        FindingId::WifiPskCrackable,
                        who.clone(),
                        &[("material", "PMKID".into())],
                        frame(
                            p,
                            &h.frames,
                            format!("PMKID in handshake message 1 to {}", c.mac),
                        ),
                    );
                }
                if let Some(deauth) = h.after_deauthentication {
                    // Forcing a handshake with a forged deauthentication is
                    // how the material is collected on purpose.
                    self.report(
                        FindingId::WifiPskCrackable,
                        who.clone(),
                        &[("forced_by_deauthentication", format!("frame {deauth}"))],
                        frame(
                            deauth,
                            &h.frames,
                            format!("a deauthentication, then {}'s handshake within 10 s", c.mac),
                        ),
                    );
                    self.raise(FindingId::WifiPskCrackable, &who, Severity::High);
                }
                if h.messages.contains(&1) && h.messages.contains(&2) {
                    self.report(
                        FindingId::WifiPskCrackable,
                        who.clone(),
                        &[("material", "handshake messages 1 and 2".into())],
                        frames(
                            &h.frames,
                            format!("4-way handshake messages {:?} of {}", h.messages, c.mac),
                        ),
                    );
                }
            }
            if let Some(eap) = &c.eap {
                if let (Some(id), Some(kind), Some(p)) =
                    (&eap.identity, eap.identity_kind, eap.identity_packet)
                {
                    let realm = id.split_once('@').map_or("", |(_, r)| r).to_string();
                    let detail = format!("EAP Response/Identity from {}: {id}", c.mac);
                    match kind {
                        "user" => self.report(
                            FindingId::WifiEapIdentityExposed,
                            who.clone(),
                            &[("identity", id.clone()), ("realm", realm)],
                            frame(p, &c.seen, detail),
                        ),
                        "imsi" => self.report(
                            FindingId::WifiEapImsiExposed,
                            who.clone(),
                            &[("identity", id.clone())],
                            frame(p, &c.seen, detail),
                        ),
                        _ => {}
                    }
                }
                if let (Some(subject), Some(p)) =
                    (&eap.client_certificate, eap.client_certificate_packet)
                {
                    self.report(
                        FindingId::WifiEapCertificateExposed,
                        who.clone(),
                        &[("subject", subject.clone())],
                        frame(
                            p,
                            &c.seen,
                            format!("client certificate in the clear from {}: {subject}", c.mac),
                        ),
                    );
                }
                for m in eap
                    .methods
                    .iter()
                    .filter(|m| crate::proto::wifi::eapol::weak_method(m.code))
                {
                    self.report(
                        FindingId::WifiEapWeakMethod,
                        who.clone(),
                        &[("method", m.method.to_string())],
                        frame(
                            m.packet,
                            &c.seen,
                            format!("EAP method {} ({})", m.method, m.code),
                        ),
                    );
                }
            }
            if !c.probed_ssids.is_empty()
                && let Some(p) = c.probe_packet
            {
                self.report(
                    FindingId::WifiProbeSsidsExposed,
                    c.mac.clone(),
                    &[("ssids", c.probed_ssids.join(", "))],
                    frame(
                        p,
                        &c.seen,
                        format!("{} probed for {} network(s)", c.mac, c.probed_ssids.len()),
                    ),
                );
            }
            if let (Some(n), Some(p)) = (network, c.associated_packet) {
                let psk = c
                    .akms
                    .iter()
                    .any(|a| a.starts_with("PSK") || a.starts_with("FT using PSK"));
                let eap1 = c
                    .akms
                    .iter()
                    .any(|a| a == "WPA" || a == "FT over IEEE 802.1X");
                let stronger = |name: &str| n.offered.contains(&name);
                let weaker = (psk && stronger("wpa3-sae"))
                    .then_some("PSK where SAE was offered")
                    .or((eap1 && stronger("wpa3-enterprise"))
                        .then_some("802.1X (SHA-1) where WPA3-Enterprise was offered"));
                if let Some(why) = weaker {
                    self.report(
                        FindingId::WifiWeakerAkmChosen,
                        who.clone(),
                        &[
                            ("chosen", c.akms.join(", ")),
                            ("offered", n.offered.join(", ")),
                        ],
                        frame(p, &c.seen, format!("{} associated with {why}", c.mac)),
                    );
                }
            }
        }
    }

    fn network(&mut self, n: &NetworkRecord) {
        let who = network_name(n);
        let announced = n.announced.as_ref().unwrap_or(&n.seen);
        let how = if n.confidence == "observed" {
            format!(
                "announced in {} beacon(s) and probe response(s)",
                n.beacons + n.probe_responses
            )
        } else {
            format!(
                "inferred: {}",
                n.inferred_from.as_deref().unwrap_or("frames")
            )
        };
        let values = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
            let mut v = vec![
                ("bssid", n.bssid.clone()),
                ("ssid", n.ssid.clone().unwrap_or_default()),
                ("class", n.class.to_string()),
                ("confidence", n.confidence.to_string()),
            ];
            v.extend(extra.iter().cloned());
            v
        };
        let offered = |c: &str| n.offered.contains(&c);
        let klass = class(n.class);
        if klass == Class::Open
            && let Some(data) = &n.unprotected_data
        {
            self.report(
                FindingId::WifiOpenNetwork,
                who.clone(),
                &values(&[("data_frames", data.count.to_string())]),
                frames(
                    data,
                    format!("{} unprotected data frames on an open network", data.count),
                ),
            );
        }
        if klass == Class::Wep || n.wep_data > 0 {
            self.report(
                FindingId::WifiWep,
                who.clone(),
                &values(&[("wep_data_frames", n.wep_data.to_string())]),
                frames(announced, format!("WEP: {how}")),
            );
        }
        if offered("wpa-psk")
            || offered("wpa-enterprise")
            || n.modifiers.iter().any(|m| m == "tkip")
        {
            self.report(
                FindingId::WifiWpa1OrTkip,
                who.clone(),
                &values(&[
                    ("offered", n.offered.join(", ")),
                    ("ciphers", n.pairwise_ciphers.join(", ")),
                ]),
                frames(announced, format!("{}: {how}", n.airodump)),
            );
        }
        if offered("wpa2-psk") {
            self.report(
                FindingId::WifiWpa2Personal,
                who.clone(),
                &values(&[("akms", n.akms.join(", "))]),
                frames(announced, format!("WPA2-Personal offered: {how}")),
            );
        } else if offered("wpa3-sae") {
            self.report(
                FindingId::WifiWpa3Personal,
                who.clone(),
                &values(&[("akms", n.akms.join(", "))]),
                frames(announced, format!("WPA3-SAE: {how}")),
            );
        }
        if n.modifiers.iter().any(|m| m == "transition") {
            self.report(
                FindingId::WifiTransitionMode,
                who.clone(),
                &values(&[("offered", n.offered.join(", "))]),
                frames(
                    announced,
                    format!("offers {}: {how}", n.offered.join(" and ")),
                ),
            );
        }
        let sae_only = n.offered == ["wpa3-sae"];
        match n.pmf {
            Some("none") => self.report(
                FindingId::WifiPmfNotRequired,
                who.clone(),
                &values(&[("pmf", "none".into())]),
                frames(announced, "RSN capabilities: MFPC 0, MFPR 0".into()),
            ),
            Some("capable") if sae_only => self.report(
                FindingId::WifiPmfNotRequired,
                who.clone(),
                &values(&[("pmf", "capable".into())]),
                frames(
                    announced,
                    "SAE without PMF required (MFPR 0): not compliant WPA3".into(),
                ),
            ),
            _ => {}
        }
        if offered("owe") {
            self.report(
                FindingId::WifiOweUnauthenticated,
                who.clone(),
                &values(&[]),
                frames(announced, format!("OWE (AKM 18): {how}")),
            );
        }
        if let Some(w) = n.wps.filter(|w| !w.locked) {
            self.report(
                FindingId::WifiWpsEnabled,
                who.clone(),
                &values(&[("configured", w.configured.to_string())]),
                frames(announced, "WPS element without AP Setup Locked".into()),
            );
        }
        if klass != Class::Open
            && let Some(data) = &n.unprotected_data
        {
            self.report(
                FindingId::WifiUnprotectedDataInRsn,
                who.clone(),
                &values(&[("data_frames", data.count.to_string())]),
                frames(
                    data,
                    format!("{} data frames without the Protected bit", data.count),
                ),
            );
        }
        if n.hidden {
            self.report(
                FindingId::WifiHiddenSsid,
                who.clone(),
                &values(&[]),
                frames(announced, "beacons with an empty SSID".into()),
            );
        }
        let d = &n.deauthentications;
        for flood in &d.floods {
            let reasons: Vec<String> = d.reasons.iter().map(|(r, c)| format!("{r}: {c}")).collect();
            self.report(
                FindingId::WifiDeauthFlood,
                who.clone(),
                &values(&[
                    ("frames", d.frames.to_string()),
                    ("broadcast", d.broadcast.to_string()),
                    ("protected", d.protected.to_string()),
                    ("reasons", reasons.join("; ")),
                    ("pmf", n.pmf.unwrap_or("none").to_string()),
                ]),
                frames(
                    flood,
                    format!(
                        "{} deauthentication/disassociation frames in one burst",
                        flood.count
                    ),
                ),
            );
        }
        for change in n
            .class_changes
            .iter()
            .filter(|c| class(c.to) < class(c.from))
        {
            let at = Frames {
                first_packet: change.packet,
                last_packet: change.packet,
                first_timestamp: change.timestamp,
                last_timestamp: change.timestamp,
                count: 1,
            };
            self.report(
                FindingId::WifiEvilTwin,
                who.clone(),
                &values(&[("change", format!("{} -> {}", change.from, change.to))]),
                frames(
                    &at,
                    format!(
                        "the BSSID's security dropped from {} to {}",
                        change.from, change.to
                    ),
                ),
            );
        }
        if n.other_ssids_answered.len() >= 2 {
            self.report(
                FindingId::WifiEvilTwin,
                who.clone(),
                &values(&[("answered", n.other_ssids_answered.join(", "))]),
                frames(
                    announced,
                    format!(
                        "one BSSID answered probes for {} other names",
                        n.other_ssids_answered.len()
                    ),
                ),
            );
        }
        let minimum = self.policy().wireless.minimum_class;
        if n.clinic && klass < minimum {
            self.report(
                FindingId::WifiBelowMinimumClass,
                who.clone(),
                &values(&[("minimum_class", minimum.name().into())]),
                frames(
                    announced,
                    format!("{} is below the minimum {minimum}: {how}", n.class),
                ),
            );
        }
    }

    /// The same SSID announced with different classes: the weaker BSSs are
    /// the suspects. An open network pointing at its OWE twin is one
    /// service, not a twin.
    fn twins(&mut self, w: &WirelessReport) {
        let mut by_ssid: BTreeMap<&str, Vec<&NetworkRecord>> = BTreeMap::new();
        for n in w.networks.iter().filter(|n| n.confidence == "observed") {
            if let Some(ssid) = n.ssid.as_deref() {
                by_ssid.entry(ssid).or_default().push(n);
            }
        }
        for group in by_ssid.values() {
            let Some(strongest) = group.iter().map(|n| class(n.class)).max() else {
                continue;
            };
            for n in group.iter().filter(|n| class(n.class) < strongest) {
                let twin_of_owe = n.owe_transition_bssid.is_some();
                if twin_of_owe {
                    continue;
                }
                let announced = n.announced.as_ref().unwrap_or(&n.seen);
                let who = network_name(n);
                self.report(
                    FindingId::WifiEvilTwin,
                    who.clone(),
                    &[
                        ("class", n.class.to_string()),
                        ("strongest_class_for_ssid", strongest.name().into()),
                        (
                            "bssids",
                            group
                                .iter()
                                .map(|g| g.bssid.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ],
                    frames(
                        announced,
                        format!(
                            "{} announced as {} while another BSSID announces {strongest}",
                            n.bssid, n.class
                        ),
                    ),
                );
                // An open or WEP twin of a protected network is the
                // classic evil twin: clients that join it are readable.
                if matches!(class(n.class), Class::Open | Class::Wep) {
                    self.raise(FindingId::WifiEvilTwin, &who, Severity::Critical);
                }
            }
        }
    }
}

/// Wi-Fi stations by address, with the network each was on when known.
type DevicesOnWifi<'w> =
    BTreeMap<IpAddr, (&'w crate::facts::ClientRecord, Option<&'w NetworkRecord>)>;

impl Assessor {
    /// Adds to each call the wireless network its devices were seen on,
    /// and the deauthentication floods that hit that network while the
    /// call ran (which makes those floods high: a call may have dropped).
    pub(super) fn wireless_calls(
        &mut self,
        calls: &mut super::calls::store::CallStore,
        spans: &super::tracking::SealedSpans<'_>,
    ) {
        let Some(w) = self.wireless.take() else {
            return;
        };
        let mut on: DevicesOnWifi<'_> = BTreeMap::new();
        for c in &w.clients {
            let network = w
                .networks
                .iter()
                .find(|n| Some(&n.bssid) == c.bssid.as_ref());
            for ip in &c.addresses {
                on.insert(*ip, (c, network));
            }
        }
        // Only the calls a Wi-Fi device took part in are read back, in
        // the store's order.
        let mut positions: Vec<usize> = on.keys().flat_map(|&ip| spans.calls_with(ip)).collect();
        positions.sort_unstable();
        positions.dedup();
        for position in positions {
            calls.add_to(position, |call| self.place_on_wifi(call, &on));
        }
    }

    /// Adds to `call` the wireless network each of its devices was on
    /// (`on`: devices by address), and the deauthentication floods that
    /// hit that network while the call ran.
    fn place_on_wifi(&mut self, call: &mut super::model::Call, on: &DevicesOnWifi<'_>) {
        let mut seen: Vec<IpAddr> = Vec::new();
        let mut steps = Vec::new();
        for ip in super::model::CallLeg::addresses(&call.legs) {
            let Some((client, network)) = on.get(&ip) else {
                continue;
            };
            if seen.contains(&ip) {
                continue;
            }
            seen.push(ip);
            let Some(n) = network else {
                steps.push(ReasoningStep {
                    step: format!("Device {ip} was a Wi-Fi station ({})", client.mac),
                    evidence: vec![frames(&client.seen, format!("station {}", client.mac))],
                    kind: StepKind::Reason,
                });
                continue;
            };
            let judgement = match class(n.class) {
                Class::Open => ": its traffic is readable by anyone in radio range",
                Class::Wep => ": WEP protects nothing",
                c if c.personal() => ": one shared passphrase guards it",
                _ => "",
            };
            steps.push(ReasoningStep {
                step: format!(
                    "Device {ip} was on Wi-Fi network {}, class {} ({}){judgement}",
                    network_name(n),
                    n.class,
                    n.confidence
                ),
                evidence: vec![frames(&client.seen, format!("station {}", client.mac))],
                kind: StepKind::Reason,
            });
            if n.beacon_gaps > 0 {
                steps.push(ReasoningStep {
                    step: format!(
                        "{} missed beacons {} times (longest gap {} ms): an unreliable radio link for the call",
                        network_name(n),
                        n.beacon_gaps,
                        n.longest_beacon_gap_ms
                    ),
                    evidence: vec![frames(&n.seen, "beacons".into())],
                    kind: StepKind::Reason,
                });
            }
            let during = n
                .deauthentications
                .floods
                .iter()
                .filter(|f| f.first_timestamp <= call.end && f.last_timestamp >= call.start);
            for flood in during {
                steps.push(ReasoningStep {
                    step: format!(
                        "{} deauthentication/disassociation frames hit {} during the call: the device may have been disconnected",
                        flood.count,
                        network_name(n)
                    ),
                    evidence: vec![frames(flood, "deauthentication flood".into())],
                    kind: StepKind::Reason,
                });
                self.raise(FindingId::WifiDeauthFlood, &network_name(n), Severity::High);
                if !call.findings.contains(&FindingId::WifiDeauthFlood) {
                    call.findings.push(FindingId::WifiDeauthFlood);
                }
            }
        }
        call.reasoning.extend(steps);
    }
}
