//! One TCP segment: in-order bytes from the direction's reassembly, one
//! protocol per connection decided from the first bytes (as Retina
//! probes), then that protocol's framing: TLS records until encryption
//! starts, SIP messages with RFC 5626 keep-alives, HTTP and WebSocket
//! messages ([`super::web`]),
//! DNS's two-byte lengths, STUN and ChannelData over TCP (RFC 6062), and
//! RFC 4571 framing (ICE-TCP, RTP over TCP) whose frames are datagrams.
//! A direction stops being followed once nothing more can be learnt.

use super::{Ctx, FlowState, Ports};
use crate::decode::TcpFlags;
use crate::flow::tcp::{Delivery, MAX_BUFFERED, TcpDirection};
use crate::proto::stun::{self, Message};
use crate::proto::{ParseError, Probe, Protocol, StreamProbe, dns, http, sip, tls};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamProto {
    Undecided,
    Tls,
    Sip,
    Http,
    Dns,
    StunTcp,
    /// RFC 4571 two-byte length framing: ICE-TCP (RFC 6544) or RTP over
    /// TCP, each frame a datagram (STUN, DTLS, RTP, RTCP).
    Framed,
    Unknown,
}

#[derive(Clone)]
pub(super) struct TcpState {
    dirs: [TcpDirection; 2],
    proto: StreamProto,
    web: Option<Box<super::web::WebStream>>,
}

impl TcpState {
    /// Sequence gaps both ways: where parsing resumed after missing data.
    pub(super) fn gaps(&self) -> u32 {
        self.dirs[0].gaps + self.dirs[1].gaps
    }
}

impl FlowState {
    pub fn on_tcp(
        &mut self,
        ctx: &mut Ctx<'_>,
        ports: Ports,
        seq: u32,
        flags: TcpFlags,
        payload: &[u8],
    ) {
        let mut tcp = self.tcp.take().unwrap_or_else(|| {
            Box::new(TcpState {
                dirs: [TcpDirection::default(), TcpDirection::default()],
                proto: StreamProto::Undecided,
                web: None,
            })
        });
        // STARTTLS (SMTP, IMAP, POP3, FTP, XMPP): a plaintext protocol we do
        // not follow switches to TLS at a segment boundary.
        if tcp.proto == StreamProto::Unknown
            && tls::looks_like_tls(payload)
            && payload[0] == tls::CONTENT_HANDSHAKE
            && payload.get(5) == Some(&tls::HS_CLIENT_HELLO)
        {
            tcp.dirs = [TcpDirection::default(), TcpDirection::default()];
            tcp.proto = StreamProto::Tls;
            self.notes.push(format!(
                "TLS started mid-stream (STARTTLS) at packet {}",
                ctx.at.packet
            ));
        }
        let d = ctx.at.dir.index();
        match tcp.dirs[d].segment(seq, flags.syn, payload) {
            Delivery::Direct(data) => {
                let used = self.stream(ctx, &mut tcp, ports, data);
                if used < data.len() {
                    tcp.dirs[d].stash(&data[used..]);
                }
            }
            Delivery::Buffered => {
                let buffer = tcp.dirs[d].take_pending();
                let used = self.stream(ctx, &mut tcp, ports, &buffer);
                tcp.dirs[d].restore(buffer, used);
            }
            Delivery::Nothing => {}
        }
        self.tcp = Some(tcp);
    }

    /// Parses reassembled stream bytes; returns how many were consumed.
    fn stream(
        &mut self,
        ctx: &mut Ctx<'_>,
        tcp: &mut TcpState,
        ports: Ports,
        data: &[u8],
    ) -> usize {
        let d = ctx.at.dir.index();
        if tcp.proto == StreamProto::Undecided {
            tcp.proto = decide(data, ports);
            if tcp.proto == StreamProto::Unknown
                && ctx.at.dir == crate::flow::Dir::ClientToServer
                && crate::proto::demux::whatsapp_chat(data)
            {
                crate::proto::demux::mark(&mut self.markers, "whatsapp-chat", ctx.at.packet);
            }
        }
        let used = match tcp.proto {
            StreamProto::Undecided => Some(0),
            StreamProto::Unknown => {
                tcp.dirs[0].finish();
                tcp.dirs[1].finish();
                None
            }
            StreamProto::Tls => self.tls_records(ctx, data),
            StreamProto::Sip => {
                let mut used = 0;
                loop {
                    match self.on_sip_bytes(ctx, &data[used..], true) {
                        Ok(n) => used += n,
                        Err(ParseError::Incomplete { .. }) => break Some(used),
                        // Bytes that will never be SIP: stop following this
                        // direction rather than buffer them to the cap.
                        Err(ParseError::Invalid(_)) => break None,
                    }
                    // Keep-alive CRLFs between messages (RFC 5626).
                    while data[used..].starts_with(b"\r\n") {
                        used += 2;
                    }
                }
            }
            StreamProto::Http => {
                let web = tcp.web.get_or_insert_with(Default::default);
                self.web_stream(ctx, web, data)
            }
            StreamProto::Dns => {
                let mut used = 0;
                while data.len() - used >= 2 {
                    let len = u16::from_be_bytes([data[used], data[used + 1]]) as usize;
                    let Some(msg) = data.get(used + 2..used + 2 + len) else {
                        break;
                    };
                    if let Some(m) = dns::parse(msg) {
                        self.on_dns(ctx, &m);
                    }
                    used += 2 + len;
                }
                Some(used)
            }
            StreamProto::StunTcp => self.stun_frames(ctx, ports, data),
            StreamProto::Framed => {
                let mut used = 0;
                while let Some(frame) = framed(&data[used..]) {
                    self.datagram(ctx, ports, frame, false);
                    used += 2 + frame.len();
                }
                Some(used)
            }
        };
        // `None`: nothing more to learn in this direction.
        used.unwrap_or_else(|| {
            tcp.dirs[d].finish();
            data.len()
        })
    }

    /// TLS records until this direction is encrypted; `None` once it is,
    /// or when the bytes are not TLS records.
    fn tls_records(&mut self, ctx: &mut Ctx<'_>, data: &[u8]) -> Option<usize> {
        let d = ctx.at.dir.index();
        let mut used = 0;
        loop {
            let record = match tls::tls_record(&data[used..]) {
                Ok(record) => record,
                Err(ParseError::Incomplete { .. }) => return Some(used),
                Err(ParseError::Invalid(_)) => return None,
            };
            self.protocols.insert(Protocol::Tls);
            used += record.len();
            let state = self.tls.get_or_insert_with(Default::default);
            match record.content {
                tls::CONTENT_HANDSHAKE if !state.encrypted[d] => {
                    state.on_handshake_record(ctx.at, record.fragment, MAX_BUFFERED)
                }
                // Up to TLS 1.2, ChangeCipherSpec starts encryption. TLS 1.3
                // sends it only for middlebox compatibility (RFC 8446 §D.4),
                // also after a HelloRetryRequest, before the real ServerHello.
                tls::CONTENT_CHANGE_CIPHER_SPEC => {
                    let before_tls13 = state
                        .detail
                        .version
                        .is_some_and(|v| !tls::is_tls13_family(v.0));
                    if before_tls13 {
                        state.encrypted[d] = true;
                    }
                }
                tls::CONTENT_APPLICATION_DATA => {
                    state.on_application_data(ctx.at, record.version);
                    state.encrypted[d] = true;
                }
                tls::CONTENT_ALERT => state.detail.alerts += 1,
                _ => {}
            }
            if state.encrypted[d] {
                state.stop_direction(ctx.at);
                return None;
            }
        }
    }

    /// STUN messages and ChannelData frames over TCP (RFC 6062).
    fn stun_frames(&mut self, ctx: &mut Ctx<'_>, ports: Ports, data: &[u8]) -> Option<usize> {
        let mut used = 0;
        loop {
            let rest = &data[used..];
            // After ConnectionBind (RFC 6062 §5.3) the stream is the peer's.
            if let Some(turn) = self.turn.as_mut().filter(|t| t.tcp_data_connection) {
                turn.relayed_tcp_bytes += rest.len() as u64;
                turn.carried("tcp-data");
                return Some(data.len());
            }
            match rest.first() {
                Some(0..=3) => match Message::parse(rest) {
                    Ok(m) => {
                        used += m.len();
                        self.on_stun(ctx, &m, false, ports);
                    }
                    Err(stun::StunError::Truncated) | Err(stun::StunError::TooShort) => {
                        return Some(used);
                    }
                    Err(stun::StunError::NotStun) => return None,
                },
                Some(64..=127) => match stun::ChannelData::parse(rest, true) {
                    Some(cd) if cd.frame_len <= rest.len() => {
                        used += cd.frame_len;
                        self.on_channel_data(ctx, ports, cd);
                    }
                    _ => return Some(used),
                },
                Some(_) => return None,
                None => return Some(used),
            }
        }
    }
}

/// The stream protocols, each with its probe, in the order they are asked:
/// the first `Certain` decides. DNS is asked only on port 53.
const PROBES: [(StreamProto, StreamProbe); 6] = [
    (StreamProto::Tls, tls::probe_stream),
    (StreamProto::Sip, sip::probe_stream),
    (StreamProto::Http, http::probe_stream),
    (StreamProto::StunTcp, stun::probe_stream),
    (StreamProto::Dns, dns::probe_stream),
    (StreamProto::Framed, probe_framed),
];

/// Bytes after which a stream no probe is sure of is left alone.
const PROBE_WINDOW: usize = 64;

/// Which protocol a connection carries, from its first bytes: the first
/// probe that is certain; `Undecided` while one is unsure and few bytes
/// are there, `Unknown` otherwise.
fn decide(data: &[u8], ports: Ports) -> StreamProto {
    if data.len() < 4 {
        return StreamProto::Undecided;
    }
    let mut unsure = false;
    for (proto, probe) in PROBES {
        if proto == StreamProto::Dns && !ports.any_of(&[53]) {
            continue;
        }
        match probe(data) {
            Probe::Certain => return proto,
            Probe::Unsure => unsure = true,
            Probe::NotForUs => {}
        }
    }
    if unsure && data.len() < PROBE_WINDOW {
        StreamProto::Undecided
    } else {
        StreamProto::Unknown
    }
}

/// The stream probe for RFC 4571 framing (see [`looks_framed`]).
fn probe_framed(data: &[u8]) -> Probe {
    Probe::from_test(looks_framed(data), data.len(), 4)
}

/// The RFC 4571 frame at the start of `data`, when all of it is there.
fn framed(data: &[u8]) -> Option<&[u8]> {
    let len = u16::from_be_bytes([*data.first()?, *data.get(1)?]) as usize;
    data.get(2..2 + len)
}

/// Whether a stream starts with RFC 4571 frames of what ICE multiplexes:
/// a STUN message with its magic cookie, or RTP/RTCP/DTLS whose frame
/// ends exactly where the segment does or where another such frame begins.
/// Many binary protocols start with a length; the content must agree.
fn looks_framed(data: &[u8]) -> bool {
    use crate::proto::demux::{Demux, classify};
    let plausible = |frame: &[u8]| match classify(frame) {
        Demux::Stun => frame.len() >= 20 && frame[4..8] == stun::MAGIC_COOKIE.to_be_bytes(),
        Demux::Rtp => frame.len() >= 12 && !(72..=76).contains(&(frame[1] & 0x7f)),
        Demux::Rtcp => {
            frame.len() >= 8
                && (usize::from(u16::from_be_bytes([frame[2], frame[3]])) + 1) * 4 <= frame.len()
        }
        Demux::Dtls => frame.len() >= 13 && frame[1] == 0xfe && matches!(frame[2], 0xfd | 0xff),
        _ => false,
    };
    let Some(first) = framed(data) else {
        // A first frame longer than the segment: only STUN's cookie is proof.
        return data.len() >= 10
            && classify(&data[2..]) == Demux::Stun
            && data[6..10] == stun::MAGIC_COOKIE.to_be_bytes();
    };
    if !plausible(first) {
        return false;
    }
    let rest = &data[2 + first.len()..];
    rest.is_empty()
        || classify(first) == Demux::Stun
        || framed(rest).is_some_and(plausible)
        || (rest.len() >= 3 && classify(&rest[2..]) == classify(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: Ports = Ports {
        client: 40000,
        server: 8080,
    };

    #[test]
    fn the_first_certain_probe_decides_and_unsure_ones_wait() {
        assert_eq!(decide(b"INVITE sip:a@b SIP/2.0\r\n", WEB), StreamProto::Sip);
        assert_eq!(
            decide(b"INVI", WEB),
            StreamProto::Undecided,
            "may become SIP"
        );
        assert_eq!(decide(b"GET / HTTP/1.1\r\n", WEB), StreamProto::Http);
        assert_eq!(decide(&[22, 3, 1, 0, 5, 1], WEB), StreamProto::Tls);
        assert_eq!(
            decide(b"SSH-2.0-OpenSSH_9.2p1\r\n", WEB),
            StreamProto::Unknown
        );
        // DNS over TCP only where DNS lives: elsewhere its bytes are noise.
        let mut query = vec![0, 29, 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        query.extend_from_slice(b"\x06clinic\x07example\x00\x00\x01\x00\x01");
        let dns = Ports {
            client: 40000,
            server: 53,
        };
        assert_eq!(decide(&query, dns), StreamProto::Dns);
        assert_eq!(decide(&query, WEB), StreamProto::Unknown);
        // Noise that keeps a probe unsure is given up within the window.
        let noise = [1u8; PROBE_WINDOW];
        assert_eq!(decide(&noise[..6], WEB), StreamProto::Undecided);
        assert_eq!(decide(&noise, WEB), StreamProto::Unknown);
    }
}
