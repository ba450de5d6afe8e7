//! Redaction, applied to every flow record on its way out of the engine (in
//! the flow store), so no output format can skip it. By default names, phone
//! numbers, SIP URI user parts, e-mail addresses and SDES identity items are
//! replaced by keyed pseudonyms: stable within one report (the same value
//! always gets the same pseudonym, so a reader can still follow a person
//! across flows) and unlinkable across reports (the key is random per run).
//! SRTP key material is never captured at all (see proto::sdp).
//!
//! Addresses outside the clinic's own networks (policy `clinic_networks`)
//! are replaced on output, in every format, by keyed pseudonyms that stay
//! valid addresses in ranges no real host uses: 240.0.0.0/4 for IPv4 and
//! 100::/64 (RFC 6666, discard) for IPv6, so tools that parse the report
//! keep working and a reader can still tell two hosts apart.

use super::model::FlowRecord;
use crate::assess::policy::Cidr;
use crate::facts::{DialogRecord, SdpRecord, SipIdentity, WirelessReport};
use sha2::{Digest, Sha256};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Clone)]
pub struct Redactor {
    key: [u8; 32],
    reveal: bool,
    clinic: std::sync::Arc<[Cidr]>,
}

impl crate::proto::record::AddressMap for Redactor {
    fn map(&self, ip: IpAddr) -> IpAddr {
        self.address(ip)
    }
}

impl Redactor {
    /// A redactor with a fresh random key; `reveal` turns redaction off.
    /// Addresses inside `clinic` are shown as they are.
    pub fn new(reveal: bool, clinic: Vec<Cidr>) -> Redactor {
        let mut key = [0u8; 32];
        match std::env::var("TELEPROBE_PSEUDONYM_KEY") {
            // A fixed key makes reports reproducible (tests, the reports/
            // folder); whoever knows it can test guesses against pseudonyms.
            Ok(secret) if !secret.is_empty() => key = Sha256::digest(secret.as_bytes()).into(),
            _ => {
                for chunk in key.chunks_mut(8) {
                    // RandomState is seeded from the operating system's randomness.
                    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                    h.write_u64(0x7465_6c65);
                    chunk.copy_from_slice(&h.finish().to_le_bytes());
                }
            }
        }
        Redactor {
            key,
            reveal,
            clinic: clinic.into(),
        }
    }

    /// A commitment to this run's pseudonym key: whoever holds the key can
    /// show it is the one that made the report's pseudonyms; the report
    /// alone reveals nothing of it. `None` with `--reveal`.
    pub fn key_commitment(&self) -> Option<String> {
        if self.reveal {
            return None;
        }
        let mut h = Sha256::new();
        h.update(b"teleprobe pseudonym key v1");
        h.update(self.key);
        Some(crate::source::digest::hex(&h.finalize()))
    }

    fn digest(&self, kind: &str, value: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(value);
        h.finalize().into()
    }

    /// Whether an address may appear as captured.
    fn shown(&self, ip: IpAddr) -> bool {
        let pseudonym = match ip {
            IpAddr::V4(v) => v.octets()[0] >= 240,
            IpAddr::V6(v) => v.segments()[..4] == [0x100, 0, 0, 0],
        };
        self.reveal
            || pseudonym
            || ip.is_loopback()
            || ip.is_unspecified()
            || ip.is_multicast()
            || self.clinic.iter().any(|c| c.contains(ip))
    }

    /// The pseudonym of an address outside the clinic (itself otherwise).
    pub fn address(&self, ip: IpAddr) -> IpAddr {
        if self.shown(ip) {
            return ip;
        }
        match ip {
            IpAddr::V4(v) => {
                let d = self.digest("ip", &v.octets());
                IpAddr::V4(Ipv4Addr::new(240 | (d[0] & 0x0f), d[1], d[2], d[3].max(1)))
            }
            IpAddr::V6(v) => {
                let d = self.digest("ip", &v.octets());
                let mut o = [0u8; 16];
                o[0] = 0x01;
                o[8..].copy_from_slice(&d[..8]);
                IpAddr::V6(Ipv6Addr::from(o))
            }
        }
    }

    /// Replaces every outside address in a text (a report, a summary).
    pub fn scrub(&self, text: &str) -> String {
        if self.reveal {
            return text.to_string();
        }
        let mut out = Vec::with_capacity(text.len());
        let _ = self.scrub_into(text.as_bytes(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes `text` to `out` with every outside address replaced; runs of
    /// address characters are slices of `text`, so nothing is allocated
    /// unless an address is rewritten.
    fn scrub_into<W: ?Sized + Write>(&self, text: &[u8], out: &mut W) -> std::io::Result<()> {
        let mut plain_from = 0;
        let mut i = 0;
        while i < text.len() {
            if !address_char(text[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < text.len() && address_char(text[i]) {
                i += 1;
            }
            let run = std::str::from_utf8(&text[start..i]).unwrap_or_default();
            if let Some(new) = self.scrub_run(run) {
                out.write_all(&text[plain_from..start])?;
                out.write_all(new.as_bytes())?;
                plain_from = i;
            }
        }
        out.write_all(&text[plain_from..])
    }

    /// Serializes `value` as JSON (pretty or compact) into `out`, every
    /// outside address in its strings pseudonymised on the way: the strings
    /// are rewritten as serde_json writes them, numbers and structure are
    /// never scanned, and nothing is held but the string being written.
    pub fn to_json_writer<W: Write, T: serde::Serialize + ?Sized>(
        &self,
        out: W,
        value: &T,
        pretty: bool,
    ) -> serde_json::Result<()> {
        // Typed addresses are pseudonymised as they are written (no text
        // scan, no parse); other strings are scanned by the formatter.
        let _map = (!self.reveal)
            .then(|| crate::proto::record::use_address_map(std::sync::Arc::new(self.clone())));
        let _copier = crate::text::OwnJsonCopier::start(pretty);
        if pretty {
            let f = ScrubFormatter::new(serde_json::ser::PrettyFormatter::new(), self);
            value.serialize(&mut serde_json::Serializer::with_formatter(out, f))
        } else {
            let f = ScrubFormatter::new(serde_json::ser::CompactFormatter, self);
            value.serialize(&mut serde_json::Serializer::with_formatter(out, f))
        }
    }

    /// One run of address characters, rewritten if it holds an outside
    /// address; `None` (no allocation) when it stays as it is.
    fn scrub_run(&self, run: &str) -> Option<String> {
        // Most runs are numbers or hex: cheap rejections first.
        if !may_hold_address(run.as_bytes()) {
            return None;
        }
        let colons = run.bytes().filter(|&b| b == b':').count();
        // The colon of a URI scheme starts the run: "sip:192.0.2.1:5060"
        // (not an IPv6 "::1").
        if let Some(rest) = run.strip_prefix(':').filter(|r| !r.starts_with(':')) {
            return self.scrub_run(rest).map(|new| format!(":{new}"));
        }
        let trimmed = run.trim_end_matches('.');
        let tail = &run[trimmed.len()..];
        if colons >= 2 {
            if let Ok(v6) = trimmed.parse::<Ipv6Addr>() {
                let new = self.address(IpAddr::V6(v6));
                return (new != IpAddr::V6(v6)).then(|| format!("{new}{tail}"));
            }
        }
        let (head, rest) = match trimmed.find(':') {
            Some(i) => trimmed.split_at(i),
            None => (trimmed, ""),
        };
        let v4 = head.parse::<Ipv4Addr>().ok()?;
        let new = self.address(IpAddr::V4(v4));
        (new != IpAddr::V4(v4)).then(|| format!("{new}{rest}{tail}"))
    }

    /// A pseudonym such as `name-5f3a9c` for a value.
    pub fn pseudonym(&self, kind: &str, value: &str) -> String {
        let d = self.digest(kind, value.as_bytes());
        format!("{kind}-{:02x}{:02x}{:02x}", d[0], d[1], d[2])
    }

    /// `sip:+15551234567@clinic.example;user=phone` → `sip:user-1a2b3c@clinic.example;user=phone`.
    fn uri(&self, uri: &str) -> String {
        for scheme in ["sip:", "sips:"] {
            if let Some(rest) = uri.strip_prefix(scheme) {
                return match rest.split_once('@') {
                    Some((user, host)) => {
                        let user = user.split([';', ':']).next().unwrap_or(user);
                        format!("{scheme}{}@{host}", self.pseudonym("user", user))
                    }
                    None => uri.to_string(),
                };
            }
        }
        if let Some(number) = uri.strip_prefix("tel:") {
            let number = number.split(';').next().unwrap_or(number);
            return format!("tel:{}", self.pseudonym("tel", number));
        }
        self.pseudonym("uri", uri)
    }

    fn identities(&self, list: &mut [SipIdentity]) {
        for id in list {
            id.display_name = id
                .display_name
                .as_deref()
                .map(|n| self.pseudonym("name", n));
            id.uri = self.uri(&id.uri);
        }
    }

    /// ICE ufrags map as STUN usernames' parts do, so SDP and the checks
    /// that use it stay joinable.
    fn sdp(&self, sdp: &mut SdpRecord) {
        for m in &mut sdp.media {
            if let Some(u) = m.ice_ufrag.as_mut() {
                *u = self.pseudonym("user", u);
            }
        }
    }

    /// Redacts the wireless layer's identifiers: MAC addresses, SSIDs,
    /// EAP identities (the user part; the realm names the organisation).
    /// The same value maps to the same pseudonym everywhere, so networks
    /// and clients stay joinable.
    pub fn apply_wireless(&self, w: &mut WirelessReport) {
        if self.reveal {
            return;
        }
        let mac = |m: &mut String| *m = self.pseudonym("mac", m);
        let ssid = |s: &mut String| *s = self.pseudonym("ssid", s);
        for n in &mut w.networks {
            mac(&mut n.bssid);
            n.ssid.iter_mut().for_each(ssid);
            n.owe_transition_bssid.iter_mut().for_each(mac);
            n.other_ssids_answered.iter_mut().for_each(ssid);
        }
        for c in &mut w.clients {
            mac(&mut c.mac);
            c.bssid.iter_mut().for_each(mac);
            c.ssid.iter_mut().for_each(ssid);
            c.probed_ssids.iter_mut().for_each(ssid);
            let Some(eap) = c.eap.as_mut() else { continue };
            // A client certificate's subject names its holder.
            if let Some(subject) = eap.client_certificate.as_mut() {
                *subject = self.pseudonym("subject", subject);
            }
            // An anonymous identity ("anonymous@realm") reveals nobody.
            if eap.identity_kind == Some("anonymous") {
                continue;
            }
            if let Some(id) = eap.identity.as_mut() {
                *id = match id.split_once('@') {
                    Some((user, realm)) => format!("{}@{realm}", self.pseudonym("user", user)),
                    None => self.pseudonym("user", id),
                };
            }
        }
    }

    /// Redacts a SIP dialog as its flows' SIP facts are.
    pub fn apply_dialog(&self, dialog: &mut DialogRecord) {
        if self.reveal {
            return;
        }
        self.identities(&mut dialog.identities);
        for sdp in &mut dialog.sdp {
            self.sdp(&mut sdp.sdp);
        }
        if let Some(r) = dialog.recording.as_mut() {
            self.recording(r);
        }
    }

    /// A recording's metadata names the recorded call's people as its SIP
    /// headers do, and maps to the same pseudonyms.
    fn recording(&self, r: &mut crate::proto::sip::siprec::RecordingDetail) {
        for aor in &mut r.aors {
            *aor = self.uri(aor);
        }
        for name in &mut r.names {
            *name = self.pseudonym("name", name);
        }
    }

    pub fn apply(&self, record: &mut FlowRecord) {
        if self.reveal {
            return;
        }
        if let Some(sip) = record.sip.as_mut() {
            self.identities(&mut sip.identities);
            if let Some(r) = sip.recording.as_mut() {
                self.recording(r);
            }
            for sdp in &mut sip.sdp {
                self.sdp(sdp);
            }
        }
        for sdp in record.http.iter_mut().flat_map(|h| &mut h.sdp) {
            self.sdp(&mut sdp.sdp);
        }
        if let Some(rtcp) = record.rtcp.as_mut() {
            for item in &mut rtcp.sdes {
                item.value = match item.item {
                    // CNAME is user@host or a random token: hide the user part.
                    "CNAME" => match item.value.split_once('@') {
                        Some((user, host)) => format!("{}@{host}", self.pseudonym("user", user)),
                        None => item.value.clone(),
                    },
                    "TOOL" => item.value.clone(),
                    "NAME" => self.pseudonym("name", &item.value),
                    "EMAIL" => self.pseudonym("email", &item.value),
                    "PHONE" => self.pseudonym("tel", &item.value),
                    "LOC" => self.pseudonym("loc", &item.value),
                    _ => self.pseudonym("note", &item.value),
                };
            }
        }
        if let Some(stun) = record.stun.as_mut() {
            // TURN long-term usernames can name a person; ICE "ufrag:ufrag"
            // pairs stay pairable because each part maps the same way.
            for u in &mut stun.usernames {
                *u = u
                    .split(':')
                    .map(|part| self.pseudonym("user", part))
                    .collect::<Vec<_>>()
                    .join(":");
            }
        }
    }
}

/// Writes pretty JSON rendered at depth 0 as a pretty formatter would at
/// `depth`: each line after the first indented two spaces a level (JSON
/// strings hold no raw newline, so every newline is a line's end).
fn write_indented<W: ?Sized + Write>(w: &mut W, json: &[u8], depth: usize) -> std::io::Result<()> {
    let indent = vec![b' '; 2 * depth];
    let mut lines = json.split(|&b| b == b'\n');
    if let Some(first) = lines.next() {
        w.write_all(first)?;
    }
    for line in lines {
        w.write_all(b"\n")?;
        w.write_all(&indent)?;
        w.write_all(line)?;
    }
    Ok(())
}

/// Characters an address literal is made of (IPv4, IPv6, port).
fn address_char(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b'.' || b == b':'
}

/// A serde_json formatter that pseudonymises outside addresses in the
/// strings it writes: each string's (escaped) content is gathered, checked
/// cheaply (an address needs three dots or two colons) and rewritten only
/// when it holds one. Raw fragments (flows read back from the spill file)
/// were written through it already and pass unchanged.
struct ScrubFormatter<'r, F> {
    inner: F,
    redactor: &'r Redactor,
    string: Vec<u8>,
    in_string: bool,
    /// The string now being written stands for JSON copied as it is.
    own_json: bool,
    /// Arrays and objects open: how deep pretty JSON copied in is indented.
    depth: usize,
}

impl<'r, F> ScrubFormatter<'r, F> {
    fn new(inner: F, redactor: &'r Redactor) -> Self {
        ScrubFormatter {
            inner,
            redactor,
            string: Vec::with_capacity(256),
            in_string: false,
            own_json: false,
            depth: 0,
        }
    }
}

/// Delegates the formatter methods that write no string content.
macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> std::io::Result<()> {
            self.inner.$name(w $(, $arg)*)
        })*
    };
}

/// Whether `text` has the three dots of an IPv4 address or the two colons
/// of an IPv6 one: one pass, stopping as soon as it knows. Most strings of
/// a report (names, numbers, hex) have neither and are never scanned.
fn may_hold_address(text: &[u8]) -> bool {
    let (mut dots, mut colons) = (0u8, 0u8);
    for &b in text {
        dots += u8::from(b == b'.');
        colons += u8::from(b == b':');
        if dots >= 3 || colons >= 2 {
            return true;
        }
    }
    false
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for ScrubFormatter<'_, F> {
    delegate! {
        write_null();
        write_bool(value: bool);
        write_i8(value: i8);
        write_i16(value: i16);
        write_i32(value: i32);
        write_i64(value: i64);
        write_i128(value: i128);
        write_u8(value: u8);
        write_u16(value: u16);
        write_u32(value: u32);
        write_u64(value: u64);
        write_u128(value: u128);
        write_f32(value: f32);
        write_f64(value: f64);
        write_number_str(value: &str);
        begin_array_value(first: bool);
        end_array_value();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.inner.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        self.inner.end_array(w)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.inner.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        self.inner.end_object(w)
    }

    /// A string is gathered for the scan only when it may need one: not
    /// when revealing, not when its type marked it verbatim.
    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        // A flow the store wrote out through this formatter: copied, the
        // empty string standing for it writes nothing more.
        let depth = self.depth;
        let copied = crate::text::write_own_json(|json, kind| match kind {
            crate::text::OwnJson::Line => w.write_all(json),
            crate::text::OwnJson::Pretty => write_indented(w, json, depth),
        });
        if let Some(written) = copied {
            self.own_json = true;
            return written;
        }
        self.in_string = !crate::text::take_verbatim() && !self.redactor.reveal;
        self.string.clear();
        self.inner.begin_string(w)
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if self.in_string {
            self.string.extend_from_slice(fragment.as_bytes());
            Ok(())
        } else {
            self.inner.write_string_fragment(w, fragment)
        }
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        if self.in_string {
            self.inner.write_char_escape(&mut self.string, escape)
        } else {
            self.inner.write_char_escape(w, escape)
        }
    }

    fn end_string<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if std::mem::take(&mut self.own_json) {
            return Ok(());
        }
        if !std::mem::take(&mut self.in_string) {
            return self.inner.end_string(w);
        }
        let s = &self.string;
        if may_hold_address(s) {
            self.redactor.scrub_into(s, w)?;
        } else {
            w.write_all(s)?;
        }
        self.inner.end_string(w)
    }

    /// Raw fragments (a `RawValue`, which the store uses when another
    /// serializer writes it) are the flows the store spilled, which it
    /// wrote through this formatter with this run's redactor: copied as
    /// they are.
    fn write_raw_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        w.write_all(fragment.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_within_a_report_and_keyed() {
        let a = Redactor::new(false, Vec::new());
        let b = Redactor::new(false, Vec::new());
        assert_eq!(a.pseudonym("name", "Jane"), a.pseudonym("name", "Jane"));
        assert_ne!(a.pseudonym("name", "Jane"), a.pseudonym("name", "John"));
        assert_ne!(
            a.pseudonym("name", "Jane"),
            b.pseudonym("name", "Jane"),
            "a new key per report"
        );
        let uri = a.uri("sip:+15551234567@clinic.example");
        assert!(
            uri.starts_with("sip:user-")
                && uri.ends_with("@clinic.example")
                // Not "555": a random pseudonym's hex digits may hold it.
                && !uri.contains("5551234567"),
            "{uri}"
        );
        assert!(!a.uri("tel:+1-555-0100;phone-context=x").contains("555"));
    }

    #[test]
    fn outside_addresses_get_stable_reserved_pseudonyms() {
        let r = Redactor::new(false, vec![Cidr::parse("10.0.0.0/8").unwrap()]);
        let text = "flow 10.0.0.5:5060 -> 198.51.100.7:3478 and [2001:db8::1]:443 at 01:50:09.253415Z, SSRC 0xdeadbeef, 127.0.0.1:1, Contact: sip:198.51.100.7:5060, 198.51.100.7.";
        let out = r.scrub(text);
        assert!(
            out.contains("10.0.0.5:5060") && out.contains("127.0.0.1:1"),
            "{out}"
        );
        assert!(
            !out.contains("198.51.100.7") && !out.contains("2001:db8::1"),
            "{out}"
        );
        assert!(
            out.contains("01:50:09.253415Z") && out.contains("0xdeadbeef"),
            "{out}"
        );
        let v4 = r.address("198.51.100.7".parse().unwrap());
        assert!(
            out.contains(&format!("{v4}:3478"))
                && out.contains(&format!("sip:{v4}:5060"))
                && out.ends_with(&format!("{v4}.")),
            "{out}"
        );
        assert!(matches!(v4, IpAddr::V4(a) if a.octets()[0] >= 240));
        assert_eq!(r.scrub(&out), out, "pseudonyms are not scrubbed again");
        let v6 = r.address("2001:db8::1".parse().unwrap());
        assert!(v6.to_string().starts_with("100::"), "{v6}");
        assert_eq!(Redactor::new(true, Vec::new()).scrub(text), text);
    }

    /// The report's formatter copies the calls the store rendered as it
    /// wrote them out, indented to where they stand.
    #[test]
    fn the_json_report_copies_calls_rendered_as_they_were_written_out() {
        use crate::assess::calls::store::{CallStore, tests::call};
        use crate::assess::catalogue::FindingId;
        use std::sync::Arc;
        #[derive(serde::Serialize)]
        struct Report<'a> {
            calls: &'a CallStore,
        }
        let redactor = Redactor::new(true, Vec::new());
        let mut store = CallStore::with_hold(1);
        // A rendering the report can tell from its own serialization.
        store.render_with(Arc::new(|call, out| {
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "rendered": call.id }))
                .map_err(std::io::Error::other)
        }));
        for id in 1..=5 {
            store.push(call(id));
        }
        assert_eq!(store.written(), 4);
        // Added to after it was written: read back and serialized.
        store.add_to(1, |c| c.findings.push(FindingId::TrackerDuringCall));
        let mut out = Vec::new();
        redactor
            .to_json_writer(&mut out, &Report { calls: &store }, true)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let report: serde_json::Value = serde_json::from_str(&text).unwrap();
        let calls = report["calls"].as_array().unwrap();
        let rendered: Vec<bool> = calls.iter().map(|c| c.get("rendered").is_some()).collect();
        assert_eq!(rendered, [true, false, true, true, false], "{text}");
        assert_eq!(calls[1]["findings"][1], "tracker-during-call");
        // Indented as the pretty formatter indents at that depth.
        assert!(
            text.contains("\n    {\n      \"rendered\": 3\n    },"),
            "{text}"
        );
        // Any other serializer serializes every call.
        let plain = serde_json::to_value(&store).unwrap();
        assert!(
            plain
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c.get("rendered").is_none())
        );
    }
}
