//! Builders that emit 802.11 frames, elements, link headers and EAPOL
//! from a description (smoltcp's `Repr::emit` style), for the tests, the
//! fuzz seeds and the capture examples. Must never be used on the packet
//! path.

use super::mac::{BROADCAST, Mac};

/// One element: id, length, value (values over 255 bytes are cut).
pub fn element(id: u8, value: &[u8]) -> Vec<u8> {
    let value = &value[..value.len().min(255)];
    let mut e = vec![id, value.len() as u8];
    e.extend_from_slice(value);
    e
}

/// A vendor element (221): OUI, type, body.
pub fn vendor(oui: [u8; 3], kind: u8, body: &[u8]) -> Vec<u8> {
    let mut v = oui.to_vec();
    v.push(kind);
    v.extend_from_slice(body);
    element(221, &v)
}

fn suites(oui: [u8; 3], list: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(list.len() as u16).to_le_bytes());
    for &n in list {
        out.extend_from_slice(&oui);
        out.push(n);
    }
}

/// An RSN element: version 1, group CCMP (or TKIP when TKIP is the only
/// pairwise cipher), the pairwise and AKM suites (00-0F-AC numbers), the
/// RSN capabilities.
pub fn rsne(pairwise: &[u8], akms: &[u8], capabilities: u16) -> Vec<u8> {
    let oui = [0x00, 0x0f, 0xac];
    let group = if pairwise.contains(&2) {
        2
    } else {
        pairwise[0]
    };
    let mut body = vec![1, 0];
    body.extend_from_slice(&oui);
    body.push(group);
    suites(oui, pairwise, &mut body);
    suites(oui, akms, &mut body);
    body.extend_from_slice(&capabilities.to_le_bytes());
    element(48, &body)
}

/// The WPA vendor element (00-50-F2 type 1) with one cipher for group and
/// pairwise, and AKMs 1 (802.1X) or 2 (PSK).
pub fn wpa_ie(cipher: u8, akms: &[u8]) -> Vec<u8> {
    let oui = [0x00, 0x50, 0xf2];
    let mut body = vec![1, 0];
    body.extend_from_slice(&oui);
    body.push(cipher);
    suites(oui, &[cipher], &mut body);
    suites(oui, akms, &mut body);
    vendor(oui, 1, &body)
}

/// A management frame: type 0, `subtype`, no flags.
pub fn management(subtype: u8, da: Mac, sa: Mac, bssid: Mac, body: &[u8]) -> Vec<u8> {
    header(subtype << 4, 0, da, sa, bssid, body)
}

/// A frame with a 24-byte header.
pub fn header(fc0: u8, fc1: u8, a1: Mac, a2: Mac, a3: Mac, body: &[u8]) -> Vec<u8> {
    let mut f = vec![fc0, fc1, 0, 0];
    f.extend_from_slice(&a1);
    f.extend_from_slice(&a2);
    f.extend_from_slice(&a3);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(body);
    f
}

/// A beacon: timestamp, interval 100 TU, capabilities (ESS, and Privacy
/// when `privacy`), then the elements.
pub fn beacon(bssid: Mac, privacy: bool, elements: &[u8]) -> Vec<u8> {
    management(8, BROADCAST, bssid, bssid, &fixed_beacon(privacy, elements))
}

/// A probe response to `station`.
pub fn probe_response(bssid: Mac, station: Mac, privacy: bool, elements: &[u8]) -> Vec<u8> {
    management(5, station, bssid, bssid, &fixed_beacon(privacy, elements))
}

fn fixed_beacon(privacy: bool, elements: &[u8]) -> Vec<u8> {
    let mut body = vec![0; 8];
    body.extend_from_slice(&100u16.to_le_bytes());
    let caps: u16 = 0x0001 | if privacy { 0x0010 } else { 0 };
    body.extend_from_slice(&caps.to_le_bytes());
    body.extend_from_slice(elements);
    body
}

/// An SSID element then an RSN or other security elements: the elements
/// of a beacon.
pub fn ssid_and(ssid: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut e = element(0, ssid);
    e.extend_from_slice(rest);
    e
}

/// An association request from `station` carrying `elements` (the SSID
/// and the RSN element with the AKM and cipher the station chose).
pub fn assoc_request(bssid: Mac, station: Mac, elements: &[u8]) -> Vec<u8> {
    let mut body = vec![0x11, 0, 10, 0];
    body.extend_from_slice(elements);
    management(0, bssid, station, bssid, &body)
}

/// An authentication frame: algorithm, transaction sequence, status.
pub fn auth(from: Mac, to: Mac, bssid: Mac, algorithm: u16, seq: u16, status: u16) -> Vec<u8> {
    let mut body = algorithm.to_le_bytes().to_vec();
    body.extend_from_slice(&seq.to_le_bytes());
    body.extend_from_slice(&status.to_le_bytes());
    management(11, to, from, bssid, &body)
}

/// A deauthentication (12) or disassociation (10) frame with a reason;
/// `protected` sets the Protected bit, as PMF does.
pub fn deauth(
    subtype: u8,
    from: Mac,
    to: Mac,
    bssid: Mac,
    reason: u16,
    protected: bool,
) -> Vec<u8> {
    let fc1 = if protected { 0x40 } else { 0 };
    header(subtype << 4, fc1, to, from, bssid, &reason.to_le_bytes())
}

/// A probe request for `ssid` (empty: wildcard).
pub fn probe_request(station: Mac, ssid: &[u8]) -> Vec<u8> {
    management(4, BROADCAST, station, BROADCAST, &element(0, ssid))
}

/// A data frame between `station` and its AP: towards the AP when
/// `to_ap`, from it otherwise.
pub fn data(bssid: Mac, station: Mac, to_ap: bool, body: &[u8]) -> Vec<u8> {
    if to_ap {
        header(0x08, 0x01, bssid, station, bssid, body)
    } else {
        header(0x08, 0x02, station, bssid, bssid, body)
    }
}

/// A protected data frame: a cipher header with ExtIV set (`rsn`) or not
/// (WEP), then opaque bytes.
pub fn protected_data(bssid: Mac, station: Mac, rsn: bool) -> Vec<u8> {
    let mut f = data(bssid, station, true, &[]);
    f[1] |= 0x40;
    let key_id = if rsn { 0x20 } else { 0x00 };
    f.extend_from_slice(&[1, 0x20, 0, key_id, 0, 0, 0, 0]);
    f.extend_from_slice(&[0x5a; 40]);
    f
}

/// LLC/SNAP then a payload of `ethertype`.
pub fn snap(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xaa, 0xaa, 0x03, 0, 0, 0];
    s.extend_from_slice(&ethertype.to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// An EAPOL frame (version 2) of `kind` with `body`.
pub fn eapol(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut e = vec![2, kind];
    e.extend_from_slice(&(body.len() as u16).to_be_bytes());
    e.extend_from_slice(body);
    e
}

/// An EAP packet in an EAPOL frame.
pub fn eap(code: u8, method: Option<u8>, data: &[u8]) -> Vec<u8> {
    let mut p = vec![code, 1, 0, 0];
    p.extend(method);
    p.extend_from_slice(data);
    let len = p.len() as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
    eapol(0, &p)
}

/// Message `n` of the 4-way handshake (RSN descriptor, HMAC-SHA1/AES),
/// message 1 with a PMKID KDE when `pmkid`.
pub fn eapol_key(n: u8, pmkid: bool) -> Vec<u8> {
    // Message 4 is Secure in RSN; message 3 also has encrypted key data.
    let info: u16 = 0x0002
        | 0x0008
        | match n {
            1 => 0x0080,
            2 => 0x0100,
            4 => 0x0100 | 0x0200,
            _ => 0x0080 | 0x0100 | 0x0040 | 0x0200 | 0x1000,
        };
    let mut k = vec![2];
    k.extend_from_slice(&info.to_be_bytes());
    k.extend_from_slice(&16u16.to_be_bytes());
    k.extend_from_slice(&u64::from(n).to_be_bytes());
    let nonce = if n == 4 { [0u8; 32] } else { [n; 32] };
    k.extend_from_slice(&nonce);
    k.extend_from_slice(&[0; 16 + 8 + 8 + 16]);
    let data = match n {
        1 if pmkid => {
            let mut kde = vec![0xdd, 20, 0x00, 0x0f, 0xac, 0x04];
            kde.extend_from_slice(&[0xab; 16]);
            kde
        }
        // Message 2 carries the station's RSN element.
        2 => rsne(&[4], &[2], 0),
        3 => vec![0x5a; 56],
        _ => Vec::new(),
    };
    k.extend_from_slice(&(data.len() as u16).to_be_bytes());
    k.extend_from_slice(&data);
    eapol(3, &k)
}

/// `frame` with its CRC-32 FCS appended.
pub fn with_fcs(frame: &[u8]) -> Vec<u8> {
    let mut f = frame.to_vec();
    f.extend_from_slice(&crc32fast::hash(frame).to_le_bytes());
    f
}

/// A radiotap header (Flags; Channel and antenna signal when given)
/// before `frame`; `fcs` sets the FCS-at-end flag.
pub fn radiotap(frame: &[u8], fcs: bool, frequency: Option<u16>, signal: Option<i8>) -> Vec<u8> {
    let mut present: u32 = 1 << 1;
    let mut fields = vec![if fcs { 0x10 } else { 0 }];
    if let Some(f) = frequency {
        present |= 1 << 3;
        fields.push(0); // align Channel to 2 (header 8 + flags 1)
        fields.extend_from_slice(&f.to_le_bytes());
        fields.extend_from_slice(&0x00a0u16.to_le_bytes());
    }
    if let Some(s) = signal {
        present |= 1 << 5;
        fields.push(s as u8);
    }
    let len = (8 + fields.len()) as u16;
    let mut h = vec![0, 0];
    h.extend_from_slice(&len.to_le_bytes());
    h.extend_from_slice(&present.to_le_bytes());
    h.extend_from_slice(&fields);
    h.extend_from_slice(frame);
    h
}

/// A PPI header with an 802.11-Common field before `frame`.
pub fn ppi(frame: &[u8], fcs: bool, frequency: u16, signal: i8) -> Vec<u8> {
    let mut common = vec![0u8; 20];
    let flags: u16 = if fcs { 1 } else { 0 };
    common[8..10].copy_from_slice(&flags.to_le_bytes());
    common[12..14].copy_from_slice(&frequency.to_le_bytes());
    common[18] = signal as u8;
    let len = (8 + 4 + common.len()) as u16;
    let mut h = vec![0, 0];
    h.extend_from_slice(&len.to_le_bytes());
    h.extend_from_slice(&105u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&20u16.to_le_bytes());
    h.extend_from_slice(&common);
    h.extend_from_slice(frame);
    h
}

/// The radiotap frames (with FCS) of a small clinic scene, with their
/// capture times in microseconds: a WPA2-Personal network (PMF off) whose
/// tablet's handshake leaks a PMKID and which suffers a deauthentication
/// flood; an open twin of the same name carrying a cleartext RTP call,
/// interrupted by a burst of deauthentications at the phone; a
/// WPA2-Enterprise network whose laptop shows its user name and is
/// offered EAP-MD5; a phone probing for its home network. The sample
/// capture `captures/wifi-clinic.pcap` and the wireless tests are made
/// from it.
pub fn clinic_scene() -> Vec<(u64, Vec<u8>)> {
    const PSK_AP: Mac = [0x00, 0x1a, 0x2b, 0x00, 0x00, 0x01];
    const TWIN_AP: Mac = [0x00, 0x1a, 0x2b, 0x00, 0x00, 0x02];
    const EAP_AP: Mac = [0x00, 0x1a, 0x2b, 0x00, 0x00, 0x03];
    const TABLET: Mac = [0x3c, 0x22, 0xfb, 0x00, 0x00, 0x10];
    const PHONE: Mac = [0x3c, 0x22, 0xfb, 0x00, 0x00, 0x11];
    const LAPTOP: Mac = [0x3c, 0x22, 0xfb, 0x00, 0x00, 0x12];
    const PROBER: Mac = [0x3c, 0x22, 0xfb, 0x00, 0x00, 0x13];
    let mut frames = Vec::new();
    let mut at = 1_700_000_000_000_000u64;
    let mut put = |gap_us: u64, frame: &[u8]| {
        at += gap_us;
        frames.push((at, radiotap(&with_fcs(frame), true, Some(2437), Some(-52))));
    };
    let eapol = |body: Vec<u8>| snap(0x888e, &body);
    let psk = ssid_and(b"ClinicStaff", &rsne(&[4], &[2], 0));
    put(1000, &beacon(PSK_AP, true, &psk));
    put(1000, &assoc_request(PSK_AP, TABLET, &psk));
    put(
        1000,
        &data(PSK_AP, TABLET, false, &eapol(eapol_key(1, true))),
    );
    put(
        1000,
        &data(PSK_AP, TABLET, true, &eapol(eapol_key(2, false))),
    );
    put(1000, &protected_data(PSK_AP, TABLET, true));
    put(1000, &beacon(TWIN_AP, false, &element(0, b"ClinicStaff")));
    for seq in 0..20u16 {
        if seq == 10 {
            // Mid-call, a burst of forged deauthentications at the phone.
            for _ in 0..12 {
                put(5_000, &deauth(12, TWIN_AP, PHONE, TWIN_AP, 7, false));
            }
        }
        for (ssrc, up) in [(0xfeed, true), (0xbeef, false)] {
            let rtp = crate::proto::rtp::build::RtpRepr {
                sequence: seq,
                ssrc,
                ..Default::default()
            }
            .emit(&[0xd5; 160]);
            let (phone, far) = (([192, 168, 7, 20], 40000), ([203, 0, 113, 9], 50000));
            let (src, dst) = if up { (phone, far) } else { (far, phone) };
            put(
                if up { 20_000 } else { 100 },
                &data(TWIN_AP, PHONE, up, &ipv4_udp(src, dst, &rtp)),
            );
        }
    }
    let enterprise = ssid_and(b"ClinicSecure", &rsne(&[4], &[1], 0x00c0));
    put(1000, &beacon(EAP_AP, true, &enterprise));
    put(
        1000,
        &data(
            EAP_AP,
            LAPTOP,
            true,
            &eapol(eap(2, Some(1), b"dr.jones@clinic.example")),
        ),
    );
    put(
        1000,
        &data(EAP_AP, LAPTOP, false, &eapol(eap(1, Some(4), &[16; 17]))),
    );
    put(
        1000,
        &data(EAP_AP, LAPTOP, false, &eapol(eap(3, None, b""))),
    );
    for _ in 0..50 {
        put(10_000, &deauth(12, PSK_AP, BROADCAST, PSK_AP, 7, false));
    }
    put(1000, &probe_request(PROBER, b"SmithFamilyHome"));
    frames
}

/// LLC/SNAP, then an IPv4/UDP packet (checksums computed).
pub fn ipv4_udp(src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let mut ip = Vec::new();
    let built = etherparse::PacketBuilder::ipv4(src.0, dst.0, 64)
        .udp(src.1, dst.1)
        .write(&mut ip, payload);
    debug_assert!(built.is_ok());
    snap(0x0800, &ip)
}
