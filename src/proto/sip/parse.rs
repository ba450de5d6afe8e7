//! A lenient SIP (RFC 3261) message parser over borrowed bytes: start line,
//! headers (compact forms, folded lines, any case), name-addr values, and
//! Content-Length framing for stream transports. No allocation; malformed
//! input is `None`, never a panic.

use crate::proto::ParseError;

const METHODS: [&str; 14] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request { method: &'a str, uri: &'a str },
    Response { code: u16, reason: &'a str },
}

/// Headers indexed when a message is parsed: a message has 10 to 20; one
/// with more is read line by line as before.
const INDEXED_HEADERS: usize = 32;

#[derive(Debug, Clone, Copy)]
pub struct SipMessage<'a> {
    pub start: StartLine<'a>,
    head: &'a str,
    /// The headers as (name, value), read once: each lookup would scan and
    /// split every line again, and a message is asked for a dozen.
    index: [(&'a str, &'a str); INDEXED_HEADERS],
    /// How many of `index` hold headers; more than `INDEXED_HEADERS`
    /// (`None`): lookups scan the lines.
    indexed: Option<u8>,
    pub body: &'a [u8],
    /// Bytes this message occupies (headers, blank line and body).
    pub len: usize,
}

/// Whether `b` is too short to tell but could still grow into a SIP start
/// line ("INV", "SIP/2", "BYE si"): on a stream, wait for more bytes.
fn may_become_sip(b: &[u8]) -> bool {
    /// Whether `b` is a prefix of the concatenated `parts`.
    fn prefix_of(b: &[u8], parts: &[&[u8]]) -> bool {
        let mut rest = b;
        for part in parts {
            let n = rest.len().min(part.len());
            if rest[..n] != part[..n] {
                return false;
            }
            rest = &rest[n..];
            if rest.is_empty() {
                return true;
            }
        }
        rest.is_empty()
    }
    // A lone CR may be the first half of a keep-alive CRLF (RFC 5626).
    if b.is_empty() || b == b"\r" || prefix_of(b, &[b"SIP/2.0 "]) {
        return true;
    }
    METHODS.iter().any(|m| {
        [&b"sip:"[..], b"sips:", b"tel:", b"urn:"]
            .iter()
            .any(|scheme| prefix_of(b, &[m.as_bytes(), b" ", scheme]))
    })
}

/// Quick test on the first bytes: does this look like SIP at all?
pub fn looks_like_sip(b: &[u8]) -> bool {
    if b.starts_with(b"SIP/2.0 ") {
        return true;
    }
    METHODS.iter().any(|m| {
        b.len() > m.len() + 4 && b.starts_with(m.as_bytes()) && b[m.len()] == b' ' && {
            let rest = &b[m.len() + 1..];
            rest.starts_with(b"sip:")
                || rest.starts_with(b"sips:")
                || rest.starts_with(b"tel:")
                || rest.starts_with(b"urn:")
        }
    })
}

/// The stream probe: a SIP start line, or the start of one.
pub fn probe_stream(b: &[u8]) -> crate::proto::Probe {
    use crate::proto::Probe;
    if looks_like_sip(b) {
        Probe::Certain
    } else if may_become_sip(b) {
        Probe::Unsure
    } else {
        Probe::NotForUs
    }
}

impl<'a> SipMessage<'a> {
    /// Parses one message at the start of `b`. With `stream` (TCP), the body
    /// length comes from Content-Length and a message not all there yet is
    /// [`ParseError::Incomplete`]; over UDP the body is the rest of the
    /// datagram.
    pub fn parse(b: &'a [u8], stream: bool) -> Result<SipMessage<'a>, ParseError> {
        if !looks_like_sip(b) {
            return Err(if may_become_sip(b) {
                ParseError::Incomplete { needed: 1 }
            } else {
                ParseError::Invalid("not a SIP start line")
            });
        }
        let head_end = memchr::memmem::find(b, b"\r\n\r\n")
            .map(|i| (i, i + 4))
            .or_else(|| {
                // Some stacks use bare LF.
                memchr::memmem::find(b, b"\n\n").map(|i| (i, i + 2))
            });
        let (head_len, body_start) = match head_end {
            Some(x) => x,
            None if !stream => (b.len(), b.len()),
            None => return Err(ParseError::Incomplete { needed: 2 }),
        };
        let head = std::str::from_utf8(&b[..head_len])
            .map_err(|_| ParseError::Invalid("SIP headers are not UTF-8"))?;
        let start = head
            .lines()
            .next()
            .and_then(parse_start_line)
            .ok_or(ParseError::Invalid("malformed SIP start line"))?;
        let mut msg = SipMessage {
            start,
            head,
            index: [("", ""); INDEXED_HEADERS],
            indexed: Some(0),
            body: &[],
            len: body_start,
        };
        let mut n = 0;
        for header in msg.scan_headers() {
            if n == INDEXED_HEADERS {
                msg.indexed = None;
                break;
            }
            msg.index[n] = header;
            n += 1;
            msg.indexed = Some(n as u8);
        }
        let content_length = msg
            .header("content-length", Some("l"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let body_len = match (stream, content_length) {
            (true, Some(n)) => n,
            (true, None) => 0,
            (false, Some(n)) => n.min(b.len() - body_start),
            (false, None) => b.len() - body_start,
        };
        let end = body_start
            .checked_add(body_len)
            .ok_or(ParseError::Invalid("absurd Content-Length"))?;
        msg.body = b
            .get(body_start..end)
            .ok_or_else(|| ParseError::Incomplete {
                needed: end - b.len(),
            })?;
        msg.len = end;
        Ok(msg)
    }

    /// The start line and headers, as they came.
    pub fn head(&self) -> &'a str {
        self.head
    }

    pub fn method(&self) -> Option<&'a str> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// Headers as (name, value), folded continuation lines joined logically
    /// by returning only the first line of a folded value.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        let (indexed, scanned) = match self.indexed {
            Some(n) => (Some(self.index[..usize::from(n)].iter().copied()), None),
            None => (None, Some(self.scan_headers())),
        };
        indexed
            .into_iter()
            .flatten()
            .chain(scanned.into_iter().flatten())
    }

    /// The headers read from the lines.
    fn scan_headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.head.lines().skip(1).filter_map(|line| {
            if line.starts_with([' ', '\t']) {
                return None;
            }
            let (name, value) = line.split_once(':')?;
            Some((name.trim(), value.trim()))
        })
    }

    /// First value of a header by full name or compact form, any case.
    pub fn header(&self, name: &str, compact: Option<&str>) -> Option<&'a str> {
        self.headers_named(name, compact).next()
    }

    pub fn headers_named<'s>(
        &'s self,
        name: &'s str,
        compact: Option<&'s str>,
    ) -> impl Iterator<Item = &'a str> + 's
    where
        'a: 's,
    {
        self.headers().filter_map(move |(n, v)| {
            (n.eq_ignore_ascii_case(name) || compact.is_some_and(|c| n.eq_ignore_ascii_case(c)))
                .then_some(v)
        })
    }

    pub fn call_id(&self) -> Option<&'a str> {
        self.header("call-id", Some("i"))
    }

    /// CSeq as (number, method).
    pub fn cseq(&self) -> Option<(u32, &'a str)> {
        let v = self.header("cseq", None)?;
        let (n, m) = v.split_once(char::is_whitespace)?;
        Some((n.trim().parse().ok()?, m.trim()))
    }

    pub fn content_type(&self) -> Option<&'a str> {
        self.header("content-type", Some("c"))
    }
}

fn parse_start_line(line: &str) -> Option<StartLine<'_>> {
    let line = line.trim_end();
    if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code: u16 = code.parse().ok()?;
        return (100..700)
            .contains(&code)
            .then_some(StartLine::Response { code, reason });
    }
    let mut parts = line.splitn(3, ' ');
    let method = parts.next()?;
    let uri = parts.next()?;
    let version = parts.next()?;
    (version == "SIP/2.0" && METHODS.contains(&method))
        .then_some(StartLine::Request { method, uri })
}

/// A `name-addr` or `addr-spec` header value: `"Jane" <sip:jane@x>;tag=1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    pub display_name: Option<&'a str>,
    pub uri: &'a str,
    pub tag: Option<&'a str>,
}

pub fn parse_name_addr(value: &str) -> Option<NameAddr<'_>> {
    let value = value.trim();
    let (display_name, uri, params) = if let Some(lt) = value.find('<') {
        let gt = lt + value[lt..].find('>')?;
        let name = value[..lt].trim().trim_matches('"').trim();
        (
            (!name.is_empty()).then_some(name),
            &value[lt + 1..gt],
            &value[gt + 1..],
        )
    } else {
        // addr-spec: header parameters follow the first ';'.
        match value.split_once(';') {
            Some((uri, params)) => (None, uri.trim(), params),
            None => (None, value, ""),
        }
    };
    let tag = params.split(';').find_map(|p| {
        p.trim()
            .strip_prefix("tag=")
            .or_else(|| p.trim().strip_prefix("TAG="))
    });
    Some(NameAddr {
        display_name,
        uri,
        tag,
    })
}

/// The user part of a sip:/sips:/tel: URI (`+15551234567` in
/// `sip:+15551234567@host;user=phone`).
pub fn uri_user(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
        .or_else(|| uri.strip_prefix("tel:"))?;
    let user = match rest.split_once('@') {
        Some((user, _)) => user,
        None if uri.starts_with("tel:") => rest,
        None => return None,
    };
    let user = user.split([';', ':']).next()?;
    (!user.is_empty()).then_some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@clinic.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: \"Dr Bob\" <sip:bob@clinic.example>\r\n\
f: \"Jane Patient\" <sip:+15551234567@clinic.example>;tag=1928301774\r\n\
i: a84b4c76e66710@pc33.example\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:jane@10.0.0.1>\r\n\
User-Agent: softphone 1.2\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\nEXTRA";

    #[test]
    fn request_headers_and_body() {
        let m = SipMessage::parse(INVITE, true).unwrap();
        assert_eq!(
            m.start,
            StartLine::Request {
                method: "INVITE",
                uri: "sip:bob@clinic.example"
            }
        );
        assert_eq!(m.call_id(), Some("a84b4c76e66710@pc33.example"));
        assert_eq!(m.cseq(), Some((314159, "INVITE")));
        assert_eq!(m.header("user-agent", None), Some("softphone 1.2"));
        assert_eq!(m.body, b"v=0\n");
        assert_eq!(m.len, INVITE.len() - 5);
        let from = parse_name_addr(m.header("from", Some("f")).unwrap()).unwrap();
        assert_eq!(from.display_name, Some("Jane Patient"));
        assert_eq!(from.tag, Some("1928301774"));
        assert_eq!(uri_user(from.uri), Some("+15551234567"));
        // On a stream, a message whose body has not arrived yet is incomplete.
        let cut = SipMessage::parse(&INVITE[..INVITE.len() - 8], true);
        assert!(
            matches!(cut, Err(ParseError::Incomplete { needed }) if needed > 0),
            "{cut:?}"
        );
    }

    #[test]
    fn response_and_non_sip() {
        let m = SipMessage::parse(b"SIP/2.0 180 Ringing\r\nCall-ID: x\r\n\r\n", false).unwrap();
        assert_eq!(
            m.start,
            StartLine::Response {
                code: 180,
                reason: "Ringing"
            }
        );
        assert!(matches!(
            SipMessage::parse(b"GET / HTTP/1.1\r\n\r\n", false),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            SipMessage::parse(b"SIP/2.0 99 Nope\r\n\r\n", false),
            Err(ParseError::Invalid(_))
        ));
    }

    #[test]
    fn a_prefix_waits_and_other_bytes_are_refused() {
        for prefix in [&b""[..], b"INV", b"INVITE s", b"SIP/2", b"BYE sips"] {
            assert_eq!(
                SipMessage::parse(prefix, true).err(),
                Some(ParseError::Incomplete { needed: 1 }),
                "{:?}",
                String::from_utf8_lossy(prefix)
            );
        }
        assert!(matches!(
            SipMessage::parse(b"INVITE http://x", true),
            Err(ParseError::Invalid(_))
        ));
        // Headers without their blank line yet: more is coming.
        assert!(matches!(
            SipMessage::parse(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x", true),
            Err(ParseError::Incomplete { .. })
        ));
        assert!(!looks_like_sip(b"INVITE"));
    }

    #[test]
    fn addr_spec_and_tel() {
        let a = parse_name_addr("sip:alice@atlanta.example;tag=88").unwrap();
        assert_eq!(
            (a.display_name, a.uri, a.tag),
            (None, "sip:alice@atlanta.example", Some("88"))
        );
        assert_eq!(uri_user("tel:+1-555-0100"), Some("+1-555-0100"));
        assert_eq!(uri_user("sip:example.com"), None);
    }
}
