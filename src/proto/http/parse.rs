//! Plain HTTP/1.x request lines and Host, to flag cleartext web traffic.

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

#[cfg(test)]
mod tests {
    use super::*;

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
