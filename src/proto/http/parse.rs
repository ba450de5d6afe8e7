//! Plain HTTP/1.x over borrowed bytes: request heads (method, Host,
//! User-Agent), and message framing for following a connection message by
//! message (RFC 9112 §6: Content-Length, chunked, upgrade). Never panics,
//! never allocates; a message not all there yet is `Incomplete`.

use crate::proto::ParseError;

const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub host: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Parses the head of a request; `None` when it is not HTTP/1.x.
pub fn parse_request(b: &[u8]) -> Option<Request<'_>> {
    let head_end = memchr::memmem::find(b, b"\r\n\r\n").unwrap_or(b.len().min(4096));
    let head = std::str::from_utf8(&b[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next()?;
    if !METHODS.contains(&method) || !version.starts_with("HTTP/1.") {
        return None;
    }
    let mut request = Request {
        method,
        target,
        host: None,
        user_agent: None,
    };
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("host") {
                request.host = Some(value.trim());
            } else if name.eq_ignore_ascii_case("user-agent") {
                request.user_agent = Some(value.trim());
            }
        }
    }
    Some(request)
}

/// Whether a stream starts like an HTTP/1.x request (cheap probe).
pub fn looks_like_request(b: &[u8]) -> bool {
    METHODS
        .iter()
        .any(|m| b.len() > m.len() && b.starts_with(m.as_bytes()) && b[m.len()] == b' ')
}

/// Largest head followed; real ones are a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// All of it is here (Content-Length, or none).
    Whole(&'a [u8]),
    /// Content-Length says this many bytes follow the head, more than are here.
    Sized(usize),
    /// Chunked: its chunks follow the head.
    Chunked,
    /// Until the connection closes (a response without a length).
    UntilClose,
}

/// One HTTP/1.x message head and how its body is framed.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// Request method, or `None` for a response.
    pub method: Option<&'a str>,
    /// Request target, or the status code of a response.
    pub target: &'a str,
    pub status: u16,
    /// Bytes of the head, blank line included.
    pub head_len: usize,
    pub body: Body<'a>,
    pub content_type: Option<&'a str>,
    /// The protocol an Upgrade header asks for or confirms.
    pub upgrade: Option<&'a str>,
}

impl<'a> Message<'a> {
    /// Parses a message head at the start of `b`.
    pub fn parse(b: &'a [u8]) -> Result<Message<'a>, ParseError> {
        let is_response = b.starts_with(b"HTTP/1.");
        if !is_response && !looks_like_request(b) {
            return Err(if b.len() < 8 {
                ParseError::Incomplete {
                    needed: 8 - b.len(),
                }
            } else {
                ParseError::Invalid("not an HTTP/1.x start line")
            });
        }
        let Some(end) = memchr::memmem::find(&b[..b.len().min(MAX_HEAD)], b"\r\n\r\n") else {
            return Err(if b.len() >= MAX_HEAD {
                ParseError::Invalid("HTTP head longer than 16 KiB")
            } else {
                ParseError::Incomplete { needed: 1 }
            });
        };
        let head = std::str::from_utf8(&b[..end])
            .map_err(|_| ParseError::Invalid("HTTP head is not UTF-8"))?;
        let line = head.split("\r\n").next().unwrap_or_default();
        let mut parts = line.splitn(3, ' ');
        let (first, second) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let (method, target, status) = if is_response {
            let code: u16 = second
                .parse()
                .map_err(|_| ParseError::Invalid("bad HTTP status"))?;
            (None, second, code)
        } else {
            (Some(first), second, 0)
        };
        let head_len = end + 4;
        // One pass over the headers for the few that framing needs.
        let (mut length, mut chunked) = (None, false);
        let (mut content_type, mut upgrade) = (None, None);
        for line in head.split("\r\n").skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value
                    .as_bytes()
                    .windows(7)
                    .any(|w| w.eq_ignore_ascii_case(b"chunked"));
            } else if name.eq_ignore_ascii_case("content-type") {
                content_type = Some(value);
            } else if name.eq_ignore_ascii_case("upgrade") {
                upgrade = Some(value);
            }
        }
        let mut m = Message {
            method,
            target,
            status,
            head_len,
            body: Body::Whole(&[]),
            content_type,
            upgrade,
        };
        // Responses to HEAD, 1xx, 204 and 304 have no body; the caller knows
        // about HEAD, the codes are here.
        let bodiless = is_response && (status < 200 || status == 204 || status == 304);
        m.body = if bodiless {
            Body::Whole(&[])
        } else if chunked {
            Body::Chunked
        } else if let Some(n) = length {
            match b.get(head_len..head_len.saturating_add(n)) {
                Some(body) => Body::Whole(body),
                None => Body::Sized(n),
            }
        } else if is_response {
            Body::UntilClose
        } else {
            Body::Whole(&[])
        };
        Ok(m)
    }

    /// Whether this message switches the connection to WebSocket (a 101
    /// answering an Upgrade, RFC 6455 §4).
    pub fn upgrades_to_websocket(&self) -> bool {
        self.status == 101 && self.asks_websocket()
    }

    /// Whether its Upgrade header names WebSocket (a request asking, or
    /// the 101 confirming).
    pub fn asks_websocket(&self) -> bool {
        self.upgrade
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
    }
}

/// Decodes a chunked body (RFC 9112 §7.1) at the start of `b` into `out`
/// (up to `cap` bytes kept); returns the bytes it occupies, trailers
/// included. `Incomplete` until the last chunk is here.
pub fn dechunk(b: &[u8], out: &mut Vec<u8>, cap: usize) -> Result<usize, ParseError> {
    let mut at = 0;
    loop {
        let rest = &b[at..];
        let Some(eol) = memchr::memmem::find(&rest[..rest.len().min(64)], b"\r\n") else {
            return Err(if rest.len() >= 64 {
                ParseError::Invalid("chunk size line too long")
            } else {
                ParseError::Incomplete { needed: 1 }
            });
        };
        let size_text =
            std::str::from_utf8(&rest[..eol]).map_err(|_| ParseError::Invalid("chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| ParseError::Invalid("chunk size"))?;
        at += eol + 2;
        if size == 0 {
            // Trailers end with an empty line.
            let rest = &b[at..];
            return match memchr::memmem::find(rest, b"\r\n") {
                Some(0) => Ok(at + 2),
                Some(_) => match memchr::memmem::find(rest, b"\r\n\r\n") {
                    Some(i) => Ok(at + i + 4),
                    None => Err(ParseError::Incomplete { needed: 1 }),
                },
                None => Err(ParseError::Incomplete { needed: 2 }),
            };
        }
        let Some(chunk) = b.get(at..at.saturating_add(size)) else {
            return Err(ParseError::Incomplete {
                needed: at
                    .saturating_add(size)
                    .saturating_add(2)
                    .saturating_sub(b.len()),
            });
        };
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        at += size;
        match b.get(at..at + 2) {
            Some(b"\r\n") => at += 2,
            Some(_) => return Err(ParseError::Invalid("chunk not followed by CRLF")),
            None => return Err(ParseError::Incomplete { needed: 2 }),
        }
    }
}

/// The stream probe: an HTTP/1.x request line or status line.
pub fn probe_stream(b: &[u8]) -> crate::proto::Probe {
    let yes = looks_like_request(b) || b.starts_with(b"HTTP/1.");
    crate::proto::Probe::from_test(yes, b.len(), 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_by_length_chunks_and_upgrade() {
        let post = b"POST /offer HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello+next";
        let m = Message::parse(post).unwrap();
        assert_eq!((m.method, m.target), (Some("POST"), "/offer"));
        assert_eq!(m.body, Body::Whole(b"hello"));
        assert_eq!(m.head_len + 5, post.len() - 5);
        let partial = b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n{";
        assert_eq!(Message::parse(partial).unwrap().body, Body::Sized(900));
        assert!(matches!(
            Message::parse(b"HTTP/1.1 200 OK\r\nContent-Le"),
            Err(ParseError::Incomplete { .. })
        ));
        assert!(matches!(
            Message::parse(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Err(ParseError::Invalid(_))
        ));
        let chunked = b"4\r\nv=0\n\r\n3;x=1\r\no=-\r\n0\r\n\r\nGET";
        let mut out = Vec::new();
        assert_eq!(dechunk(chunked, &mut out, 1024), Ok(chunked.len() - 3));
        assert_eq!(out, b"v=0\no=-");
        assert!(matches!(
            dechunk(b"ffffffffffffffff\r\nab", &mut out, 10),
            Err(ParseError::Incomplete { .. })
        ));
        let up = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        let m = Message::parse(up).unwrap();
        assert!(m.upgrades_to_websocket());
        assert_eq!(m.body, Body::Whole(&[]));
    }

    #[test]
    fn request() {
        let r = parse_request(
            b"GET /visit?id=1 HTTP/1.1\r\nHost: portal.example\r\nUser-Agent: x\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            (r.method, r.target, r.host),
            ("GET", "/visit?id=1", Some("portal.example"))
        );
        assert!(parse_request(b"SSH-2.0-OpenSSH\r\n").is_none());
        assert!(looks_like_request(b"POST /"));
    }
}
