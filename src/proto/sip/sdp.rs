//! SDP (RFC 8866) as far as a security assessment needs it: where media goes
//! (c=/m=), how it is protected (transport profile, a=crypto presence,
//! a=fingerprint, a=setup) and what ICE reveals (a=candidate, a=ice-ufrag).
//! SRTP key material in a=crypto is never kept: only the crypto suite.

use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sdp {
    pub origin_address: Option<String>,
    pub session_connection: Option<IpAddr>,
    pub ice_ufrag: Option<String>,
    pub fingerprint_hash: Option<String>,
    pub media: Vec<Media>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Media {
    pub kind: String,
    pub port: u16,
    /// Transport profile: RTP/AVP (clear), RTP/SAVP(F), UDP/TLS/RTP/SAVPF...
    pub profile: String,
    pub formats: Vec<String>,
    pub connection: Option<IpAddr>,
    pub rtcp_port: Option<u16>,
    pub rtcp_mux: bool,
    /// Crypto suites of a=crypto lines (the inline keys are dropped).
    pub crypto_suites: Vec<String>,
    pub fingerprint_hash: Option<String>,
    pub setup: Option<String>,
    pub ice_ufrag: Option<String>,
    pub candidates: Vec<Candidate>,
    pub rtpmap: Vec<(u8, String)>,
    pub zrtp_hash: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub transport: String,
    pub address: String,
    pub port: u16,
    pub kind: String,
}

impl Media {
    /// The address media is sent to: media-level c= overrides session-level.
    pub fn address(&self, sdp: &Sdp) -> Option<IpAddr> {
        self.connection.or(sdp.session_connection)
    }

    /// Whether the profile itself promises SRTP.
    pub fn secure_profile(&self) -> bool {
        self.profile.contains("SAVP")
    }
}

/// Parses an SDP body; returns `None` when it is not SDP.
pub fn parse(body: &[u8]) -> Option<Sdp> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.trim_start().starts_with("v=") {
        return None;
    }
    let mut sdp = Sdp::default();
    for line in text.lines() {
        let line = line.trim_end();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "o" => sdp.origin_address = value.split_whitespace().nth(5).map(str::to_string),
            "c" => {
                let addr = parse_connection(value);
                match sdp.media.last_mut() {
                    Some(m) => m.connection = addr,
                    None => sdp.session_connection = addr,
                }
            }
            "m" => {
                let mut parts = value.split_whitespace();
                let kind = parts.next().unwrap_or_default().to_string();
                let port = parts
                    .next()
                    .and_then(|p| p.split('/').next()?.parse().ok())
                    .unwrap_or(0);
                let profile = parts.next().unwrap_or_default().to_string();
                let formats = parts.take(32).map(str::to_string).collect();
                sdp.media.push(Media {
                    kind,
                    port,
                    profile,
                    formats,
                    ..Media::default()
                });
            }
            "a" => apply_attribute(&mut sdp, value),
            _ => {}
        }
    }
    Some(sdp)
}

fn parse_connection(value: &str) -> Option<IpAddr> {
    // c=IN IP4 192.0.2.1[/ttl]
    let addr = value.split_whitespace().nth(2)?;
    addr.split('/').next()?.parse().ok()
}

fn apply_attribute(sdp: &mut Sdp, value: &str) {
    let (name, arg) = value.split_once(':').unwrap_or((value, ""));
    let media = sdp.media.last_mut();
    match (name, media) {
        ("ice-ufrag", Some(m)) => m.ice_ufrag = Some(arg.trim().to_string()),
        ("ice-ufrag", None) => sdp.ice_ufrag = Some(arg.trim().to_string()),
        ("fingerprint", Some(m)) => {
            m.fingerprint_hash = arg.split_whitespace().next().map(str::to_string)
        }
        ("fingerprint", None) => {
            sdp.fingerprint_hash = arg.split_whitespace().next().map(str::to_string)
        }
        ("setup", Some(m)) => m.setup = Some(arg.trim().to_string()),
        ("rtcp-mux", Some(m)) => m.rtcp_mux = true,
        ("rtcp", Some(m)) => {
            m.rtcp_port = arg.split_whitespace().next().and_then(|p| p.parse().ok())
        }
        ("zrtp-hash", Some(m)) => m.zrtp_hash = true,
        ("crypto", Some(m)) => {
            // a=crypto:<tag> <suite> inline:<key>... : keep only the suite.
            if let Some(suite) = arg.split_whitespace().nth(1) {
                if m.crypto_suites.len() < 8 {
                    m.crypto_suites.push(suite.to_string());
                }
            }
        }
        ("rtpmap", Some(m)) => {
            let mut parts = arg.split_whitespace();
            if let (Some(Ok(pt)), Some(codec)) = (parts.next().map(str::parse::<u8>), parts.next())
            {
                if m.rtpmap.len() < 32 {
                    m.rtpmap.push((pt, codec.to_string()));
                }
            }
        }
        ("candidate", Some(m)) => {
            if let (Some(c), true) = (parse_candidate(arg), m.candidates.len() < 32) {
                m.candidates.push(c);
            }
        }
        _ => {}
    }
}

/// An ICE candidate (RFC 8839 §5.1): the value of an a=candidate line, or
/// of a trickled `candidate:` string with its prefix.
pub fn parse_candidate(value: &str) -> Option<Candidate> {
    let value = value
        .trim()
        .strip_prefix("candidate:")
        .unwrap_or(value.trim());
    // foundation component transport priority address port typ type ...
    let mut f = value.split_whitespace();
    let (_, _, transport, _) = (f.next()?, f.next()?, f.next()?, f.next()?);
    let (address, port, typ, kind) = (f.next()?, f.next()?, f.next()?, f.next()?);
    if typ != "typ" {
        return None;
    }
    Some(Candidate {
        transport: transport.to_ascii_lowercase(),
        address: address.to_string(),
        port: port.parse().ok()?,
        kind: kind.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\n\
o=- 20518 0 IN IP4 203.0.113.1\r\n\
s=-\r\n\
c=IN IP4 203.0.113.1\r\n\
t=0 0\r\n\
m=audio 54400 RTP/SAVP 0 96\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n\
m=video 0 UDP/TLS/RTP/SAVPF 100\r\n\
c=IN IP6 2001:db8::1\r\n\
a=ice-ufrag:F7gI\r\n\
a=fingerprint:sha-256 4A:AD:B9\r\n\
a=setup:actpass\r\n\
a=rtcp-mux\r\n\
a=candidate:1 1 UDP 2130706431 192.168.1.20 50000 typ host\r\n\
a=candidate:2 1 udp 1694498815 198.51.100.7 61000 typ srflx raddr 192.168.1.20 rport 50000\r\n";

    #[test]
    fn offer() {
        let sdp = parse(OFFER.as_bytes()).unwrap();
        assert_eq!(sdp.session_connection, Some("203.0.113.1".parse().unwrap()));
        assert_eq!(sdp.media.len(), 2);
        let audio = &sdp.media[0];
        assert_eq!(
            (audio.kind.as_str(), audio.port, audio.profile.as_str()),
            ("audio", 54400, "RTP/SAVP")
        );
        assert_eq!(audio.crypto_suites, vec!["AES_CM_128_HMAC_SHA1_80"]);
        assert_eq!(audio.rtpmap, vec![(96, "opus/48000/2".to_string())]);
        assert_eq!(audio.address(&sdp), Some("203.0.113.1".parse().unwrap()));
        assert!(audio.secure_profile());
        let video = &sdp.media[1];
        assert_eq!(video.address(&sdp), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(video.ice_ufrag.as_deref(), Some("F7gI"));
        assert_eq!(video.fingerprint_hash.as_deref(), Some("sha-256"));
        assert_eq!(video.candidates.len(), 2);
        assert_eq!(video.candidates[1].kind, "srflx");
        assert!(video.rtcp_mux);
        assert!(
            !format!("{sdp:?}").contains("PS1uQCV"),
            "key material must not be kept"
        );
    }

    #[test]
    fn not_sdp() {
        assert!(parse(b"hello").is_none());
        assert!(parse(&[0xff, 0xfe]).is_none());
    }
}
