//! What a capture learns about its wireless networks and their clients:
//! per BSS the announced security (and its changes), the frames that let a
//! class be inferred when no beacon was captured, unprotected traffic,
//! deauthentication bursts (WIFI.md §6: more than 10 in 1 s or 30 in 10 s);
//! per client its network, the AKM and cipher it chose, its EAP identity
//! and method, the handshake messages and PMKID captured, the networks its
//! probes name, the IP addresses it used. State allocates on first sight of
//! a BSSID or station, within fixed bounds (past them, counted); a storm of
//! frames only moves counters. Never panics on any frame.

use super::classify::{self, Class, Classification, Pmf};
use super::eapol::{self, Eap, Eapol, Identity};
use super::elements::{Rsn, Security, announcement};
use super::link::Radio;
use super::mac::{self, Header, Kind, Mac, Sealed, subtype};
use crate::proto::record::as_texts;
use crate::time::{Nanos, Timestamp};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Networks followed at once; more are counted in `not_tracked`.
pub const MAX_NETWORKS: usize = 4_096;
/// Stations followed at once.
pub const MAX_CLIENTS: usize = 16_384;
const MAX_CHANGES: usize = 16;
const MAX_FLOODS: usize = 16;
const MAX_REASONS: usize = 32;
const MAX_PROBED: usize = 16;
const MAX_ADDRESSES: usize = 4;
const MAX_ANSWERED: usize = 8;
const MAX_IDENTITY: usize = 253;
const SECOND: Nanos = 1_000_000_000;

/// A frame's number and time: the evidence every fact points back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    pub packet: u64,
    pub ts: Nanos,
}

#[derive(Default)]
struct Deauths {
    frames: u64,
    broadcast: u64,
    protected: u64,
    reasons: BTreeMap<u16, u64>,
    burst: (u32, Nanos),
    window: (u32, Nanos),
    floods: Vec<(Mark, Mark, u64)>,
    floods_not_listed: u64,
    /// The latest one: a handshake soon after it was forced.
    last: Option<Mark>,
}

/// A handshake this soon after a deauthentication was forced by it.
const FORCED_HANDSHAKE: Nanos = 10 * SECOND;

impl Deauths {
    /// Counts one frame; `reason` is `None` for a protected one.
    fn add(&mut self, at: Mark, reason: Option<u16>, broadcast: bool) {
        self.frames += 1;
        self.last = Some(at);
        self.broadcast += u64::from(broadcast);
        match reason {
            Some(r) if self.reasons.len() < MAX_REASONS || self.reasons.contains_key(&r) => {
                *self.reasons.entry(r).or_default() += 1
            }
            Some(_) => {}
            None => self.protected += 1,
        }
        let (count, last) = self.burst;
        self.burst = if at.ts - last > SECOND {
            (1, at.ts)
        } else {
            (count + 1, at.ts)
        };
        let (count, start) = self.window;
        self.window = if at.ts - start > 10 * SECOND {
            (1, at.ts)
        } else {
            (count + 1, start)
        };
        let flooding = self.burst.0 > 10 || self.window.0 > 30;
        let within = |last: &Mark| at.ts - last.ts <= SECOND;
        let full = self.floods.len() >= MAX_FLOODS;
        match self.floods.last_mut() {
            Some((_, last, frames)) if within(last) => {
                *last = at;
                *frames += 1;
            }
            _ if !flooding => {}
            _ if !full => {
                let frames = u64::from(self.burst.0.max(self.window.0));
                self.floods.push((at, at, frames));
            }
            _ => self.floods_not_listed += 1,
        }
    }
}

struct Network {
    bssid: Mac,
    ssid: Option<Vec<u8>>,
    hidden: bool,
    channel: Option<u8>,
    frequency: Option<u16>,
    security: Option<Security>,
    class: Option<Class>,
    announced: Option<(Mark, Mark)>,
    beacons: u64,
    probe_responses: u64,
    changes: Vec<(Mark, Class, Class)>,
    answered: Vec<Vec<u8>>,
    eap: Option<Mark>,
    keys: Option<(Mark, u8)>,
    sealed_rsn: (u64, Option<Mark>),
    sealed_wep: (u64, Option<Mark>),
    cleartext: (u64, Option<(Mark, Mark)>),
    deauths: Deauths,
    signal: Option<(i8, i8)>,
    /// Reliability: the beacon interval (TU), the last beacon, beacons
    /// missed (gaps over three intervals) and the longest gap, channel moves.
    beacon_interval: Option<u16>,
    last_beacon: Option<Nanos>,
    beacon_gaps: u64,
    longest_beacon_gap: Nanos,
    channel_changes: u64,
    seen: (Mark, Mark),
}

#[derive(Default)]
struct EapState {
    identity: Option<(Vec<u8>, Mark)>,
    methods: Vec<(u8, Mark)>,
    outcome: Option<(bool, Mark)>,
    /// TLS bytes of a tunnel method's current flight, per side (0: the
    /// station, 1: the authentication server), until a certificate is read.
    flights: [Vec<u8>; 2],
    /// Certificate subjects read (station's, server's), with their frame.
    certificates: [Option<(String, Mark)>; 2],
}

/// TLS bytes held per side of an EAP tunnel while its flight arrives.
const MAX_FLIGHT: usize = 64 * 1024;

struct Client {
    mac: Mac,
    bssid: Option<Mac>,
    associated: Option<Mark>,
    chosen: Option<Rsn>,
    authentication: Option<u16>,
    eap: Option<EapState>,
    handshake: Option<(u8, Mark, Mark)>,
    /// The deauthentication a handshake followed within 10 s (the pattern
    /// of an attacker capturing handshakes to crack the passphrase).
    forced_by: Option<Mark>,
    pmkid: Option<Mark>,
    deauths: u64,
    reassociations: u64,
    probed: Vec<Vec<u8>>,
    probe_seen: Option<Mark>,
    addresses: Vec<IpAddr>,
    data_frames: u64,
    retries: u64,
    seen: (Mark, Mark),
}

#[derive(Default)]
pub struct Wireless {
    index: HashMap<Mac, usize>,
    networks: Vec<Network>,
    client_index: HashMap<Mac, usize>,
    clients: Vec<Client>,
    pub counts: WirelessFrames,
}

/// A data frame's payload for the IP engine.
#[derive(Debug, Clone, Copy)]
pub struct Payload<'a> {
    pub body: &'a [u8],
    pub amsdu: bool,
    /// The station behind the AP, and whether it sent the frame.
    pub station: Option<(Mac, bool)>,
}

impl Wireless {
    pub fn is_empty(&self) -> bool {
        self.counts.management + self.counts.data + self.counts.control == 0
    }

    fn network(&mut self, bssid: Mac, at: Mark) -> Option<&mut Network> {
        if bssid[0] & 0x01 != 0 || bssid == [0; 6] {
            return None;
        }
        let i = match self.index.get(&bssid) {
            Some(&i) => i,
            None if self.networks.len() >= MAX_NETWORKS => {
                self.counts.networks_not_tracked += 1;
                return None;
            }
            None => {
                self.networks.push(Network {
                    bssid,
                    ssid: None,
                    hidden: false,
                    channel: None,
                    frequency: None,
                    security: None,
                    class: None,
                    announced: None,
                    beacons: 0,
                    probe_responses: 0,
                    changes: Vec::new(),
                    answered: Vec::new(),
                    eap: None,
                    keys: None,
                    sealed_rsn: (0, None),
                    sealed_wep: (0, None),
                    cleartext: (0, None),
                    deauths: Deauths::default(),
                    signal: None,
                    beacon_interval: None,
                    last_beacon: None,
                    beacon_gaps: 0,
                    longest_beacon_gap: 0,
                    channel_changes: 0,
                    seen: (at, at),
                });
                self.index.insert(bssid, self.networks.len() - 1);
                self.networks.len() - 1
            }
        };
        let n = &mut self.networks[i];
        n.seen.1 = at;
        Some(n)
    }

    fn client(&mut self, station: Mac, at: Mark) -> Option<&mut Client> {
        if station[0] & 0x01 != 0 {
            return None;
        }
        let i = match self.client_index.get(&station) {
            Some(&i) => i,
            None if self.clients.len() >= MAX_CLIENTS => {
                self.counts.clients_not_tracked += 1;
                return None;
            }
            None => {
                self.clients.push(Client {
                    mac: station,
                    bssid: None,
                    associated: None,
                    chosen: None,
                    authentication: None,
                    eap: None,
                    handshake: None,
                    forced_by: None,
                    pmkid: None,
                    deauths: 0,
                    reassociations: 0,
                    probed: Vec::new(),
                    probe_seen: None,
                    addresses: Vec::new(),
                    data_frames: 0,
                    retries: 0,
                    seen: (at, at),
                });
                self.client_index.insert(station, self.clients.len() - 1);
                self.clients.len() - 1
            }
        };
        let c = &mut self.clients[i];
        c.seen.1 = at;
        Some(c)
    }

    /// Links a station to its BSS (a client never is its own AP).
    fn member(&mut self, station: Mac, bssid: Mac, at: Mark) -> Option<&mut Client> {
        if station == bssid || self.network(bssid, at).is_none() {
            return None;
        }
        let c = self.client(station, at)?;
        c.bssid = Some(bssid);
        Some(c)
    }

    /// Reads one MAC frame; returns the payload of a data frame that is
    /// neither protected nor EAPOL, for the IP engine.
    pub fn frame<'a>(&mut self, radio: &Radio<'a>, at: Mark) -> Option<Payload<'a>> {
        let h = match Header::parse(radio.frame, radio.padded) {
            Ok(h) => h,
            Err(_) => {
                self.counts.malformed += 1;
                return None;
            }
        };
        match h.kind {
            Kind::Control | Kind::Extension => {
                self.counts.control += 1;
                None
            }
            Kind::Management => {
                self.counts.management += 1;
                self.management(&h, radio, at);
                None
            }
            Kind::Data => {
                self.counts.data += 1;
                self.data(&h, at)
            }
        }
    }

    fn management(&mut self, h: &Header<'_>, radio: &Radio<'_>, at: Mark) {
        let Some(bssid) = h.bssid() else { return };
        let body = h.body;
        match h.subtype {
            subtype::BEACON | subtype::PROBE_RESPONSE => {
                if h.addr2 != bssid || body.len() < 12 {
                    self.counts.malformed += u64::from(body.len() < 12);
                    return;
                }
                let caps = u16::from_le_bytes([body[10], body[11]]);
                // An IBSS (ad hoc) beacon describes no access point.
                if caps & 0x0002 != 0 {
                    return;
                }
                let a = announcement(&body[12..], caps & 0x0010 != 0);
                let beacon = h.subtype == subtype::BEACON;
                let Some(n) = self.network(bssid, at) else {
                    return;
                };
                if beacon {
                    n.beacons += 1;
                    // Beacons missed: a gap over three intervals (a TU is
                    // 1,024 µs) that is not a capture pause of a minute.
                    let interval = u16::from_le_bytes([body[8], body[9]]);
                    n.beacon_interval = (interval > 0).then_some(interval);
                    if let (Some(last), true) = (n.last_beacon, interval > 0) {
                        let gap = at.ts - last;
                        let expected = i64::from(interval) * 1_024_000;
                        if gap > 3 * expected && gap < 60 * SECOND {
                            n.beacon_gaps += 1;
                            n.longest_beacon_gap = n.longest_beacon_gap.max(gap);
                        }
                    }
                    n.last_beacon = Some(at.ts);
                } else {
                    n.probe_responses += 1;
                }
                if let Some(s) = radio.signal_dbm {
                    n.signal = Some(n.signal.map_or((s, s), |(lo, hi)| (lo.min(s), hi.max(s))));
                }
                n.frequency = radio.frequency_mhz.or(n.frequency);
                if let (Some(old), Some(new)) = (n.channel, a.channel)
                    && old != new
                {
                    n.channel_changes += 1;
                }
                n.channel = a.channel.or(n.channel);
                match a.ssid {
                    Some(ssid) if ssid.is_empty() || ssid.iter().all(|&b| b == 0) => {
                        n.hidden |= beacon;
                    }
                    None => n.hidden |= beacon,
                    Some(ssid) if n.ssid.is_none() => n.ssid = Some(ssid.to_vec()),
                    // One BSSID answering probes for other SSIDs: karma/mana.
                    Some(ssid)
                        if !beacon
                            && n.ssid.as_deref() != Some(ssid)
                            && n.answered.len() < MAX_ANSWERED
                            && !n.answered.iter().any(|s| s == ssid) =>
                    {
                        n.answered.push(ssid.to_vec());
                    }
                    Some(_) => {}
                }
                if n.security.as_ref() != Some(&a.security) {
                    let class = classify::classify(&a.security).class;
                    if let Some(before) = n.class
                        && before != class
                        && n.changes.len() < MAX_CHANGES
                    {
                        n.changes.push((at, before, class));
                    }
                    n.class = Some(class);
                    n.security = Some(a.security);
                }
                n.announced = Some(n.announced.map_or((at, at), |(first, _)| (first, at)));
            }
            subtype::ASSOC_REQUEST | subtype::REASSOC_REQUEST => {
                let skip = if h.subtype == subtype::ASSOC_REQUEST {
                    4
                } else {
                    10
                };
                let Some(elements) = body.get(skip..) else {
                    self.counts.malformed += 1;
                    return;
                };
                let chosen = announcement(elements, false).security;
                let reassoc = h.subtype == subtype::REASSOC_REQUEST;
                if let Some(c) = self.member(h.addr2, bssid, at) {
                    c.associated = Some(at);
                    c.chosen = chosen.rsn.or(chosen.wpa).or(c.chosen);
                    c.reassociations += u64::from(reassoc);
                }
            }
            subtype::AUTH => {
                let Some(fixed) = body.get(..6) else {
                    self.counts.malformed += 1;
                    return;
                };
                let algorithm = u16::from_le_bytes([fixed[0], fixed[1]]);
                let station = if h.addr2 == bssid { h.addr1 } else { h.addr2 };
                if let Some(c) = self.member(station, bssid, at) {
                    c.authentication = Some(algorithm);
                }
            }
            subtype::DEAUTH | subtype::DISASSOC => {
                // Under PMF the reason is encrypted: unknown, never 0.
                let reason = match (h.protected(), body.get(..2)) {
                    (false, Some(r)) => Some(u16::from_le_bytes([r[0], r[1]])),
                    (false, None) => {
                        self.counts.malformed += 1;
                        return;
                    }
                    (true, _) => None,
                };
                let broadcast = h.addr1 == mac::BROADCAST;
                let station = if h.addr2 == bssid { h.addr1 } else { h.addr2 };
                if let Some(n) = self.network(bssid, at) {
                    n.deauths.add(at, reason, broadcast);
                }
                if !broadcast && let Some(c) = self.member(station, bssid, at) {
                    c.deauths += 1;
                }
            }
            subtype::PROBE_REQUEST => {
                let a = announcement(body, false);
                if let Some(ssid) = a.ssid.filter(|s| !s.is_empty())
                    && let Some(c) = self.client(h.addr2, at)
                {
                    c.probe_seen.get_or_insert(at);
                    if c.probed.len() < MAX_PROBED && !c.probed.iter().any(|p| p == ssid) {
                        c.probed.push(ssid.to_vec());
                    }
                }
            }
            _ => {}
        }
    }

    fn data<'a>(&mut self, h: &Header<'a>, at: Mark) -> Option<Payload<'a>> {
        let bssid = h.bssid()?;
        let station = h.station();
        let from_station = h.flags & 0x01 != 0;
        if let Some(s) = station
            && let Some(c) = self.member(s, bssid, at)
        {
            c.data_frames += 1;
            c.retries += u64::from(h.retry());
        }
        if h.no_data() {
            return None;
        }
        if h.protected() {
            self.counts.protected += 1;
            let sealed = mac::sealed(h.body);
            let n = self.network(bssid, at)?;
            let counter = match sealed? {
                Sealed::Rsn => &mut n.sealed_rsn,
                Sealed::Wep => &mut n.sealed_wep,
            };
            counter.0 += 1;
            counter.1.get_or_insert(at);
            return None;
        }
        if !h.amsdu
            && let Some((mac::ETHERTYPE_EAPOL, body)) = mac::snap(h.body)
        {
            self.counts.eapol += 1;
            self.eapol(bssid, station, body, at);
            return None;
        }
        if h.body.is_empty() {
            return None;
        }
        let n = self.network(bssid, at)?;
        n.cleartext.0 += 1;
        n.cleartext.1 = Some(n.cleartext.1.map_or((at, at), |(first, _)| (first, at)));
        Some(Payload {
            body: h.body,
            amsdu: h.amsdu,
            station: station.map(|s| (s, from_station)),
        })
    }

    fn eapol(&mut self, bssid: Mac, station: Option<Mac>, body: &[u8], at: Mark) {
        let Ok(frame) = eapol::parse(body) else {
            self.counts.malformed += 1;
            return;
        };
        let Some(n) = self.network(bssid, at) else {
            return;
        };
        let recent_deauth = n
            .deauths
            .last
            .filter(|d| at.ts >= d.ts && at.ts - d.ts <= FORCED_HANDSHAKE);
        match frame {
            Eapol::Eap(_) => {
                n.eap.get_or_insert(at);
            }
            Eapol::Key(k) => {
                n.keys.get_or_insert((at, k.descriptor_version));
            }
            _ => {}
        }
        let Some(c) = station.and_then(|s| self.member(s, bssid, at)) else {
            return;
        };
        match frame {
            Eapol::Key(k) => {
                if let Some(m) = k.message {
                    if c.handshake.is_none() || m == 1 {
                        c.forced_by = c.forced_by.or(recent_deauth);
                    }
                    let bit = 1u8 << (m - 1);
                    c.handshake = Some(
                        c.handshake
                            .map_or((bit, at, at), |(bits, first, _)| (bits | bit, first, at)),
                    );
                }
                if k.pmkid {
                    c.pmkid.get_or_insert(at);
                }
            }
            Eapol::Eap(e) => eap(c.eap.get_or_insert_with(EapState::default), e, at),
            _ => {}
        }
    }

    /// Records an IP address a station used (from the IP engine).
    pub fn address(&mut self, station: Mac, ip: IpAddr) {
        if let Some(&i) = self.client_index.get(&station) {
            crate::proto::record::push_unique_value(
                &mut self.clients[i].addresses,
                ip,
                MAX_ADDRESSES,
            );
        }
    }
}

fn eap(state: &mut EapState, e: Eap<'_>, at: Mark) {
    if let Some(m) = e.method.filter(|&m| eapol::carries_tls(m)) {
        if !state.methods.iter().any(|(n, _)| *n == m) && state.methods.len() < 8 {
            state.methods.push((m, at));
        }
        let side = usize::from(e.code == eapol::EAP_REQUEST);
        tunnel(state, side, e.data, at);
        return;
    }
    match (e.code, e.method) {
        (eapol::EAP_RESPONSE, Some(eapol::EAP_IDENTITY)) if state.identity.is_none() => {
            let identity = &e.data[..e.data.len().min(MAX_IDENTITY)];
            state.identity = Some((identity.to_vec(), at));
        }
        (eapol::EAP_REQUEST | eapol::EAP_RESPONSE, Some(m))
            if !matches!(m, eapol::EAP_IDENTITY | eapol::EAP_NAK | 2)
                && state.methods.len() < 8
                && !state.methods.iter().any(|(n, _)| *n == m) =>
        {
            state.methods.push((m, at));
        }
        (eapol::EAP_REQUEST | eapol::EAP_RESPONSE, Some(m)) if eapol::carries_tls(m) => {}
        (eapol::EAP_SUCCESS, _) => state.outcome = Some((true, at)),
        (eapol::EAP_FAILURE, _) => state.outcome = Some((false, at)),
        _ => {}
    }
}

/// Gathers one side's TLS flight of a tunnel method and reads the first
/// certificate in it once the flight is whole (no more fragments).
fn tunnel(state: &mut EapState, side: usize, data: &[u8], at: Mark) {
    if state.certificates[side].is_some() {
        return;
    }
    let Some((tls, more)) = eapol::tls_fragment(data) else {
        return;
    };
    let flight = &mut state.flights[side];
    if flight.len() + tls.len() > MAX_FLIGHT {
        flight.clear();
        return;
    }
    flight.extend_from_slice(tls);
    if more {
        return;
    }
    if let Some(cert) = eapol::flight_certificate(flight) {
        state.certificates[side] = Some((cert.subject, at));
    }
    *flight = Vec::new();
}

// ---- What the report shows ----

/// Frame counts of the wireless layer.
#[derive(Debug, Clone, Default, Serialize, JsonSchema, PartialEq)]
pub struct WirelessFrames {
    pub management: u64,
    pub control: u64,
    pub data: u64,
    /// Data frames with the Protected bit.
    pub protected: u64,
    pub eapol: u64,
    /// Frames counted but not read: truncated headers, broken elements.
    pub malformed: u64,
    /// BSSIDs and stations past the tables' bounds, counted only.
    pub networks_not_tracked: u64,
    pub clients_not_tracked: u64,
}

/// The networks and clients of an 802.11 capture.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct WirelessReport {
    pub networks: Vec<NetworkRecord>,
    pub clients: Vec<ClientRecord>,
    pub frames: WirelessFrames,
}

impl WirelessReport {
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty() && self.clients.is_empty()
    }
}

/// Frames that show a fact: first and last, as Wireshark numbers them.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
pub struct Frames {
    pub first_packet: u64,
    pub last_packet: u64,
    pub first_timestamp: Timestamp,
    pub last_timestamp: Timestamp,
    pub count: u64,
}

impl Frames {
    fn of(first: Mark, last: Mark, count: u64) -> Frames {
        Frames {
            first_packet: first.packet,
            last_packet: last.packet,
            first_timestamp: Timestamp(first.ts),
            last_timestamp: Timestamp(last.ts),
            count,
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NetworkRecord {
    /// The access point's MAC address (pseudonymised unless `--reveal`).
    pub bssid: String,
    /// As announced, non-printable bytes escaped as `\xHH` (airodump's
    /// convention); pseudonymised unless `--reveal`.
    pub ssid: Option<String>,
    /// Beacons carried an empty or all-zero SSID.
    pub hidden: bool,
    pub channel: Option<u8>,
    pub frequency_mhz: Option<u16>,
    /// The weakest class the network offers (WIFI.md §4).
    pub class: &'static str,
    /// The policy names this SSID as the clinic's (or names none).
    pub clinic: bool,
    /// `observed` (from beacons or probe responses) or `inferred`.
    pub confidence: &'static str,
    /// Why an inferred class is what it is.
    pub inferred_from: Option<String>,
    /// Every class offered, weakest first.
    pub offered: Vec<&'static str>,
    pub modifiers: Vec<String>,
    /// Management frame protection: none, capable, required.
    pub pmf: Option<&'static str>,
    /// AKM suites by tshark's names.
    pub akms: Vec<String>,
    pub pairwise_ciphers: Vec<String>,
    pub group_cipher: Vec<String>,
    pub group_management_cipher: Option<String>,
    /// airodump-ng's ENC, CIPHER, AUTH columns.
    pub airodump: String,
    pub wps: Option<WpsRecord>,
    /// The hidden OWE network this open one stands in for.
    pub owe_transition_bssid: Option<String>,
    /// Beacons and probe responses: the first and the last.
    pub announced: Option<Frames>,
    pub beacons: u64,
    pub probe_responses: u64,
    /// Other SSIDs this BSSID answered probes for (karma/mana behaviour).
    pub other_ssids_answered: Vec<String>,
    pub class_changes: Vec<ClassChange>,
    pub clients: u64,
    /// Data frames sent without protection (not EAPOL): readable by anyone.
    pub unprotected_data: Option<Frames>,
    pub protected_data: u64,
    /// Protected data frames whose cipher header says WEP (ExtIV clear).
    pub wep_data: u64,
    pub deauthentications: DeauthRecord,
    pub signal_dbm: Option<[i8; 2]>,
    /// Reliability: the beacon interval (TU), beacons missed (gaps of more
    /// than three intervals, under a minute) and the longest gap.
    pub beacon_interval_tu: Option<u16>,
    pub beacon_gaps: u64,
    pub longest_beacon_gap_ms: u64,
    /// Times the announced channel changed (Kismet's CHANCHANGE).
    pub channel_changes: u64,
    pub seen: Frames,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
pub struct WpsRecord {
    pub configured: bool,
    pub locked: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClassChange {
    pub packet: u64,
    pub timestamp: Timestamp,
    pub from: &'static str,
    pub to: &'static str,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct DeauthRecord {
    /// Deauthentication and disassociation frames for this BSS.
    pub frames: u64,
    pub broadcast: u64,
    /// Protected (802.11w) ones, whose reason cannot be read.
    pub protected: u64,
    /// Reason codes and their names, with counts.
    pub reasons: BTreeMap<String, u64>,
    /// Bursts past the flood rule (more than 10 in 1 s or 30 in 10 s).
    pub floods: Vec<Frames>,
    pub floods_not_listed: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClientRecord {
    /// The station's MAC address (pseudonymised unless `--reveal`).
    pub mac: String,
    pub bssid: Option<String>,
    pub ssid: Option<String>,
    /// The (re)association request (its last).
    pub associated_packet: Option<u64>,
    /// What the station chose in its (re)association request.
    pub akms: Vec<String>,
    pub pairwise_ciphers: Vec<String>,
    pub pmf: Option<&'static str>,
    pub authentication: Option<&'static str>,
    pub eap: Option<EapRecord>,
    /// 4-way handshake messages captured (1-4), first and last frame.
    pub handshake: Option<HandshakeRecord>,
    pub deauthentications: u64,
    pub reassociations: u64,
    /// SSIDs named in this station's probe requests.
    pub probed_ssids: Vec<String>,
    pub probe_packet: Option<u64>,
    /// IP addresses this station used.
    #[serde(serialize_with = "as_texts")]
    #[schemars(with = "Vec<String>")]
    pub addresses: Vec<IpAddr>,
    pub data_frames: u64,
    pub retries: u64,
    pub seen: Frames,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EapRecord {
    /// The outer identity as sent (pseudonymised, realm kept, unless
    /// `--reveal`).
    pub identity: Option<String>,
    /// `anonymous`, `user` or `imsi`.
    pub identity_kind: Option<&'static str>,
    pub identity_packet: Option<u64>,
    /// Methods proposed or answered, in order, with the frame of each.
    pub methods: Vec<EapMethod>,
    /// `success` or `failure`.
    pub outcome: Option<&'static str>,
    pub outcome_packet: Option<u64>,
    /// The station's certificate subject, sent in the clear by EAP-TLS
    /// with TLS 1.2 or earlier (pseudonymised unless `--reveal`).
    pub client_certificate: Option<String>,
    pub client_certificate_packet: Option<u64>,
    /// The authentication (RADIUS) server's certificate subject.
    pub server_certificate: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EapMethod {
    pub method: &'static str,
    pub code: u8,
    pub packet: u64,
    pub timestamp: Timestamp,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HandshakeRecord {
    pub messages: Vec<u8>,
    pub frames: Frames,
    /// Message 1 carried a PMKID.
    pub pmkid_packet: Option<u64>,
    /// The deauthentication (frame) this handshake followed within 10 s:
    /// the pattern of forcing handshakes to capture them.
    pub after_deauthentication: Option<u64>,
}

/// An SSID or identity as text: printable ASCII and valid UTF-8 as they
/// are, other bytes as `\xHH`.
pub fn escaped(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => s.to_string(),
        _ => {
            use std::fmt::Write;
            let mut out = String::with_capacity(bytes.len() * 2);
            for &b in bytes {
                if (0x20..0x7f).contains(&b) && b != b'\\' {
                    out.push(b as char);
                } else {
                    let _ = write!(out, "\\x{b:02X}");
                }
            }
            out
        }
    }
}

/// tcpdump's names for reason codes (802.11-2020 Table 9-49).
pub fn reason_name(code: u16) -> &'static str {
    match code {
        1 => "unspecified",
        2 => "previous authentication no longer valid",
        3 => "deauthenticated because leaving",
        4 => "inactivity",
        5 => "AP busy",
        6 => "class 2 frame from nonauthenticated station",
        7 => "class 3 frame from nonassociated station",
        8 => "disassociated because leaving",
        9 => "not authenticated",
        14 => "MIC failure",
        15 => "4-way handshake timeout",
        16 => "group key handshake timeout",
        23 => "802.1X authentication failed",
        24 => "cipher suite rejected",
        _ => "other",
    }
}

/// The channel number of a centre frequency (2.4, 5 and 6 GHz bands).
fn channel_of(mhz: u16) -> Option<u8> {
    let channel = match mhz {
        2484 => 14,
        2412..=2472 => (mhz - 2407) / 5,
        5000..=5895 => (mhz - 5000) / 5,
        5955..=7115 => (mhz - 5950) / 5,
        _ => return None,
    };
    u8::try_from(channel).ok()
}

fn authentication_name(algorithm: u16) -> &'static str {
    match algorithm {
        0 => "open-system",
        1 => "shared-key",
        2 => "ft",
        3 => "sae",
        4..=6 => "fils",
        7 => "pasn",
        128 => "leap",
        _ => "other",
    }
}

impl Network {
    /// The class from the announcement, or inferred from what the frames
    /// show when no beacon or probe response was captured.
    fn classification(&self) -> (Classification, &'static str, Option<String>) {
        if let Some(s) = &self.security {
            return (classify::classify(s), "observed", None);
        }
        let (class, why) = if let Some(at) = self.eap {
            (
                Class::Wpa2Enterprise,
                format!("EAP exchanged (frame {})", at.packet),
            )
        } else if let Some((at, version)) = self.keys {
            match version {
                1 => (
                    Class::WpaPsk,
                    format!(
                        "EAPOL-Key descriptor version 1, HMAC-MD5/RC4 (frame {})",
                        at.packet
                    ),
                ),
                2 | 3 => (
                    Class::Wpa2Psk,
                    format!(
                        "EAPOL-Key without EAP, descriptor version {version} (frame {})",
                        at.packet
                    ),
                ),
                _ => (
                    Class::RsnUnknown,
                    format!(
                        "EAPOL-Key with an AKM-defined descriptor (frame {})",
                        at.packet
                    ),
                ),
            }
        } else if let Some(at) = self.sealed_wep.1 {
            (
                Class::Wep,
                format!("protected data with a WEP header (frame {})", at.packet),
            )
        } else if let Some(at) = self.sealed_rsn.1 {
            (
                Class::RsnUnknown,
                format!(
                    "protected data with an RSN cipher header (frame {})",
                    at.packet
                ),
            )
        } else if let Some((at, _)) = self.cleartext.1 {
            (
                Class::Open,
                format!("unprotected data frames (frame {})", at.packet),
            )
        } else {
            (
                Class::RsnUnknown,
                "no beacon, data or EAPOL frame of this network".to_string(),
            )
        };
        (
            Classification {
                class,
                offered: vec![class],
                modifiers: Vec::new(),
                pmf: None,
            },
            "inferred",
            Some(why),
        )
    }

    fn record(&self, clients: u64) -> NetworkRecord {
        let (c, confidence, inferred_from) = self.classification();
        let s = self.security.unwrap_or_default();
        let rsn = s.rsn.or(s.wpa);
        let mut akms = Vec::new();
        let mut pairwise = Vec::new();
        let mut group = Vec::new();
        for r in s
            .rsn
            .iter()
            .chain(s.wpa.iter())
            .chain(s.overrides.iter().flatten())
        {
            for list in [
                (
                    &mut akms,
                    classify::suite_names(&r.akms, classify::akm_name),
                ),
                (
                    &mut pairwise,
                    classify::suite_names(&r.pairwise, classify::cipher_name),
                ),
                (
                    &mut group,
                    classify::suite_names(&r.group, classify::cipher_name),
                ),
            ] {
                for name in list.1 {
                    if !list.0.contains(&name) {
                        list.0.push(name);
                    }
                }
            }
        }
        let d = &self.deauths;
        NetworkRecord {
            bssid: mac::mac_text(&self.bssid),
            ssid: self.ssid.as_deref().map(escaped),
            hidden: self.hidden,
            channel: self.channel.or(self.frequency.and_then(channel_of)),
            frequency_mhz: self.frequency,
            class: c.class.name(),
            clinic: false,
            confidence,
            inferred_from,
            offered: c.offered.iter().map(|c| c.name()).collect(),
            modifiers: c.modifiers,
            pmf: c.pmf.map(Pmf::name),
            akms,
            pairwise_ciphers: pairwise,
            group_cipher: group,
            group_management_cipher: rsn
                .and_then(|r| r.group_management)
                .map(|g| classify::suite_names(&g, classify::cipher_name).join(", ")),
            airodump: if self.security.is_some() {
                classify::airodump(&s)
            } else {
                String::new()
            },
            wps: s.wps.map(|w| WpsRecord {
                configured: w.configured,
                locked: w.locked,
            }),
            owe_transition_bssid: s.owe_twin.map(|m| mac::mac_text(&m)),
            announced: self
                .announced
                .map(|(a, b)| Frames::of(a, b, self.beacons + self.probe_responses)),
            beacons: self.beacons,
            probe_responses: self.probe_responses,
            other_ssids_answered: self.answered.iter().map(|s| escaped(s)).collect(),
            class_changes: self
                .changes
                .iter()
                .map(|(at, from, to)| ClassChange {
                    packet: at.packet,
                    timestamp: Timestamp(at.ts),
                    from: from.name(),
                    to: to.name(),
                })
                .collect(),
            clients,
            unprotected_data: self
                .cleartext
                .1
                .map(|(a, b)| Frames::of(a, b, self.cleartext.0)),
            protected_data: self.sealed_rsn.0 + self.sealed_wep.0,
            wep_data: self.sealed_wep.0,
            deauthentications: DeauthRecord {
                frames: d.frames,
                broadcast: d.broadcast,
                protected: d.protected,
                reasons: d
                    .reasons
                    .iter()
                    .map(|(code, n)| (format!("{code} ({})", reason_name(*code)), *n))
                    .collect(),
                floods: d
                    .floods
                    .iter()
                    .map(|(a, b, n)| Frames::of(*a, *b, *n))
                    .collect(),
                floods_not_listed: d.floods_not_listed,
            },
            signal_dbm: self.signal.map(|(lo, hi)| [lo, hi]),
            beacon_interval_tu: self.beacon_interval,
            beacon_gaps: self.beacon_gaps,
            longest_beacon_gap_ms: (self.longest_beacon_gap / 1_000_000) as u64,
            channel_changes: self.channel_changes,
            seen: Frames::of(self.seen.0, self.seen.1, 0),
        }
    }
}

impl Client {
    fn record(&self, ssid: Option<String>) -> ClientRecord {
        let chosen = self.chosen.as_ref();
        ClientRecord {
            mac: mac::mac_text(&self.mac),
            bssid: self.bssid.as_ref().map(mac::mac_text),
            ssid,
            associated_packet: self.associated.map(|a| a.packet),
            akms: chosen.map_or_else(Vec::new, |r| {
                classify::suite_names(&r.akms, classify::akm_name)
            }),
            pairwise_ciphers: chosen.map_or_else(Vec::new, |r| {
                classify::suite_names(&r.pairwise, classify::cipher_name)
            }),
            pmf: chosen.map(|r| Pmf::of(r).name()),
            authentication: self.authentication.map(authentication_name),
            eap: self.eap.as_ref().map(|e| EapRecord {
                identity: e.identity.as_ref().map(|(id, _)| escaped(id)),
                identity_kind: e
                    .identity
                    .as_ref()
                    .map(|(id, _)| match eapol::identity_kind(id) {
                        Identity::Anonymous => "anonymous",
                        Identity::Imsi => "imsi",
                        Identity::User => "user",
                    }),
                identity_packet: e.identity.as_ref().map(|(_, at)| at.packet),
                methods: e
                    .methods
                    .iter()
                    .map(|(m, at)| EapMethod {
                        method: eapol::method_name(*m),
                        code: *m,
                        packet: at.packet,
                        timestamp: Timestamp(at.ts),
                    })
                    .collect(),
                outcome: e
                    .outcome
                    .map(|(ok, _)| if ok { "success" } else { "failure" }),
                outcome_packet: e.outcome.map(|(_, at)| at.packet),
                client_certificate: e.certificates[0].as_ref().map(|(s, _)| s.clone()),
                client_certificate_packet: e.certificates[0].as_ref().map(|(_, at)| at.packet),
                server_certificate: e.certificates[1].as_ref().map(|(s, _)| s.clone()),
            }),
            handshake: self.handshake.map(|(bits, first, last)| HandshakeRecord {
                messages: (1..=4).filter(|m| bits & (1 << (m - 1)) != 0).collect(),
                frames: Frames::of(first, last, u64::from(bits.count_ones())),
                pmkid_packet: self.pmkid.map(|p| p.packet),
                after_deauthentication: self.forced_by.map(|d| d.packet),
            }),
            deauthentications: self.deauths,
            reassociations: self.reassociations,
            probed_ssids: self.probed.iter().map(|s| escaped(s)).collect(),
            probe_packet: self.probe_seen.map(|p| p.packet),
            addresses: self.addresses.clone(),
            data_frames: self.data_frames,
            retries: self.retries,
            seen: Frames::of(self.seen.0, self.seen.1, 0),
        }
    }
}

impl Wireless {
    /// The networks (by BSSID) and clients (by MAC) seen so far.
    pub fn report(&self) -> WirelessReport {
        let mut members: HashMap<Mac, u64> = HashMap::new();
        for c in &self.clients {
            if let Some(b) = c.bssid {
                *members.entry(b).or_default() += 1;
            }
        }
        let mut networks: Vec<NetworkRecord> = self
            .networks
            .iter()
            // A BSSID only ever named by a station's frames (an IBSS, a
            // station mistaken for an AP) with nothing to say is left out.
            .filter(|n| {
                n.security.is_some() || members.contains_key(&n.bssid) || n.deauths.frames > 0
            })
            .map(|n| n.record(members.get(&n.bssid).copied().unwrap_or(0)))
            .collect();
        networks.sort_by(|a, b| a.bssid.cmp(&b.bssid));
        let mut clients: Vec<ClientRecord> = self
            .clients
            .iter()
            .map(|c| {
                let ssid = c
                    .bssid
                    .and_then(|b| self.index.get(&b))
                    .and_then(|&i| self.networks[i].ssid.as_deref())
                    .map(escaped);
                c.record(ssid)
            })
            .collect();
        clients.sort_by(|a, b| a.mac.cmp(&b.mac));
        WirelessReport {
            networks,
            clients,
            frames: self.counts.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::wifi::build;

    const AP: Mac = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
    const STA: Mac = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];

    fn feed(w: &mut Wireless, frames: &[Vec<u8>]) {
        for (i, f) in frames.iter().enumerate() {
            let radio = Radio {
                frame: f,
                ..Radio::default()
            };
            let at = Mark {
                packet: i as u64 + 1,
                ts: i as i64 * 1_000_000,
            };
            w.frame(&radio, at);
        }
    }

    #[test]
    fn a_class_is_inferred_from_eap_when_no_beacon_was_captured() {
        let mut w = Wireless::default();
        let id = build::data(
            AP,
            STA,
            true,
            &build::snap(0x888e, &build::eap(2, Some(1), b"nurse7@clinic.example")),
        );
        feed(&mut w, &[id]);
        let r = w.report();
        let n = &r.networks[0];
        assert_eq!((n.class, n.confidence), ("wpa2-enterprise", "inferred"));
        assert!(
            n.inferred_from
                .as_deref()
                .unwrap()
                .contains("EAP exchanged (frame 1)")
        );
        let eap = r.clients[0].eap.as_ref().unwrap();
        assert_eq!(eap.identity.as_deref(), Some("nurse7@clinic.example"));
        assert_eq!(eap.identity_kind, Some("user"));
    }

    #[test]
    fn a_deauthentication_storm_is_bounded_and_its_floods_counted() {
        let mut w = Wireless::default();
        for i in 0..1_000_000u64 {
            let f = build::deauth(12, AP, mac::BROADCAST, AP, 7, false);
            let radio = Radio {
                frame: &f,
                ..Radio::default()
            };
            // 100 frames a second, with a 20 s pause every 100,000.
            let ts = (i * 10_000_000 + (i / 100_000) * 20 * SECOND as u64) as i64;
            w.frame(&radio, Mark { packet: i + 1, ts });
        }
        let r = w.report();
        let d = &r.networks[0].deauthentications;
        assert_eq!(
            (d.frames, d.broadcast, d.protected),
            (1_000_000, 1_000_000, 0)
        );
        assert_eq!(
            d.reasons["7 (class 3 frame from nonassociated station)"],
            1_000_000
        );
        assert_eq!(d.floods.len(), 10, "one flood per burst");
        assert_eq!(d.floods[0].first_packet, 11);
        assert!(r.clients.is_empty());
    }

    #[test]
    fn a_protected_deauthentication_has_no_reason() {
        let mut w = Wireless::default();
        feed(&mut w, &[build::deauth(12, AP, STA, AP, 0, true)]);
        let d = &w.report().networks[0].deauthentications;
        assert_eq!((d.frames, d.protected, d.reasons.len()), (1, 1, 0));
    }

    #[test]
    fn ssids_that_are_not_utf8_are_escaped_as_airodump_prints_them() {
        assert_eq!(escaped(&[0xb2, 0xe2, 0xca, 0xd4]), "\\xB2\\xE2\\xCA\\xD4");
        assert_eq!(escaped("Café".as_bytes()), "Café");
        assert_eq!(escaped(b"a\x00b"), "a\\x00b");
    }
}
