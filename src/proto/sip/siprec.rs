//! Recording sessions (SIPREC, RFC 7866, with the metadata of RFC 7865
//! and the media type RFC 9806 settled): which SIP messages open a
//! recording session and what their metadata exposes. Real recording
//! clients deviate from the RFCs (metadata typed `application/rs-metadata`
//! or `+xml`, draft namespaces, `;src` instead of `+sip.src`, no `Require:
//! siprec` at all), so detection is lenient and says which signals it saw.
//! Multipart bodies are split by their boundary; the metadata is scanned as
//! text (no XML parser: no entities, no DTDs, so no entity bombs), with
//! bounded lengths and counts.

use super::parse::SipMessage;
use crate::proto::search::{Needles, searchers};
use schemars::JsonSchema;
use serde::Serialize;

const MAX_PARTS: usize = 16;
const MAX_ITEMS: usize = 32;
/// Metadata beyond this is not scanned.
const MAX_METADATA: usize = 64 * 1024;

/// One part of a `multipart/*` body: its Content-Type, its
/// Content-Disposition, and its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    pub content_type: &'a str,
    pub disposition: &'a str,
    pub body: &'a [u8],
}

/// The parts of a multipart body (RFC 2046 §5.1), at most 16; `None` when
/// the Content-Type is not multipart or names no boundary.
pub fn multipart<'a>(content_type: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let lower = content_type.to_ascii_lowercase();
    if !lower.trim_start().starts_with("multipart/") {
        return None;
    }
    let boundary = content_type.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
    })?;
    if boundary.is_empty() || boundary.len() > 70 {
        return None;
    }
    let delimiter = format!("--{boundary}");
    let finder = memchr::memmem::Finder::new(delimiter.as_bytes());
    let starts: Vec<usize> = finder.find_iter(body).take(MAX_PARTS + 1).collect();
    let mut parts = Vec::new();
    for pair in starts.windows(2) {
        let (start, end) = (pair[0] + delimiter.len(), pair[1]);
        let Some(chunk) = body.get(start..end) else {
            continue;
        };
        // The delimiter line ends with CRLF; the part ends before the CRLF
        // that precedes the next delimiter.
        let chunk = chunk
            .strip_prefix(b"\r\n")
            .or_else(|| chunk.strip_prefix(b"\n"))
            .unwrap_or(chunk);
        let chunk = chunk
            .strip_suffix(b"\r\n")
            .or_else(|| chunk.strip_suffix(b"\n"))
            .unwrap_or(chunk);
        let split = memchr::memmem::find(chunk, b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| memchr::memmem::find(chunk, b"\n\n").map(|i| (i, 2)));
        let (head, part_body) = match split {
            Some((i, n)) => (&chunk[..i], &chunk[i + n..]),
            // A part without headers is text/plain by default.
            None => (&chunk[..0], chunk),
        };
        let head = std::str::from_utf8(head).unwrap_or("");
        let header = |name: &str| {
            head.lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                .map_or("", |(_, v)| v.trim())
        };
        parts.push(Part {
            content_type: header("content-type"),
            disposition: header("content-disposition"),
            body: part_body,
        });
    }
    Some(parts)
}

/// The SDP of a message: its body when that is SDP, or the `application/sdp`
/// part of a multipart body (a recording session's INVITE).
pub fn sdp_body<'a>(m: &SipMessage<'a>) -> Option<&'a [u8]> {
    let ct = m.content_type().unwrap_or("");
    if let Some(parts) = multipart(ct, m.body) {
        return parts
            .into_iter()
            .find(|p| {
                p.content_type.to_ascii_lowercase().contains("sdp") || p.body.starts_with(b"v=0")
            })
            .map(|p| p.body);
    }
    let is_sdp = ct.to_ascii_lowercase().contains("sdp") || m.body.starts_with(b"v=0");
    (is_sdp && !m.body.is_empty()).then_some(m.body)
}

/// What a message shows of a recording session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct RecordingDetail {
    /// The signals that matched: `rs-metadata` (a metadata body part),
    /// `recording-namespace` (the RFC 7865 or a draft namespace),
    /// `siprec-option-tag` (Require/Supported), `src-contact` (Contact
    /// `+sip.src`, `;src`, `+sip-rec`), `srs-contact` (`+sip.srs`).
    #[serde(deserialize_with = "crate::text::static_names")]
    pub signals: Vec<&'static str>,
    /// The message that showed it first.
    pub packet: u64,
    pub call_id: Option<String>,
    /// What the metadata names (pseudonymised unless `--reveal`): the
    /// participants' addresses of record and display names.
    pub aors: Vec<String>,
    pub names: Vec<String>,
    /// RFC 7989 Session-IDs of the recorded call (`sipSessionID`).
    pub session_ids: Vec<String>,
    /// Call-IDs of the recorded call, from vendor extension data.
    pub recorded_call_ids: Vec<String>,
    /// Bytes of metadata read.
    pub metadata_bytes: u64,
}

impl RecordingDetail {
    /// Enough to call it a recording session: metadata, or the option tag
    /// with a multipart body, or a recording client's Contact with one.
    pub fn is_recording(&self) -> bool {
        let has = |s: &str| self.signals.contains(&s);
        has("rs-metadata")
            || has("recording-namespace")
            || (has("siprec-option-tag") && (has("multipart") || has("src-contact")))
    }

    fn signal(&mut self, s: &'static str) {
        if !self.signals.contains(&s) {
            self.signals.push(s);
        }
    }
}

const NAMESPACES: [&[u8]; 3] = [
    b"urn:ietf:params:xml:ns:recording",
    b"urn:ietf:params:xml:ns:siprec",
    b"urn:ietf:params:xml:ns:recording:1",
];

/// Whether any of `needles` occurs in the message (head or body): the
/// cheap test that spares ordinary messages the header walks below. The
/// needles list the spellings seen in the field (tokens are
/// case-insensitive in SIP; real agents write them in these cases).
fn mentions(m: &SipMessage<'_>, needles: &Needles) -> bool {
    crate::proto::search::any_in(needles, &[m.head().as_bytes(), m.body])
}

/// What a message that may concern recording mentions.
static RECORDING: Needles = Needles::new(|| {
    searchers(&[
        b"siprec",
        b"SIPREC",
        b"Siprec",
        b"rs-metadata",
        b"RS-Metadata",
        b"RS-METADATA",
        b"src",
        b"SRC",
        b"sip-rec",
        b"srs",
        b"SRS",
        b"xml:ns:",
    ])
});

/// What a message that may declare recording awareness mentions.
static AWARENESS: Needles = Needles::new(|| {
    searchers(&[
        b"record-aware",
        b"Record-Aware",
        b"RECORD-AWARE",
        b"a=record",
    ])
});

/// The recording signals of one SIP message, `None` when it has none.
pub fn recording(m: &SipMessage<'_>, packet: u64) -> Option<RecordingDetail> {
    if !mentions(m, &RECORDING) {
        return None;
    }
    let mut r = RecordingDetail {
        packet,
        call_id: m.call_id().map(str::to_string),
        ..RecordingDetail::default()
    };
    for name in ["require", "supported", "proxy-require"] {
        let compact = match name {
            "supported" => Some("k"),
            _ => None,
        };
        if m.headers_named(name, compact).any(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("siprec"))
        }) {
            r.signal("siprec-option-tag");
        }
    }
    for contact in m.headers_named("contact", Some("m")) {
        let params = contact
            .rsplit_once('>')
            .map_or(contact, |(_, p)| p)
            .to_ascii_lowercase();
        let has = |p: &str| {
            params
                .split(';')
                .any(|x| x.trim() == p || x.trim().starts_with(&format!("{p}=")))
        };
        if has("+sip.src") || has("src") || has("+sip-rec") {
            r.signal("src-contact");
        }
        if has("+sip.srs") {
            r.signal("srs-contact");
        }
    }
    let ct = m.content_type().unwrap_or("");
    let mut metadata: Option<&[u8]> = None;
    if let Some(parts) = multipart(ct, m.body) {
        r.signal("multipart");
        for p in parts {
            let t = p.content_type.to_ascii_lowercase();
            if t.starts_with("application/rs-metadata")
                && !t.starts_with("application/rs-metadata-request")
            {
                r.signal("rs-metadata");
                metadata = Some(p.body);
            } else if p
                .disposition
                .to_ascii_lowercase()
                .starts_with("recording-session")
            {
                r.signal("rs-metadata");
                metadata = metadata.or(Some(p.body));
            }
        }
    } else if ct
        .to_ascii_lowercase()
        .starts_with("application/rs-metadata")
    {
        r.signal("rs-metadata");
        metadata = Some(m.body);
    }
    let scanned = metadata.unwrap_or(m.body);
    let scanned = &scanned[..scanned.len().min(MAX_METADATA)];
    if NAMESPACES
        .iter()
        .any(|ns| memchr::memmem::find(scanned, ns).is_some())
    {
        r.signal("recording-namespace");
        metadata = metadata.or(Some(scanned));
    }
    if let Some(md) = metadata {
        let md = &md[..md.len().min(MAX_METADATA)];
        r.metadata_bytes = md.len() as u64;
        let text = String::from_utf8_lossy(md);
        read_metadata(&text, &mut r);
    }
    // The multipart signal alone is not a recording signal.
    if r.signals.iter().all(|s| *s == "multipart") {
        return None;
    }
    Some(r)
}

/// What a call's own messages say about recording (RFC 7866): a UA that
/// supports `record-aware`, the `a=record` indications it received, the
/// `a=recordpref` preference it sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Awareness {
    /// The frame of the first `Supported: record-aware`.
    pub record_aware_packet: Option<u64>,
    /// `a=record:` values seen (on, off, paused), with their first frame.
    pub record: Vec<(String, u64)>,
    /// `a=recordpref:` values seen (on, off, pause, nopreference).
    pub recordpref: Vec<(String, u64)>,
}

impl Awareness {
    pub fn is_empty(&self) -> bool {
        self.record_aware_packet.is_none() && self.record.is_empty() && self.recordpref.is_empty()
    }

    pub fn on_message(&mut self, m: &SipMessage<'_>, packet: u64) {
        if !mentions(m, &AWARENESS) {
            return;
        }
        if self.record_aware_packet.is_none()
            && m.headers_named("supported", Some("k")).any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("record-aware"))
            })
        {
            self.record_aware_packet = Some(packet);
        }
        let Some(sdp) = sdp_body(m) else { return };
        for (prefix, list) in [
            (&b"a=record:"[..], &mut self.record),
            (b"a=recordpref:", &mut self.recordpref),
        ] {
            for at in memchr::memmem::find_iter(sdp, prefix).take(8) {
                // Line starts only: `a=recordpref:` must not count as `a=record:`.
                if at > 0 && sdp[at - 1] != b'\n' {
                    continue;
                }
                let value = &sdp[at + prefix.len()..];
                let end = value
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(value.len());
                let value = String::from_utf8_lossy(&value[..end.min(16)])
                    .trim()
                    .to_ascii_lowercase();
                if list.len() < 8 && !list.iter().any(|(v, _)| *v == value) {
                    list.push((value, packet));
                }
            }
        }
    }
}

/// The values of `attr="..."` attributes and of `<tag>...</tag>` elements.
fn read_metadata(text: &str, r: &mut RecordingDetail) {
    let push = |list: &mut Vec<String>, v: &str| {
        let v = v.trim();
        if !v.is_empty() && list.len() < MAX_ITEMS && !list.iter().any(|x| x == v) {
            list.push(v.chars().take(256).collect());
        }
    };
    for v in attributes(text, "aor") {
        push(&mut r.aors, v);
    }
    for v in elements(text, "aor") {
        push(&mut r.aors, v);
    }
    for v in elements(text, "name") {
        push(&mut r.names, v);
    }
    for v in elements(text, "sipSessionID") {
        push(&mut r.session_ids, v);
    }
    for tag in ["Call-ID", "callid", "callId", "call-id", "CallID"] {
        for v in elements(text, tag) {
            push(&mut r.recorded_call_ids, v);
        }
    }
}

/// Values of `name="v"` (or `'v'`) anywhere in `text`.
fn attributes<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    let needle = format!("{name}=");
    let mut found = Vec::new();
    for (i, _) in text.match_indices(needle.as_str()) {
        if i > 0 && text.as_bytes()[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &text[i + needle.len()..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = rest[1..].find(quote) {
            found.push(&rest[1..1 + end]);
        }
        if found.len() >= MAX_ITEMS {
            break;
        }
    }
    found
}

/// Text of `<tag ...>text</tag>` elements, with or without a namespace
/// prefix (`<tns:name>`).
fn elements<'t>(text: &'t str, tag: &'t str) -> impl Iterator<Item = &'t str> + 't {
    text.match_indices('<')
        .filter_map(move |(i, _)| {
            let rest = &text[i + 1..];
            let name_end = rest.find(|c: char| c == '>' || c.is_whitespace() || c == '/')?;
            let name = &rest[..name_end];
            let local = name.rsplit(':').next().unwrap_or(name);
            if !local.eq_ignore_ascii_case(tag) {
                return None;
            }
            let open_end = rest.find('>')?;
            if rest[..open_end].ends_with('/') {
                return None;
            }
            let content = &rest[open_end + 1..];
            let close = content.find("</")?;
            let value = &content[..close];
            (!value.contains('<')).then_some(value)
        })
        .take(MAX_ITEMS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(extra_headers: &str, content_type: &str, body: &str) -> String {
        format!(
            "INVITE sip:srs@recorder.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060\r\nFrom: <sip:src@sbc.clinic.example>;tag=1\r\nTo: <sip:srs@recorder.example>\r\nCall-ID: rs-1\r\nCSeq: 1 INVITE\r\n{extra_headers}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    const METADATA: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<recording xmlns='urn:ietf:params:xml:ns:recording:1'>\r\n<datamode>complete</datamode>\r\n<session session_id=\"a\"><sipSessionID>ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000</sipSessionID></session>\r\n<participant participant_id=\"p1\"><nameID aor=\"sip:+15551230001@clinic.example\"><name xml:lang=\"en\">Jane Patient</name></nameID></participant>\r\n<participant participant_id=\"p2\"><nameID aor=\"sip:drsmith@clinic.example\"/></participant>\r\n</recording>\r\n";

    fn multipart_body(metadata_type: &str) -> String {
        format!(
            "--uniqueBoundary\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\n\r\n--uniqueBoundary\r\nContent-Type: {metadata_type}\r\nContent-Disposition: recording-session\r\n\r\n{METADATA}\r\n--uniqueBoundary--\r\n"
        )
    }

    #[test]
    fn an_rfc_7866_invite_is_a_recording_with_its_metadata_and_sdp() {
        let text = invite(
            "Require: siprec\r\nContact: <sip:src@10.0.0.5>;+sip.src\r\n",
            "multipart/mixed;boundary=uniqueBoundary",
            &multipart_body("application/rs-metadata+xml"),
        );
        let m = SipMessage::parse(text.as_bytes(), false).unwrap();
        let r = recording(&m, 7).unwrap();
        assert!(r.is_recording());
        assert_eq!(
            r.signals,
            [
                "siprec-option-tag",
                "src-contact",
                "multipart",
                "rs-metadata",
                "recording-namespace"
            ]
        );
        assert_eq!(
            r.aors,
            [
                "sip:+15551230001@clinic.example",
                "sip:drsmith@clinic.example"
            ]
        );
        assert_eq!(r.names, ["Jane Patient"]);
        assert_eq!(r.session_ids.len(), 1);
        let sdp = sdp_body(&m).unwrap();
        assert!(sdp.starts_with(b"v=0") && sdp.ends_with(b"a=sendonly\r\n"));
    }

    #[test]
    fn deviations_real_recorders_show_are_recognised() {
        // Body only (no Require, no +sip.src), plain application/rs-metadata.
        let text = invite(
            "",
            "multipart/mixed; boundary=\"uniqueBoundary\"",
            &multipart_body("application/rs-metadata"),
        );
        let r = recording(&SipMessage::parse(text.as_bytes(), false).unwrap(), 1).unwrap();
        assert!(r.is_recording());
        // BroadWorks: ;src and the siprec namespace, metadata part first.
        let body = "--b\r\nContent-Type: application/rs-metadata\r\n\r\n<recording xmlns=\"urn:ietf:params:xml:ns:siprec\"><participant><tns:name>Front Desk</tns:name></participant></recording>\r\n--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--b--\r\n";
        let text = invite(
            "Contact: <sip:bw@10.0.0.5>;src\r\n",
            "multipart/mixed;boundary=b",
            body,
        );
        let r = recording(&SipMessage::parse(text.as_bytes(), false).unwrap(), 1).unwrap();
        assert!(r.signals.contains(&"src-contact") && r.is_recording());
        assert_eq!(r.names, ["Front Desk"]);
    }

    #[test]
    fn a_draft_namespace_with_prefixes_and_vendor_call_data() {
        // Older recorders: the draft namespace without ":1", `id=` attributes,
        // a `tns:` prefix, the recorded call's Call-ID in extension data.
        let metadata = "<tns:recording xmlns:tns='urn:ietf:params:xml:ns:recording'><tns:session id=\"s\"/><tns:participant id=\"p\"><tns:nameID aor=\"sip:5550001@clinic.example\"/></tns:participant><extensiondata><callData xmlns='urn:ietf:params:xml:ns:callData'><tns:Call-ID>cs-1@10.0.0.5</tns:Call-ID></callData></extensiondata></tns:recording>";
        let text = invite("Supported: siprec\r\n", "application/rs-metadata", metadata);
        let r = recording(&SipMessage::parse(text.as_bytes(), false).unwrap(), 1).unwrap();
        assert!(r.is_recording());
        assert_eq!(r.aors, ["sip:5550001@clinic.example"]);
        assert_eq!(r.recorded_call_ids, ["cs-1@10.0.0.5"]);
    }

    #[test]
    fn ordinary_calls_and_hostile_bodies_are_not_recordings() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
        let text = invite("Supported: 100rel, timer\r\n", "application/sdp", sdp);
        assert!(recording(&SipMessage::parse(text.as_bytes(), false).unwrap(), 1).is_none());
        // A Contact parameter alone is a hint, not a recording.
        let text = invite("Contact: <sip:a@b>;+sip.src\r\n", "application/sdp", sdp);
        let r = recording(&SipMessage::parse(text.as_bytes(), false).unwrap(), 1).unwrap();
        assert!(!r.is_recording());
        // An entity bomb is text to this scanner: nothing expands.
        let bomb = format!(
            "<!DOCTYPE r [<!ENTITY a \"{}\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><recording xmlns='urn:ietf:params:xml:ns:recording:1'><name>&b;</name></recording>",
            "x".repeat(100)
        );
        let text = invite("", "application/rs-metadata+xml", &bomb);
        let r = recording(&SipMessage::parse(text.as_bytes(), false).unwrap(), 1).unwrap();
        assert_eq!(r.names, ["&b;"]);
        // Malformed multipart: no boundary, a boundary never closed.
        assert_eq!(multipart("multipart/mixed", b"--x\r\n"), None);
        assert_eq!(
            multipart(
                "multipart/mixed;boundary=x",
                b"--x\r\nContent-Type: a\r\n\r\nbody"
            )
            .unwrap()
            .len(),
            0
        );
        let many = "--x\r\n\r\nA\r\n".repeat(100);
        assert!(
            multipart("multipart/mixed;boundary=x", many.as_bytes())
                .unwrap()
                .len()
                <= MAX_PARTS
        );
    }
}
