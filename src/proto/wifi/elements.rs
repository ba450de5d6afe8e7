//! Information elements (802.11-2020 §9.4.2) and the security ones read
//! from them: the RSN element (48), the WPA vendor element, RSN overriding
//! (Wi-Fi 7 "compatibility mode"), RSNXE (244), the OWE transition element,
//! WPS, Mobility Domain (54). Suites are kept as bit sets, so a parsed
//! element is a small `Copy` value: nothing is allocated per frame. A
//! length that runs past the end ends the walk and keeps what came before;
//! an RSN element may end after any field, and the standard's defaults
//! fill the rest.

use super::mac::Mac;

/// Walks the elements of a management frame body.
pub fn elements(body: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = body;
    std::iter::from_fn(move || {
        let (&id, tail) = rest.split_first()?;
        let (&len, tail) = tail.split_first()?;
        let value = tail.get(..usize::from(len))?;
        rest = &tail[usize::from(len)..];
        Some((id, value))
    })
}

pub const SSID: u8 = 0;
pub const DS_PARAMETER: u8 = 3;
pub const RSN: u8 = 48;
pub const MOBILITY_DOMAIN: u8 = 54;
pub const VENDOR: u8 = 221;
pub const RSNX: u8 = 244;

const IEEE: [u8; 3] = [0x00, 0x0f, 0xac];
const MICROSOFT: [u8; 3] = [0x00, 0x50, 0xf2];
const WFA: [u8; 3] = [0x50, 0x6f, 0x9a];

/// A set of suites: bit n for the IEEE suite 00-0F-AC:n (the WPA
/// element's 00-50-F2:n use the same numbers for the ciphers and the two
/// AKMs it has), plus flags for the few others seen in the field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Suites {
    pub ieee: u32,
    /// WFA DPP (50-6F-9A:02).
    pub dpp: bool,
    /// Suites of another organisation (Cisco CCKM, ...), or IEEE numbers
    /// past 31: counted, not named.
    pub other: u8,
}

impl Suites {
    pub fn has(&self, n: u32) -> bool {
        n < 32 && self.ieee & (1 << n) != 0
    }

    pub fn any(&self, set: &[u32]) -> bool {
        set.iter().any(|&n| self.has(n))
    }

    pub fn is_empty(&self) -> bool {
        self.ieee == 0 && !self.dpp && self.other == 0
    }

    pub fn numbers(&self) -> impl Iterator<Item = u32> + '_ {
        (0..32).filter(|n| self.has(*n))
    }

    fn add(&mut self, suite: &[u8], oui: [u8; 3]) {
        match (suite[..3] == oui, suite[3]) {
            (true, n) if n < 32 => self.ieee |= 1 << n,
            _ if suite[..3] == WFA && suite[3] == 2 => self.dpp = true,
            _ => self.other = self.other.saturating_add(1),
        }
    }

    fn one(suite: &[u8], oui: [u8; 3]) -> Suites {
        let mut s = Suites::default();
        s.add(suite, oui);
        s
    }
}

/// An RSN element, a WPA element or an RSN override, with defaults
/// applied where the element ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rsn {
    pub group: Suites,
    pub pairwise: Suites,
    pub akms: Suites,
    /// RSN Capabilities; 0 when absent.
    pub capabilities: u16,
    pub pmkids: u16,
    /// Group management cipher (BIP), when given.
    pub group_management: Option<Suites>,
}

pub const CIPHER_WEP40: u32 = 1;
pub const CIPHER_TKIP: u32 = 2;
pub const CIPHER_CCMP: u32 = 4;
pub const CIPHER_WEP104: u32 = 5;
pub const CIPHER_GCMP256: u32 = 9;

impl Rsn {
    /// MFPC, bit 7: the BSS can protect management frames (802.11w).
    pub fn mfp_capable(&self) -> bool {
        self.capabilities & 0x0080 != 0
    }

    /// MFPR, bit 6: it requires it.
    pub fn mfp_required(&self) -> bool {
        self.capabilities & 0x0040 != 0
    }
}

/// Reads an RSN-layout body (version, group, pairwise list, AKM list,
/// capabilities, PMKIDs, group management) whose suites carry `oui`.
fn rsn_layout(body: &[u8], oui: [u8; 3]) -> Option<Rsn> {
    let version = u16::from_le_bytes(body.get(..2)?.try_into().ok()?);
    if version != 1 {
        return None;
    }
    let ccmp = Suites {
        ieee: 1 << CIPHER_CCMP,
        ..Suites::default()
    };
    let mut rsn = Rsn {
        group: ccmp,
        pairwise: ccmp,
        akms: Suites {
            ieee: 1 << 1,
            ..Suites::default()
        },
        capabilities: 0,
        pmkids: 0,
        group_management: None,
    };
    let mut rest = &body[2..];
    let Some(group) = rest.get(..4) else {
        return Some(rsn);
    };
    rsn.group = Suites::one(group, oui);
    rest = &rest[4..];
    for which in 0..2 {
        let Some(count) = rest.get(..2) else {
            return Some(rsn);
        };
        let count = usize::from(u16::from_le_bytes([count[0], count[1]]));
        let Some(suites) = rest.get(2..2 + count * 4) else {
            // A count the element cannot hold: this list and the ones
            // after it are unknown, not defaulted (the AKM default,
            // 802.1X, would call a broken element Enterprise).
            rsn.akms = Suites::default();
            if which == 0 {
                rsn.pairwise = Suites::default();
            }
            return Some(rsn);
        };
        let mut list = Suites::default();
        for suite in suites.chunks_exact(4) {
            list.add(suite, oui);
        }
        if which == 0 {
            rsn.pairwise = list;
        } else {
            rsn.akms = list;
        }
        rest = &rest[2 + count * 4..];
    }
    let Some(caps) = rest.get(..2) else {
        return Some(rsn);
    };
    rsn.capabilities = u16::from_le_bytes([caps[0], caps[1]]);
    rest = &rest[2..];
    if let Some(count) = rest.get(..2) {
        let count = u16::from_le_bytes([count[0], count[1]]);
        rsn.pmkids = count;
        rest = rest.get(2 + usize::from(count) * 16..).unwrap_or(&[]);
        if let Some(suite) = rest.get(..4) {
            rsn.group_management = Some(Suites::one(suite, oui));
        }
    }
    Some(rsn)
}

/// The RSN element's body (802.11-2020 §9.4.2.24).
pub fn rsn(body: &[u8]) -> Option<Rsn> {
    rsn_layout(body, IEEE)
}

/// WPS as an AP announces it (Wi-Fi Simple Configuration attributes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wps {
    /// Wi-Fi Protected Setup State: 2 = configured.
    pub configured: bool,
    /// AP Setup Locked.
    pub locked: bool,
}

/// What a beacon, probe response or (re)association request says about
/// security.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Security {
    /// Capability Information bit 4.
    pub privacy: bool,
    pub rsn: Option<Rsn>,
    pub wpa: Option<Rsn>,
    /// RSN overriding elements (RSNOE, RSNO2E): what a WPA3 AP in
    /// compatibility mode really offers behind a WPA2-looking RSNE.
    pub overrides: [Option<Rsn>; 2],
    /// OWE transition element: the hidden OWE twin's BSSID.
    pub owe_twin: Option<Mac>,
    pub mobility_domain: bool,
    /// RSNXE: SAE hash-to-element, SAE-PK.
    pub sae_h2e: bool,
    pub sae_pk: bool,
    pub wps: Option<Wps>,
}

/// What the elements of one management frame say: SSID, channel,
/// security. The SSID is the first SSID element only.
#[derive(Debug, Clone, Copy, Default)]
pub struct Announcement<'a> {
    pub ssid: Option<&'a [u8]>,
    pub channel: Option<u8>,
    pub security: Security,
}

pub fn announcement(body: &[u8], privacy: bool) -> Announcement<'_> {
    let mut a = Announcement {
        security: Security {
            privacy,
            ..Security::default()
        },
        ..Announcement::default()
    };
    let mut ssid_seen = false;
    for (id, value) in elements(body) {
        let s = &mut a.security;
        match id {
            // The first SSID element only; one longer than 32 bytes
            // (802.11-2020 §9.4.2.2) is no SSID.
            SSID if !ssid_seen => {
                ssid_seen = true;
                a.ssid = (value.len() <= 32).then_some(value);
            }
            DS_PARAMETER => a.channel = value.first().copied(),
            RSN => s.rsn = s.rsn.or(rsn(value)),
            MOBILITY_DOMAIN => s.mobility_domain = true,
            RSNX => {
                let first = value.first().copied().unwrap_or(0);
                s.sae_h2e = first & 0x20 != 0;
                s.sae_pk = first & 0x40 != 0;
            }
            VENDOR if value.len() >= 4 => {
                let (oui, kind, rest) = (&value[..3], value[3], &value[4..]);
                match (oui, kind) {
                    (o, 1) if o == MICROSOFT => s.wpa = s.wpa.or(rsn_layout(rest, MICROSOFT)),
                    (o, 4) if o == MICROSOFT => s.wps = Some(wps(rest)),
                    (o, 0x1c) if o == WFA => {
                        s.owe_twin = rest.get(..6).and_then(|m| m.try_into().ok())
                    }
                    // RSNOE and RSNO2E carry an RSN element's body, from
                    // its version field on, after the vendor header
                    // (wpa_supplicant rebuilds an RSNE from exactly that).
                    (o, 0x29) if o == WFA => s.overrides[0] = rsn(rest),
                    (o, 0x2a) if o == WFA => s.overrides[1] = rsn(rest),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    a
}

/// WPS attributes (type u16, length u16, big-endian): 0x1044 Wi-Fi
/// Protected Setup State, 0x1057 AP Setup Locked.
fn wps(mut body: &[u8]) -> Wps {
    let mut w = Wps::default();
    while body.len() >= 4 {
        let kind = u16::from_be_bytes([body[0], body[1]]);
        let len = usize::from(u16::from_be_bytes([body[2], body[3]]));
        let Some(value) = body.get(4..4 + len) else {
            break;
        };
        match (kind, value.first()) {
            (0x1044, Some(&state)) => w.configured = state == 2,
            (0x1057, Some(&locked)) => w.locked = locked != 0,
            _ => {}
        }
        body = &body[4 + len..];
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::wifi::build;

    #[test]
    fn an_rsne_cut_at_every_field_boundary_keeps_the_defaults() {
        let full = build::rsne(&[4], &[8, 2], 0x0080);
        let parsed = rsn(&full[2..]).unwrap();
        assert_eq!(parsed.akms.numbers().collect::<Vec<_>>(), [2, 8]);
        assert!(parsed.mfp_capable() && !parsed.mfp_required());
        // Version only: everything defaults (CCMP, 802.1X).
        let version_only = rsn(&[1, 0]).unwrap();
        assert!(version_only.pairwise.has(CIPHER_CCMP) && version_only.akms.has(1));
        // Cut inside the AKM list: the count promises more than is there.
        let cut = rsn(&full[2..full.len() - 4]).unwrap();
        assert!(
            cut.akms.is_empty(),
            "a count beyond the element is not read"
        );
        for end in [2, 6, 12, 14, 22] {
            assert!(rsn(&full[2..2 + end]).is_some(), "cut at {end}");
        }
        assert_eq!(rsn(&[2, 0]), None, "version 2 is not RSN");
    }

    #[test]
    fn the_wpa_element_maps_its_akms_psk_and_802_1x_the_right_way_round() {
        let beacon = build::wpa_ie(2, &[2]);
        let a = announcement(&beacon, true);
        let wpa = a.security.wpa.unwrap();
        assert!(wpa.akms.has(2) && !wpa.akms.has(1), "00-50-F2:2 is PSK");
        assert!(wpa.pairwise.has(CIPHER_TKIP));
    }

    #[test]
    fn the_first_ssid_wins_and_a_long_element_ends_the_walk() {
        let mut body = build::element(SSID, b"clinic");
        body.extend(build::element(SSID, b"other"));
        body.extend(build::element(DS_PARAMETER, &[6]));
        let mut long = build::element(SSID, &[b'x'; 33]);
        long.extend(build::element(SSID, b"second"));
        assert_eq!(announcement(&long, false).ssid, None, "33 bytes is no SSID");
        body.extend_from_slice(&[RSN, 40, 1, 0]);
        let a = announcement(&body, false);
        assert_eq!((a.ssid, a.channel), (Some(&b"clinic"[..]), Some(6)));
        assert!(a.security.rsn.is_none());
    }

    #[test]
    fn wps_owe_transition_rsnx_and_overrides() {
        let mut body = build::vendor(MICROSOFT, 4, &[0x10, 0x44, 0, 1, 2, 0x10, 0x57, 0, 1, 1]);
        body.extend(build::vendor(WFA, 0x1c, &[2, 0, 0, 0, 0, 9, 0]));
        body.extend(build::element(RSNX, &[0x20]));
        let rsne = build::rsne(&[4], &[8], 0x00c0);
        body.extend(build::vendor(WFA, 0x29, &rsne[2..]));
        let s = announcement(&body, true).security;
        assert_eq!(
            s.wps,
            Some(Wps {
                configured: true,
                locked: true
            })
        );
        assert_eq!(s.owe_twin, Some([2, 0, 0, 0, 0, 9]));
        assert!(s.sae_h2e && !s.sae_pk);
        assert!(s.overrides[0].unwrap().akms.has(8));
    }
}
