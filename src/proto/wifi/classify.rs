//! The security class of a BSS from what its beacons or probe responses
//! announce (WIFI.md §4, after 802.11-2020 §9.4.2.24 and the WFA WPA3
//! rules): every class the BSS offers (each AKM family of the RSN element,
//! the WPA element, RSN overrides), the weakest of them as its class,
//! because a client or a downgrade attacker may pick it, and the modifiers
//! that qualify it. Pure functions of the parsed elements; no state.

use super::elements::{
    CIPHER_GCMP256, CIPHER_TKIP, CIPHER_WEP40, CIPHER_WEP104, Rsn, Security, Suites,
};

/// Weakest first: the order a verdict takes "the weakest offered" in. OWE
/// encrypts but authenticates nobody; an unknown RSN AKM is not assumed
/// to be better than Personal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Open,
    Wep,
    Owe,
    RsnUnknown,
    WpaPsk,
    WpaEnterprise,
    Wpa2Psk,
    Wpa3Sae,
    Wpa2Enterprise,
    Wpa3Enterprise,
    Wpa3Enterprise192,
}

impl Class {
    pub const ALL: [Class; 11] = [
        Class::Open,
        Class::Wep,
        Class::Owe,
        Class::RsnUnknown,
        Class::WpaPsk,
        Class::WpaEnterprise,
        Class::Wpa2Psk,
        Class::Wpa3Sae,
        Class::Wpa2Enterprise,
        Class::Wpa3Enterprise,
        Class::Wpa3Enterprise192,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Open => "open",
            Class::Wep => "wep",
            Class::Owe => "owe",
            Class::RsnUnknown => "rsn-unknown",
            Class::WpaPsk => "wpa-psk",
            Class::WpaEnterprise => "wpa-enterprise",
            Class::Wpa2Psk => "wpa2-psk",
            Class::Wpa3Sae => "wpa3-sae",
            Class::Wpa2Enterprise => "wpa2-enterprise",
            Class::Wpa3Enterprise => "wpa3-enterprise",
            Class::Wpa3Enterprise192 => "wpa3-enterprise-192",
        }
    }

    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Shared-key classes: anyone who knows the passphrase is in.
    pub fn personal(self) -> bool {
        matches!(self, Class::WpaPsk | Class::Wpa2Psk | Class::Wpa3Sae)
    }

    pub fn enterprise(self) -> bool {
        matches!(
            self,
            Class::WpaEnterprise
                | Class::Wpa2Enterprise
                | Class::Wpa3Enterprise
                | Class::Wpa3Enterprise192
        )
    }
}

crate::display_by_name!(Class);

/// Management frame protection (802.11w) as the RSN capabilities state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pmf {
    None,
    Capable,
    Required,
}

impl Pmf {
    pub fn of(rsn: &Rsn) -> Pmf {
        if rsn.mfp_required() {
            Pmf::Required
        } else if rsn.mfp_capable() {
            Pmf::Capable
        } else {
            Pmf::None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Pmf::None => "none",
            Pmf::Capable => "capable",
            Pmf::Required => "required",
        }
    }
}

// AKM families (00-0F-AC:n).
const PSK: [u32; 5] = [2, 4, 6, 19, 20];
const SAE: [u32; 4] = [8, 9, 24, 25];
const ENTERPRISE: [u32; 11] = [1, 3, 5, 11, 13, 14, 15, 16, 17, 22, 23];
/// 802.1X with SHA-256/384 key derivation: what WPA3-Enterprise asks for.
const ENTERPRISE_SHA2: [u32; 2] = [5, 23];
const FT: [u32; 9] = [3, 4, 9, 13, 16, 17, 19, 22, 25];
const OWE: u32 = 18;

/// The verdict on one BSS's announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The weakest class offered.
    pub class: Class,
    /// Every class offered, weakest first.
    pub offered: Vec<Class>,
    /// `transition`, `tkip`, `wep-group`, `ft`, `override(<class>)`,
    /// `h2e`, `sae-pk`, `dpp`.
    pub modifiers: Vec<String>,
    /// `None` for networks without RSN.
    pub pmf: Option<Pmf>,
}

/// Classes one RSN-layout element offers, by its AKMs.
fn rsn_classes(rsn: &Rsn, into: &mut Vec<Class>, modifiers: &mut Vec<String>) {
    let akms = &rsn.akms;
    let pmf = Pmf::of(rsn);
    if akms.has(OWE) {
        into.push(Class::Owe);
    }
    // Suite B 192: AKM 12, or FT-802.1X-SHA384 (13) with GCMP-256.
    let suite_b = akms.has(12) || (akms.has(13) && rsn.pairwise.has(CIPHER_GCMP256));
    if suite_b {
        into.push(Class::Wpa3Enterprise192);
    }
    let enterprise: Vec<u32> = ENTERPRISE
        .into_iter()
        .filter(|&n| akms.has(n) && !(suite_b && n == 13))
        .collect();
    if !enterprise.is_empty() {
        let sha2 = enterprise.iter().any(|n| ENTERPRISE_SHA2.contains(n));
        let legacy = enterprise.iter().any(|n| !ENTERPRISE_SHA2.contains(n));
        if legacy {
            into.push(Class::Wpa2Enterprise);
        }
        if sha2 && pmf != Pmf::None && (legacy || pmf == Pmf::Required) {
            into.push(Class::Wpa3Enterprise);
        } else if sha2 && !legacy {
            // SHA-256 802.1X without PMF required is not WPA3.
            into.push(Class::Wpa2Enterprise);
        }
        if sha2 && legacy {
            modifiers.push("transition".into());
        }
    }
    if akms.any(&SAE) || akms.dpp {
        into.push(Class::Wpa3Sae);
        if akms.dpp {
            modifiers.push("dpp".into());
        }
        if akms.any(&PSK) {
            modifiers.push("transition".into());
        }
    }
    if akms.any(&PSK) {
        into.push(Class::Wpa2Psk);
    }
    let known = [OWE, 12]
        .iter()
        .chain(&ENTERPRISE)
        .chain(&SAE)
        .chain(&PSK)
        .any(|&n| akms.has(n))
        || akms.dpp;
    if !known {
        into.push(Class::RsnUnknown);
    }
    if akms.any(&FT) {
        modifiers.push("ft".into());
    }
}

fn weak_ciphers(rsn: &Rsn, modifiers: &mut Vec<String>) {
    if rsn.pairwise.has(CIPHER_TKIP) || rsn.group.has(CIPHER_TKIP) {
        modifiers.push("tkip".into());
    }
    if rsn.group.any(&[CIPHER_WEP40, CIPHER_WEP104]) {
        modifiers.push("wep-group".into());
    }
}

pub fn classify(s: &Security) -> Classification {
    let mut offered = Vec::new();
    let mut modifiers = Vec::new();
    let mut pmf = None;
    if let Some(rsn) = &s.rsn {
        rsn_classes(rsn, &mut offered, &mut modifiers);
        weak_ciphers(rsn, &mut modifiers);
        pmf = Some(Pmf::of(rsn));
    }
    if let Some(wpa) = &s.wpa {
        let before = offered.len();
        if wpa.akms.has(1) {
            offered.push(Class::WpaEnterprise);
        }
        if wpa.akms.has(2) {
            offered.push(Class::WpaPsk);
        }
        if offered.len() == before {
            offered.push(Class::RsnUnknown);
        }
        weak_ciphers(wpa, &mut modifiers);
    }
    for o in s.overrides.iter().flatten() {
        let mut classes = Vec::new();
        rsn_classes(o, &mut classes, &mut Vec::new());
        if let Some(strongest) = classes.iter().max() {
            modifiers.push(format!("override({strongest})"));
        }
        // PMF stays the RSN element's: what the clients of the weakest
        // class get.
        offered.extend(classes);
    }
    if s.rsn.is_none() && s.wpa.is_none() {
        offered.push(if s.privacy { Class::Wep } else { Class::Open });
        if s.owe_twin.is_some() && !s.privacy {
            modifiers.push("transition".into());
        }
    }
    if s.mobility_domain {
        modifiers.push("ft".into());
    }
    if s.sae_h2e {
        modifiers.push("h2e".into());
    }
    if s.sae_pk {
        modifiers.push("sae-pk".into());
    }
    offered.sort();
    offered.dedup();
    modifiers.sort();
    modifiers.dedup();
    Classification {
        class: offered[0],
        offered,
        modifiers,
        pmf,
    }
}

/// tshark's names for the AKM suites (00-0F-AC:n), numbers where tshark
/// has none.
pub fn akm_name(n: u32) -> &'static str {
    match n {
        1 => "WPA",
        2 => "PSK",
        3 => "FT over IEEE 802.1X",
        4 => "FT using PSK",
        5 => "WPA (SHA256)",
        6 => "PSK (SHA256)",
        7 => "TDLS / TPK Handshake (SHA256)",
        8 => "SAE (SHA256)",
        9 => "FT using SAE (SHA256)",
        11 => "WPA (SHA256-SuiteB)",
        12 => "WPA (SHA384-SuiteB)",
        13 => "FT over IEEE 802.1X (SHA384)",
        14 => "FILS (SHA256 and AES-SIV-256)",
        15 => "FILS (SHA384 and AES-SIV-512)",
        16 => "FT over FILS (SHA256 and AES-SIV-256)",
        17 => "FT over FILS (SHA384 and AES-SIV-512)",
        18 => "Opportunistic Wireless Encryption",
        19 => "FT using PSK (SHA384)",
        20 => "PSK (SHA384)",
        21 => "PASN",
        22 => "22 (FT over IEEE 802.1X SHA384)",
        23 => "23 (IEEE 802.1X SHA384)",
        24 => "24 (SAE-EXT-KEY)",
        25 => "25 (FT-SAE-EXT-KEY)",
        _ => "other",
    }
}

/// tshark's names for the cipher suites.
pub fn cipher_name(n: u32) -> &'static str {
    match n {
        0 => "None",
        1 => "WEP (40-bit)",
        2 => "TKIP",
        3 => "AES (OCB)",
        4 => "AES (CCM)",
        5 => "WEP (104-bit)",
        6 => "BIP (128)",
        7 => "Group addressed traffic not allowed",
        8 => "GCMP (128)",
        9 => "GCMP (256)",
        10 => "CCMP (256)",
        11 => "BIP (GMAC-128)",
        12 => "BIP (GMAC-256)",
        13 => "BIP (CMAC-256)",
        _ => "other",
    }
}

/// Names of a suite set, with vendor suites counted.
pub fn suite_names(s: &Suites, name: fn(u32) -> &'static str) -> Vec<String> {
    let mut out: Vec<String> = s.numbers().map(|n| name(n).to_string()).collect();
    if s.dpp {
        out.push("DPP".into());
    }
    if s.other > 0 {
        out.push(format!("{} vendor suite(s)", s.other));
    }
    out
}

/// airodump-ng's ENC, CIPHER and AUTH columns, all flags of each, in its
/// order ("WPA3 WPA2", "CCMP TKIP", "SAE PSK"), so its users recognise the
/// network.
pub fn airodump(s: &Security) -> String {
    let mut enc = Vec::new();
    let mut cipher = Vec::new();
    let mut auth = Vec::new();
    let all: Vec<&Rsn> = s.rsn.iter().chain(s.overrides.iter().flatten()).collect();
    let akm = |n: u32| all.iter().any(|r| r.akms.has(n));
    if akm(8) || akm(18) {
        enc.push("WPA3");
    }
    if !all.is_empty() {
        enc.push("WPA2");
    }
    if s.wpa.is_some() {
        enc.push("WPA");
    }
    if enc.is_empty() {
        enc.push(if s.privacy { "WEP" } else { "OPN" });
    }
    let ciphers: Vec<&Rsn> = all.iter().copied().chain(s.wpa.iter()).collect();
    let has = |n: u32| ciphers.iter().any(|r| r.pairwise.has(n) || r.group.has(n));
    for (n, name) in [
        (4, "CCMP"),
        (3, "WRAP"),
        (2, "TKIP"),
        (5, "WEP104"),
        (1, "WEP40"),
    ] {
        if has(n) {
            cipher.push(name);
        }
    }
    if s.rsn.is_none() && s.wpa.is_none() && s.privacy {
        cipher.push("WEP");
    }
    let wpa_akm = |n: u32| s.wpa.is_some_and(|w| w.akms.has(n));
    for (yes, name) in [
        (akm(8), "SAE"),
        (akm(1) || wpa_akm(1), "MGT"),
        (akm(6) || akm(13), "CMAC"),
        (akm(2) || wpa_akm(2), "PSK"),
        (akm(18), "OWE"),
    ] {
        if yes {
            auth.push(name);
        }
    }
    [enc.join(" "), cipher.join(" "), auth.join(" ")]
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    //! One test per row of WIFI.md §4's decision table, plus its modifiers.
    use super::*;
    use crate::proto::wifi::build;
    use crate::proto::wifi::elements::announcement;

    fn classify_body(privacy: bool, body: &[u8]) -> Classification {
        classify(&announcement(body, privacy).security)
    }

    fn rsn(pairwise: &[u8], akms: &[u8], caps: u16) -> Vec<u8> {
        build::rsne(pairwise, akms, caps)
    }

    fn names(c: &Classification) -> (String, Vec<&'static str>, Vec<String>, Option<&str>) {
        (
            c.class.to_string(),
            c.offered.iter().map(|c| c.name()).collect(),
            c.modifiers.clone(),
            c.pmf.map(Pmf::name),
        )
    }

    #[test]
    fn row_1_open_and_its_owe_transition_twin() {
        let open = classify_body(false, &build::element(0, b"guest"));
        assert_eq!(names(&open).0, "open");
        assert_eq!(open.pmf, None);
        let twin = build::vendor([0x50, 0x6f, 0x9a], 0x1c, &[2, 0, 0, 0, 0, 9, 0]);
        assert_eq!(classify_body(false, &twin).modifiers, ["transition"]);
    }

    #[test]
    fn row_2_wep() {
        assert_eq!(classify_body(true, &[]).class, Class::Wep);
        assert_eq!(airodump(&announcement(&[], true).security), "WEP, WEP");
        assert_eq!(airodump(&announcement(&[], false).security), "OPN");
    }

    #[test]
    fn row_3_wpa1_personal_and_enterprise() {
        let psk = classify_body(true, &build::wpa_ie(2, &[2]));
        assert_eq!(names(&psk).0, "wpa-psk");
        assert_eq!(psk.modifiers, ["tkip"]);
        let ent = classify_body(true, &build::wpa_ie(2, &[1]));
        assert_eq!(ent.class, Class::WpaEnterprise);
        assert_eq!(
            airodump(&announcement(&build::wpa_ie(2, &[2]), true).security),
            "WPA, TKIP, PSK"
        );
    }

    #[test]
    fn row_4_owe() {
        let c = classify_body(true, &rsn(&[4], &[18], 0x00c0));
        assert_eq!(
            names(&c),
            ("owe".into(), vec!["owe"], vec![], Some("required"))
        );
    }

    #[test]
    fn row_5_suite_b_192() {
        let c = classify_body(true, &rsn(&[9], &[12], 0x00c0));
        assert_eq!(c.class, Class::Wpa3Enterprise192);
        let ft = classify_body(true, &rsn(&[9], &[13], 0x00c0));
        assert_eq!(
            (ft.class, ft.modifiers.clone()),
            (Class::Wpa3Enterprise192, vec!["ft".to_string()])
        );
    }

    #[test]
    fn row_6_enterprise_wpa2_wpa3_and_transition() {
        let wpa2 = classify_body(true, &rsn(&[4], &[1], 0));
        assert_eq!(
            names(&wpa2),
            (
                "wpa2-enterprise".into(),
                vec!["wpa2-enterprise"],
                vec![],
                Some("none")
            )
        );
        let wpa3 = classify_body(true, &rsn(&[4], &[5], 0x00c0));
        assert_eq!(wpa3.class, Class::Wpa3Enterprise);
        let mixed = classify_body(true, &rsn(&[4], &[1, 5], 0x0080));
        assert_eq!(
            names(&mixed),
            (
                "wpa2-enterprise".into(),
                vec!["wpa2-enterprise", "wpa3-enterprise"],
                vec!["transition".into()],
                Some("capable")
            )
        );
        // SHA-256 802.1X without PMF required is not WPA3-Enterprise.
        assert_eq!(
            classify_body(true, &rsn(&[4], &[5], 0x0080)).class,
            Class::Wpa2Enterprise
        );
        // AKM 1 with PMF required stays WPA2-Enterprise (pmf says required).
        let strict = classify_body(true, &rsn(&[4], &[1], 0x00c0));
        assert_eq!(
            (strict.class, strict.pmf),
            (Class::Wpa2Enterprise, Some(Pmf::Required))
        );
        assert_eq!(
            airodump(&announcement(&rsn(&[4], &[1], 0), true).security),
            "WPA2, CCMP, MGT"
        );
    }

    #[test]
    fn row_7_sae_and_its_transition_mode() {
        let sae = classify_body(true, &rsn(&[4], &[8], 0x00c0));
        assert_eq!(
            names(&sae),
            (
                "wpa3-sae".into(),
                vec!["wpa3-sae"],
                vec![],
                Some("required")
            )
        );
        let transition = classify_body(true, &rsn(&[4], &[2, 8], 0x0080));
        assert_eq!(
            names(&transition),
            (
                "wpa2-psk".into(),
                vec!["wpa2-psk", "wpa3-sae"],
                vec!["transition".into()],
                Some("capable")
            )
        );
        let mut h2e = rsn(&[4], &[8], 0x00c0);
        h2e.extend(build::element(244, &[0x20]));
        assert_eq!(classify_body(true, &h2e).modifiers, ["h2e"]);
        assert_eq!(
            airodump(&announcement(&rsn(&[4], &[2, 8], 0x0080), true).security),
            "WPA3 WPA2, CCMP, SAE PSK"
        );
    }

    #[test]
    fn row_8_wpa2_personal_with_wpa1_and_tkip() {
        let c = classify_body(true, &rsn(&[4], &[2], 0));
        assert_eq!(
            names(&c),
            ("wpa2-psk".into(), vec!["wpa2-psk"], vec![], Some("none"))
        );
        let mut mixed = rsn(&[4, 2], &[2], 0);
        mixed.extend(build::wpa_ie(2, &[2]));
        let m = classify_body(true, &mixed);
        assert_eq!(
            (m.class, m.modifiers.clone()),
            (Class::WpaPsk, vec!["tkip".to_string()])
        );
        assert_eq!(m.offered, [Class::WpaPsk, Class::Wpa2Psk]);
    }

    #[test]
    fn row_9_dpp_and_row_10_unknown_akms() {
        let mut dpp = vec![48, 14, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 4, 1, 0];
        dpp.extend_from_slice(&[0x50, 0x6f, 0x9a, 2]);
        dpp[1] = (dpp.len() - 2) as u8;
        let c = classify_body(true, &dpp);
        assert_eq!(
            (c.class, c.modifiers.clone()),
            (Class::Wpa3Sae, vec!["dpp".to_string()])
        );
        let mut cckm = dpp.clone();
        let n = cckm.len();
        cckm[n - 4..].copy_from_slice(&[0x00, 0x40, 0x96, 0]);
        assert_eq!(classify_body(true, &cckm).class, Class::RsnUnknown);
    }

    #[test]
    fn modifiers_wep_group_ft_and_rsn_override() {
        let mut wep_group = rsn(&[4], &[2], 0);
        wep_group[7] = 1; // group cipher 00-0F-AC:1
        assert_eq!(classify_body(true, &wep_group).modifiers, ["wep-group"]);
        let mut md = rsn(&[4], &[2], 0);
        md.extend(build::element(54, &[1, 2, 0]));
        assert_eq!(classify_body(true, &md).modifiers, ["ft"]);
        // WPA3 compatibility mode: WPA2-looking RSNE, SAE in the override.
        let mut compat = rsn(&[4], &[2], 0);
        let o = rsn(&[4], &[8], 0x00c0);
        compat.extend(build::vendor([0x50, 0x6f, 0x9a], 0x29, &o[2..]));
        let c = classify_body(true, &compat);
        assert_eq!(
            names(&c),
            (
                "wpa2-psk".into(),
                vec!["wpa2-psk", "wpa3-sae"],
                vec!["override(wpa3-sae)".into()],
                Some("none")
            )
        );
    }
}
