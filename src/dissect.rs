//! Per-flow dissection: every packet of a flow goes through here, is
//! classified per RFC 7983 (ports only as hints), and updates the flow's
//! protocol state. At the flow's end, [`FlowState::finish`] turns that state
//! into the report's [`FlowRecord`]. Packets of known flows allocate nothing;
//! only first sightings (a new SSRC, a new name, a handshake) store values.

use crate::decode::TcpFlags;
use crate::facts::*;
use crate::flow::tcp::{Delivery, TcpDirection};
use crate::flow::{Dir, End, Flow};
use crate::proto::demux::{Demux, classify};
use crate::proto::rtp::{PayloadStats, rtcp_type};
use crate::proto::sip::{SipMessage, StartLine};
use crate::proto::stun::{self, Class, Message};
use crate::proto::{Protocol, ProtocolSet};
use crate::proto::{dns, http, quic, rtp, sdp, sip, tls};
use crate::time::Nanos;
use crate::time::rfc3339;
use hashbrown::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

/// What SDP announced for a media endpoint, so the RTP flow that later
/// reaches it can be judged by its signaling.
#[derive(Debug, Clone)]
pub struct Announcement {
    pub profile: String,
    pub crypto: bool,
    pub fingerprint: bool,
    pub zrtp: bool,
    pub packet: u64,
}

/// State shared across flows: SDP media announcements and DNS answers.
#[derive(Default)]
pub struct Shared {
    pub media: HashMap<SocketAddr, Announcement>,
    pub dns: BTreeMap<String, BTreeSet<IpAddr>>,
}

const MAX_ANNOUNCEMENTS: usize = 100_000;
const MAX_DNS_NAMES: usize = 100_000;

/// Where the current packet sits in the capture.
pub struct Ctx<'s> {
    pub packet: u64,
    pub ts: Nanos,
    pub dir: Dir,
    pub shared: &'s mut Shared,
}

/// Formats `value` on the stack and hands the text to `f`, so the packet
/// path can compare a formatted value (an address, a code) with the stored
/// ones without allocating; only values longer than the buffer allocate.
fn with_text<R>(value: impl std::fmt::Display, f: impl FnOnce(&str) -> R) -> R {
    use std::fmt::Write;
    struct Buf {
        bytes: [u8; 128],
        len: usize,
    }
    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            slot.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut buf = Buf {
        bytes: [0; 128],
        len: 0,
    };
    match write!(buf, "{value}") {
        Ok(()) => f(std::str::from_utf8(&buf.bytes[..buf.len]).unwrap_or_default()),
        Err(_) => f(&value.to_string()),
    }
}

/// An optional address that prints as nothing when absent.
struct OptionalAddr(Option<SocketAddr>);

impl std::fmt::Display for OptionalAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => Ok(()),
        }
    }
}

fn push_unique(list: &mut Vec<String>, value: &str, cap: usize) {
    if list.len() < cap && !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

#[derive(Clone)]
struct RtpStreamState {
    ssrc: u32,
    dir: Dir,
    relayed: bool,
    payload_type: u8,
    packets: u64,
    bytes: u64,
    first_packet: u64,
    last_packet: u64,
    first_ts: Nanos,
    last_ts: Nanos,
    last_seq: u16,
    in_sequence: u64,
    gaps: u64,
    out_of_order: u64,
    stats: Box<PayloadStats>,
}

const MAX_STREAMS: usize = 32;

#[derive(Default, Clone)]
struct TlsState {
    detail: TlsDetail,
    /// Per direction: handshake bytes spanning records (TLS over TCP).
    handshake: [Vec<u8>; 2],
    encrypted: [bool; 2],
    /// Per direction: the DTLS handshake message being reassembled from
    /// fragments (certificates rarely fit one datagram).
    dtls_fragments: [Option<Box<DtlsMessage>>; 2],
}

#[derive(Clone)]
struct DtlsMessage {
    kind: u8,
    message_seq: u16,
    data: Vec<u8>,
    ranges: Vec<(usize, usize)>,
}

/// Largest DTLS handshake message we reassemble (a certificate chain).
const MAX_DTLS_MESSAGE: usize = 64 * 1024;

#[derive(Default, Clone)]
struct QuicState {
    detail: QuicDetail,
    client_dcid: Option<Vec<u8>>,
    keys: [Option<quic::InitialKeys>; 2],
    crypto: [quic::CryptoAssembler; 2],
    done: [bool; 2],
    scratch: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamProto {
    Undecided,
    Tls,
    Sip,
    Http,
    Dns,
    StunTcp,
    Unknown,
}

#[derive(Clone)]
struct TcpState {
    dirs: [TcpDirection; 2],
    proto: StreamProto,
}

/// Everything learnt about one flow.
#[derive(Default, Clone)]
pub struct FlowState {
    protocols: ProtocolSet,
    stun: Option<Box<StunDetail>>,
    turn: Option<Box<TurnDetail>>,
    sip: Option<Box<SipDetail>>,
    rtp: Vec<RtpStreamState>,
    rtcp: Option<Box<RtcpDetail>>,
    tls: Option<Box<TlsState>>,
    dns: Option<Box<DnsDetail>>,
    quic: Option<Box<QuicState>>,
    http: Option<Box<HttpDetail>>,
    zrtp: Option<Box<ZrtpDetail>>,
    tcp: Option<Box<TcpState>>,
    /// Packet of the DTLS ServerHello that negotiated use_srtp.
    dtls_srtp: Option<(u64, String)>,
    notes: Vec<String>,
}

const TURN_PORTS: [u16; 4] = [3478, 3479, 5349, 5350];
const DNS_PORTS: [u16; 3] = [53, 5353, 5355];

impl FlowState {
    pub fn protocols(&self) -> ProtocolSet {
        self.protocols
    }

    /// Whether the flow carries a telehealth protocol as far as seen yet:
    /// signaling, ICE/TURN, DTLS, ZRTP, RTCP, or an RTP stream that holds together.
    pub fn telehealth_so_far(&self) -> bool {
        use Protocol::*;
        [Stun, Turn, Sip, Sdp, Rtcp, Srtcp, Dtls, Zrtp]
            .iter()
            .any(|p| self.protocols.contains(*p))
            || self
                .rtp
                .iter()
                .any(|s| s.packets >= 3 && s.in_sequence * 10 >= (s.packets - 1) * 7)
    }

    /// One UDP datagram of this flow.
    pub fn on_udp(&mut self, ctx: &mut Ctx<'_>, ports: (u16, u16), payload: &[u8]) {
        self.datagram(ctx, ports, payload, false);
    }

    /// Dissects a datagram; `relayed` marks payloads a TURN relay carried,
    /// which are dissected once more but never unwrapped again.
    fn datagram(&mut self, ctx: &mut Ctx<'_>, ports: (u16, u16), payload: &[u8], relayed: bool) {
        // DNS ids are arbitrary and fall into RFC 7983's ranges: on DNS ports,
        // a message that parses as DNS is DNS.
        if !relayed && (DNS_PORTS.contains(&ports.0) || DNS_PORTS.contains(&ports.1)) {
            if let Some(m) = dns::parse(payload) {
                self.on_dns(ctx, &m);
                return;
            }
        }
        match classify(payload) {
            Demux::Stun => {
                if let Ok(m) = Message::parse(payload) {
                    self.on_stun(ctx, &m, relayed, ports);
                }
            }
            Demux::Zrtp => {
                if payload.get(4..8) == Some(b"ZRTP") {
                    self.on_zrtp(payload);
                }
            }
            Demux::Dtls => self.on_dtls(ctx, payload),
            Demux::ChannelData => {
                if sip::looks_like_sip(payload) {
                    self.on_sip_bytes(ctx, payload, false);
                } else if !relayed
                    && (self.protocols.contains(Protocol::Stun)
                        || TURN_PORTS.contains(&ports.0)
                        || TURN_PORTS.contains(&ports.1))
                {
                    if let Some(cd) = stun::ChannelData::parse(payload, false) {
                        self.on_channel_data(ctx, ports, cd);
                    }
                }
            }
            Demux::Rtp => self.on_rtp(ctx, payload, relayed),
            Demux::Rtcp => self.on_rtcp(ctx, payload),
            Demux::High => {
                if !relayed {
                    self.on_quic(ctx, payload);
                }
            }
            Demux::Other => {
                if sip::looks_like_sip(payload) {
                    self.on_sip_bytes(ctx, payload, false);
                } else if !relayed && quic::legacy_gquic_version(payload).is_some() {
                    self.on_quic(ctx, payload);
                } else if (DNS_PORTS.contains(&ports.0) || DNS_PORTS.contains(&ports.1)) && !relayed
                {
                    if let Some(m) = dns::parse(payload) {
                        self.on_dns(ctx, &m);
                    }
                }
            }
        }
    }

    fn on_stun(&mut self, ctx: &mut Ctx<'_>, m: &Message<'_>, relayed: bool, ports: (u16, u16)) {
        self.protocols.insert(Protocol::Stun);
        let s = self.stun.get_or_insert_with(Default::default);
        if s.messages == 0 {
            s.first_packet = ctx.packet;
        }
        s.messages += 1;
        if m.classic {
            s.classic_messages += 1;
        }
        let method = m.method();
        let class = m.class();
        let label = stun_label(method, class);
        match s.message_types.get_mut(label) {
            Some(n) => *n += 1,
            None => {
                s.message_types.insert(label.to_string(), 1);
            }
        }
        if let Some(u) = m.text(stun::USERNAME) {
            push_unique(&mut s.usernames, u, 16);
        }
        if let Some(sw) = m.text(stun::SOFTWARE) {
            push_unique(&mut s.software, sw, 8);
        }
        if s.realm.is_none() {
            s.realm = m.text(stun::REALM).map(str::to_string);
        }
        s.nonce_seen |= m.has(stun::NONCE);
        s.message_integrity |=
            m.has(stun::MESSAGE_INTEGRITY) || m.has(stun::MESSAGE_INTEGRITY_SHA256);
        for kind in [
            stun::XOR_MAPPED_ADDRESS,
            stun::XOR_MAPPED_ADDRESS_OLD,
            stun::MAPPED_ADDRESS,
        ] {
            if let Some(a) = m.address(kind) {
                with_text(a, |t| push_unique(&mut s.mapped_addresses, t, 16));
                break;
            }
        }
        if let Some(a) = m.address(stun::XOR_RELAYED_ADDRESS) {
            with_text(a, |t| push_unique(&mut s.relayed_addresses, t, 16));
        }
        for a in m.addresses(stun::XOR_PEER_ADDRESS) {
            with_text(a, |t| push_unique(&mut s.peer_addresses, t, 32));
        }
        if let Some(p) = m.u32_attr(stun::PRIORITY) {
            if s.priorities.len() < 8 && !s.priorities.contains(&p) {
                s.priorities.push(p);
            }
        }
        s.ice_controlling |= m.has(stun::ICE_CONTROLLING);
        s.ice_controlled |= m.has(stun::ICE_CONTROLLED);
        if m.has(stun::USE_CANDIDATE) {
            s.use_candidate = true;
            s.use_candidate_packet.get_or_insert(ctx.packet);
        }
        if let Some(l) = m.u32_attr(stun::LIFETIME) {
            s.lifetime = Some(l);
        }
        if let Some((code, reason)) = m.error_code() {
            with_text(format_args!("{code} {reason}"), |t| {
                push_unique(&mut s.error_codes, t, 8)
            });
        }
        if m.fingerprint_ok() == Some(false) {
            s.bad_fingerprints += 1;
        }
        if relayed || !stun::is_turn_method(method) {
            return;
        }
        self.protocols.insert(Protocol::Turn);
        let turn = self.turn.get_or_insert_with(Default::default);
        match (method, class) {
            (stun::method::CHANNEL_BIND, Class::Request) => {
                // Bindings are refreshed every few minutes: store each once.
                if let Some(channel) = m.channel_number() {
                    let peer = m.address(stun::XOR_PEER_ADDRESS);
                    let known = turn.channels.iter().any(|b| {
                        b.channel == channel
                            && with_text(OptionalAddr(peer), |p| {
                                b.peer.as_deref().unwrap_or("") == p
                            })
                    });
                    if turn.channels.len() < 64 && !known {
                        turn.channels.push(ChannelBinding {
                            channel,
                            peer: peer.map(|a| a.to_string()),
                        });
                    }
                }
            }
            (stun::method::SEND, Class::Indication) | (stun::method::DATA, Class::Indication) => {
                if method == stun::method::SEND {
                    turn.send_indications += 1;
                } else {
                    turn.data_indications += 1;
                }
                if let Some(data) = m.attribute(stun::DATA) {
                    self.carried(ctx, ports, data);
                }
            }
            _ => {}
        }
    }

    fn on_channel_data(&mut self, ctx: &mut Ctx<'_>, ports: (u16, u16), cd: stun::ChannelData<'_>) {
        self.protocols.insert(Protocol::Turn);
        let turn = self.turn.get_or_insert_with(Default::default);
        turn.channel_data_frames += 1;
        turn.channel_data_bytes += cd.data.len() as u64;
        self.carried(ctx, ports, cd.data);
    }

    /// Dissects what a TURN relay carries and notes which protocols it was.
    fn carried(&mut self, ctx: &mut Ctx<'_>, ports: (u16, u16), data: &[u8]) {
        let before = self.protocols;
        let stun_before = self.stun.as_ref().map_or(0, |s| s.messages);
        self.datagram(ctx, ports, data, true);
        let label = match classify(data) {
            Demux::Stun if self.stun.as_ref().map_or(0, |s| s.messages) > stun_before => {
                Some("stun")
            }
            Demux::Dtls if self.protocols.contains(Protocol::Dtls) => Some("dtls"),
            Demux::Rtp => Some("rtp"),
            Demux::Rtcp => Some("rtcp"),
            _ if self.protocols != before => Some("other"),
            _ => None,
        };
        if let (Some(label), Some(turn)) = (label, self.turn.as_mut()) {
            if !turn.carried.contains(&label) {
                turn.carried.push(label);
            }
        }
    }

    fn on_zrtp(&mut self, payload: &[u8]) {
        self.protocols.insert(Protocol::Zrtp);
        let z = self.zrtp.get_or_insert_with(Default::default);
        z.packets += 1;
        // Message type block: preamble 0x505a, length, 8-byte type.
        if let Some(kind) = payload
            .get(16..24)
            .and_then(|t| std::str::from_utf8(t).ok())
        {
            bump(&mut z.message_types, kind.trim());
        }
    }

    fn on_dtls(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) {
        let mut rest = payload;
        while let Some((content, version, epoch, fragment, len)) = tls::dtls_record(rest) {
            if !(20..=25).contains(&content)
                || !matches!(version, 0xFEFF | 0xFEFD | 0xFEFC | 0x0100)
            {
                return;
            }
            self.protocols.insert(Protocol::Dtls);
            let state = self.tls.get_or_insert_with(Default::default);
            match content {
                tls::CONTENT_HANDSHAKE if epoch == 0 => {
                    for message in tls::dtls_handshakes(fragment) {
                        if message.is_whole() {
                            self.on_handshake(ctx, message.kind, message.body, true);
                        } else if let Some(whole) = self.dtls_fragment(ctx.dir, &message) {
                            self.on_handshake(ctx, message.kind, &whole, true);
                        }
                    }
                }
                tls::CONTENT_APPLICATION_DATA => state.detail.application_data_records += 1,
                tls::CONTENT_ALERT => state.detail.alerts += 1,
                _ => {}
            }
            rest = &rest[len..];
        }
    }

    /// Adds a DTLS handshake fragment; returns the message once complete.
    fn dtls_fragment(&mut self, dir: Dir, fragment: &tls::DtlsHandshake<'_>) -> Option<Vec<u8>> {
        let end = fragment.offset.checked_add(fragment.body.len())?;
        if fragment.length > MAX_DTLS_MESSAGE || end > fragment.length {
            return None;
        }
        let state = self.tls.get_or_insert_with(Default::default);
        let slot = &mut state.dtls_fragments[dir.index()];
        let fresh = slot
            .as_ref()
            .is_none_or(|m| m.message_seq != fragment.message_seq || m.kind != fragment.kind);
        if fresh {
            *slot = Some(Box::new(DtlsMessage {
                kind: fragment.kind,
                message_seq: fragment.message_seq,
                data: vec![0; fragment.length],
                ranges: Vec::new(),
            }));
        }
        let message = slot.as_mut()?;
        if message.data.len() != fragment.length {
            return None;
        }
        message.data[fragment.offset..end].copy_from_slice(fragment.body);
        crate::ranges::insert(&mut message.ranges, (fragment.offset, end));
        if message.ranges.first() == Some(&(0, fragment.length)) {
            return slot.take().map(|m| m.data);
        }
        None
    }

    /// A complete handshake message, from TLS, DTLS or QUIC CRYPTO frames.
    fn on_handshake(&mut self, ctx: &mut Ctx<'_>, kind: u8, body: &[u8], dtls: bool) {
        let state = self.tls.get_or_insert_with(Default::default);
        let d = &mut state.detail;
        match kind {
            tls::HS_CLIENT_HELLO => {
                let Some(hello) = tls::ClientHello::parse(body, dtls) else {
                    return;
                };
                d.client_hello_packet.get_or_insert(ctx.packet);
                if d.sni.is_none() {
                    d.sni = hello.sni.map(str::to_string);
                }
                for p in hello.alpn() {
                    push_unique(&mut d.alpn, p, 8);
                }
                for v in hello.supported_versions() {
                    push_unique(&mut d.client_versions, tls::version_name(v), 8);
                }
                if d.client_versions.is_empty() {
                    d.client_versions
                        .push(tls::version_name(hello.legacy_version).to_string());
                }
                for p in hello.srtp_profiles() {
                    push_unique(&mut d.srtp_profiles_offered, tls::srtp_profile_name(p), 8);
                }
            }
            tls::HS_SERVER_HELLO => {
                let Some(hello) = tls::ServerHello::parse(body) else {
                    return;
                };
                if hello.hello_retry {
                    return;
                }
                d.server_hello_packet.get_or_insert(ctx.packet);
                d.version = Some(tls::version_name(hello.version()).to_string());
                d.cipher = Some(tls::cipher_name(hello.cipher));
                d.cipher_id = Some(hello.cipher);
                if let Some(alpn) = hello.alpn {
                    d.alpn_selected = Some(alpn.to_string());
                }
                if let Some(p) = hello.srtp_profile {
                    let name = tls::srtp_profile_name(p);
                    d.srtp_profile = Some(name.to_string());
                    self.dtls_srtp.get_or_insert((ctx.packet, name.to_string()));
                }
            }
            tls::HS_CERTIFICATE if state.detail.certificate.is_none() => {
                let info = tls::leaf_certificate(body).and_then(tls::certificate_info);
                state.detail.certificate = info.map(|c| CertificateDetail {
                    subject: c.subject,
                    issuer: c.issuer,
                    not_before: rfc3339(c.not_before.saturating_mul(1_000_000_000)),
                    not_after: rfc3339(c.not_after.saturating_mul(1_000_000_000)),
                    self_signed: c.self_signed,
                    dns_names: c.dns_names,
                    packet: ctx.packet,
                });
            }
            _ => {}
        }
    }

    fn on_rtp(&mut self, ctx: &mut Ctx<'_>, payload: &[u8], relayed: bool) {
        let Some(h) = rtp::parse_rtp(payload) else {
            return;
        };
        let dir = ctx.dir;
        let stream = match self
            .rtp
            .iter_mut()
            .position(|s| s.ssrc == h.ssrc && s.dir == dir)
        {
            Some(i) => &mut self.rtp[i],
            None if self.rtp.len() < MAX_STREAMS => {
                self.rtp.push(RtpStreamState {
                    ssrc: h.ssrc,
                    dir,
                    relayed,
                    payload_type: h.payload_type,
                    packets: 0,
                    bytes: 0,
                    first_packet: ctx.packet,
                    last_packet: ctx.packet,
                    first_ts: ctx.ts,
                    last_ts: ctx.ts,
                    last_seq: h.sequence.wrapping_sub(1),
                    in_sequence: 0,
                    gaps: 0,
                    out_of_order: 0,
                    stats: Box::default(),
                });
                self.rtp.last_mut().expect("just pushed")
            }
            None => return,
        };
        let delta = h.sequence.wrapping_sub(stream.last_seq) as i16;
        match delta {
            1 => stream.in_sequence += 1,
            2..=100 => {
                stream.in_sequence += 1;
                stream.gaps += (delta - 1) as u64;
            }
            _ => stream.out_of_order += 1,
        }
        if delta > 0 {
            stream.last_seq = h.sequence;
        }
        stream.packets += 1;
        stream.bytes += h.payload.len() as u64;
        stream.last_packet = ctx.packet;
        stream.last_ts = ctx.ts;
        stream.stats.add(h.payload);
    }

    fn on_rtcp(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) {
        if rtp::is_plain_rtcp(payload) {
            self.protocols.insert(Protocol::Rtcp);
            let r = self.rtcp.get_or_insert_with(Default::default);
            r.packets += 1;
            for p in rtp::rtcp_packets(payload) {
                bump(&mut r.packet_types, rtcp_type_name(p.packet_type));
                match p.packet_type {
                    rtcp_type::SDES => {
                        for (ssrc, kind, value) in rtp::sdes_items(&p) {
                            let value = String::from_utf8_lossy(value);
                            let known = with_text(format_args!("0x{ssrc:08x}"), |id| {
                                r.sdes.iter().any(|s| {
                                    s.item == kind.name() && s.value == value && s.ssrc == id
                                })
                            });
                            if !known && r.sdes.len() < 32 {
                                r.sdes.push(SdesRecord {
                                    ssrc: format!("0x{ssrc:08x}"),
                                    item: kind.name(),
                                    value: value.into_owned(),
                                    packet: ctx.packet,
                                });
                            }
                        }
                    }
                    rtcp_type::BYE => r.bye += 1,
                    _ => {}
                }
            }
        } else if looks_like_srtcp(payload) {
            self.protocols.insert(Protocol::Srtcp);
            self.rtcp.get_or_insert_with(Default::default).srtcp_packets += 1;
        }
    }

    fn on_quic(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) {
        let version = quic::long_header_version(payload)
            .filter(|&v| quic::is_known_version(v) || quic::is_version_negotiation(payload))
            .or_else(|| quic::legacy_gquic_version(payload));
        match version {
            Some(v) => {
                self.protocols.insert(Protocol::Quic);
                let q = self.quic.get_or_insert_with(Default::default);
                if q.detail.versions.len() < 4 {
                    with_text(quic::VersionName(v), |t| {
                        push_unique(&mut q.detail.versions, t, 4)
                    });
                }
            }
            _ => return,
        }
        let mut rest = payload;
        while let Some(h) = quic::parse_long_header(rest) {
            if !quic::is_known_version(h.version) {
                return;
            }
            let q = self.quic.get_or_insert_with(Default::default);
            if h.packet_type == quic::PacketType::Initial {
                q.detail.initial_packets += 1;
                let d = ctx.dir.index();
                if ctx.dir == Dir::ClientToServer && q.client_dcid.is_none() {
                    q.client_dcid = Some(h.dcid.to_vec());
                }
                if !q.done[d] {
                    if q.keys[d].is_none() {
                        if let Some(dcid) = &q.client_dcid {
                            q.keys[d] = quic::InitialKeys::derive(h.version, dcid, d == 1);
                        }
                    }
                    let packet = &rest[..h.packet_len];
                    if let Some(keys) = &q.keys[d] {
                        let mut scratch = std::mem::take(&mut q.scratch);
                        if let Some(plain) = quic::decrypt_initial(packet, &h, keys, &mut scratch) {
                            q.detail.decrypted_initials += 1;
                            for (offset, data) in quic::crypto_frames(plain) {
                                q.crypto[d].add(offset, data);
                            }
                        }
                        q.scratch = scratch;
                    }
                    let assembled = q.crypto[d].contiguous();
                    if let Some((kind, body, _)) = tls::tls_handshake(assembled) {
                        let body = body.to_vec();
                        q.done[d] = true;
                        self.on_handshake(ctx, kind, &body, false);
                        self.copy_quic_hello();
                    }
                }
            }
            if h.packet_len >= rest.len() {
                return;
            }
            rest = &rest[h.packet_len..];
        }
    }

    /// QUIC's handshake is TLS 1.3: move what the hellos said into the QUIC detail.
    fn copy_quic_hello(&mut self) {
        let (Some(q), Some(t)) = (self.quic.as_mut(), self.tls.as_ref()) else {
            return;
        };
        q.detail.sni = t.detail.sni.clone();
        q.detail.alpn = t.detail.alpn.clone();
        q.detail.cipher = t.detail.cipher.clone();
    }

    fn on_dns(&mut self, ctx: &mut Ctx<'_>, m: &dns::DnsMessage) {
        self.protocols.insert(Protocol::Dns);
        let d = self.dns.get_or_insert_with(Default::default);
        for (name, kind) in &m.questions {
            if d.queries.len() < 64 && !d.queries.iter().any(|q| &q.name == name && &q.kind == kind)
            {
                d.queries.push(DnsQuery {
                    name: name.clone(),
                    kind: kind.clone(),
                    packet: ctx.packet,
                });
            }
        }
        if !m.response {
            return;
        }
        bump(&mut d.response_codes, &m.rcode);
        for a in &m.answers {
            let (name, kind, data, ttl) = match a {
                dns::Answer::Address { name, address, ttl } => {
                    let kind = if address.is_ipv4() { "A" } else { "AAAA" };
                    (name, kind.to_string(), address.to_string(), *ttl)
                }
                dns::Answer::Cname { name, target, ttl } => {
                    (name, "CNAME".to_string(), target.clone(), *ttl)
                }
                dns::Answer::Other { name, kind } => (name, kind.clone(), String::new(), 0),
            };
            if d.answers.len() < 128 && !d.answers.iter().any(|x| &x.name == name && x.data == data)
            {
                d.answers.push(DnsAnswer {
                    name: name.clone(),
                    kind,
                    data,
                    ttl,
                    packet: ctx.packet,
                });
            }
        }
        // Name-to-address map: the owner of each A/AAAA and every alias whose
        // CNAME chain leads to it.
        for a in &m.answers {
            let dns::Answer::Address { name, address, .. } = a else {
                continue;
            };
            let mut names = vec![name.clone()];
            for _ in 0..8 {
                let before = names.len();
                for c in &m.answers {
                    if let dns::Answer::Cname {
                        name: alias,
                        target,
                        ..
                    } = c
                    {
                        if names.contains(target) && !names.contains(alias) {
                            names.push(alias.clone());
                        }
                    }
                }
                if names.len() == before {
                    break;
                }
            }
            for n in names {
                if ctx.shared.dns.len() < MAX_DNS_NAMES || ctx.shared.dns.contains_key(&n) {
                    ctx.shared.dns.entry(n).or_default().insert(*address);
                }
            }
        }
    }

    fn on_sip_bytes(&mut self, ctx: &mut Ctx<'_>, bytes: &[u8], stream: bool) -> usize {
        let Some(m) = SipMessage::parse(bytes, stream) else {
            return 0;
        };
        self.on_sip(ctx, &m);
        m.len
    }

    fn on_sip(&mut self, ctx: &mut Ctx<'_>, m: &SipMessage<'_>) {
        self.protocols.insert(Protocol::Sip);
        let s = self.sip.get_or_insert_with(Default::default);
        if s.requests.is_empty() && s.responses.is_empty() {
            s.first_packet = ctx.packet;
        }
        match m.start {
            StartLine::Request { method, .. } => bump(&mut s.requests, method),
            StartLine::Response { code, .. } => with_text(code, |c| bump(&mut s.responses, c)),
        }
        let call_id = m.call_id();
        if let Some(id) = call_id {
            push_unique(&mut s.call_ids, id, 16);
        }
        if s.messages.len() < 64 {
            s.messages.push(SipMessageRecord {
                packet: ctx.packet,
                direction: ctx.dir.name(),
                message: match m.start {
                    StartLine::Request { method, .. } => method.to_string(),
                    StartLine::Response { code, reason } => format!("{code} {reason}"),
                },
                cseq: m.cseq().map(|(n, method)| format!("{n} {method}")),
                call_id: call_id.map(str::to_string),
            });
        }
        for (header, full, compact) in [
            ("From", "from", Some("f")),
            ("To", "to", Some("t")),
            ("Contact", "contact", Some("m")),
            ("P-Asserted-Identity", "p-asserted-identity", None),
            ("P-Preferred-Identity", "p-preferred-identity", None),
            ("Remote-Party-ID", "remote-party-id", None),
        ] {
            for value in m.headers_named(full, compact) {
                // Contact and PAI may list several values separated by commas.
                for part in value.split(">,") {
                    let Some(na) = sip::parse_name_addr(part) else {
                        continue;
                    };
                    if na.uri.is_empty() || na.uri == "*" {
                        continue;
                    }
                    let known = s.identities.iter().any(|i| {
                        i.header == header
                            && i.uri == na.uri
                            && i.display_name.as_deref() == na.display_name
                    });
                    if !known && s.identities.len() < 32 {
                        s.identities.push(SipIdentity {
                            header,
                            display_name: na.display_name.map(str::to_string),
                            uri: na.uri.to_string(),
                        });
                    }
                }
            }
        }
        for ua in m
            .headers_named("user-agent", None)
            .chain(m.headers_named("server", None))
        {
            push_unique(&mut s.user_agents, ua, 8);
        }
        s.authorization |= m.header("authorization", None).is_some()
            || m.header("proxy-authorization", None).is_some();
        let is_sdp = m
            .content_type()
            .is_some_and(|c| c.to_ascii_lowercase().contains("sdp"))
            || m.body.starts_with(b"v=0");
        if m.body.is_empty() || !is_sdp {
            return;
        }
        let Some(parsed) = sdp::parse(m.body) else {
            return;
        };
        self.protocols.insert(Protocol::Sdp);
        let media = parsed
            .media
            .iter()
            .map(|md| {
                let address = md.address(&parsed);
                if let (Some(addr), true) = (address, md.port > 0) {
                    let announcement = Announcement {
                        profile: md.profile.clone(),
                        crypto: !md.crypto_suites.is_empty(),
                        fingerprint: md.fingerprint_hash.is_some()
                            || parsed.fingerprint_hash.is_some(),
                        zrtp: md.zrtp_hash,
                        packet: ctx.packet,
                    };
                    if ctx.shared.media.len() < MAX_ANNOUNCEMENTS {
                        ctx.shared
                            .media
                            .insert(SocketAddr::new(addr, md.port), announcement.clone());
                        if !md.rtcp_mux {
                            let rtcp = md.rtcp_port.unwrap_or(md.port.wrapping_add(1));
                            ctx.shared
                                .media
                                .insert(SocketAddr::new(addr, rtcp), announcement);
                        }
                    }
                }
                SdpMedia {
                    kind: md.kind.clone(),
                    address: address.map(|a| a.to_string()),
                    port: md.port,
                    rtcp_port: (!md.rtcp_mux && md.port > 0)
                        .then(|| md.rtcp_port.unwrap_or(md.port.wrapping_add(1))),
                    profile: md.profile.clone(),
                    crypto: !md.crypto_suites.is_empty(),
                    crypto_suites: md.crypto_suites.clone(),
                    fingerprint: md
                        .fingerprint_hash
                        .clone()
                        .or_else(|| parsed.fingerprint_hash.clone()),
                    setup: md.setup.clone(),
                    ice_ufrag: md.ice_ufrag.clone().or_else(|| parsed.ice_ufrag.clone()),
                    candidates: md
                        .candidates
                        .iter()
                        .map(|c| SdpCandidate {
                            kind: c.kind.clone(),
                            transport: c.transport.clone(),
                            address: c.address.clone(),
                            port: c.port,
                        })
                        .collect(),
                    codecs: md
                        .rtpmap
                        .iter()
                        .map(|(pt, c)| format!("{pt} {c}"))
                        .collect(),
                }
            })
            .collect();
        let s = self.sip.get_or_insert_with(Default::default);
        if s.sdp.len() < 16 {
            s.sdp.push(SdpRecord {
                packet: ctx.packet,
                message: match m.start {
                    StartLine::Request { method, .. } => method.to_string(),
                    StartLine::Response { code, .. } => code.to_string(),
                },
                call_id: call_id.map(str::to_string),
                media,
            });
        }
    }

    /// One TCP segment of this flow.
    pub fn on_tcp(
        &mut self,
        ctx: &mut Ctx<'_>,
        ports: (u16, u16),
        seq: u32,
        flags: TcpFlags,
        payload: &[u8],
    ) {
        let mut tcp = self.tcp.take().unwrap_or_else(|| {
            Box::new(TcpState {
                dirs: [TcpDirection::default(), TcpDirection::default()],
                proto: StreamProto::Undecided,
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
                ctx.packet
            ));
        }
        let d = ctx.dir.index();
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
        ports: (u16, u16),
        data: &[u8],
    ) -> usize {
        let d = ctx.dir.index();
        if tcp.proto == StreamProto::Undecided {
            tcp.proto = decide_stream(data, ports);
            if tcp.proto == StreamProto::Undecided {
                return 0;
            }
        }
        let mut used = 0;
        match tcp.proto {
            StreamProto::Undecided => {}
            StreamProto::Unknown => {
                tcp.dirs[0].finish();
                tcp.dirs[1].finish();
                return data.len();
            }
            StreamProto::Tls => {
                while let Some((content, _version, fragment)) = tls::tls_record(&data[used..]) {
                    self.protocols.insert(Protocol::Tls);
                    used += 5 + fragment.len();
                    let state = self.tls.get_or_insert_with(Default::default);
                    match content {
                        tls::CONTENT_HANDSHAKE if !state.encrypted[d] => {
                            self.tls_handshake_bytes(ctx, fragment)
                        }
                        tls::CONTENT_CHANGE_CIPHER_SPEC => state.encrypted[d] = true,
                        tls::CONTENT_APPLICATION_DATA => {
                            state.detail.application_data_records += 1;
                            state.encrypted[d] = true;
                        }
                        tls::CONTENT_ALERT => state.detail.alerts += 1,
                        _ => {}
                    }
                    let state = self.tls.get_or_insert_with(Default::default);
                    if state.encrypted[d] {
                        // Nothing more to learn in this direction.
                        state.handshake[d] = Vec::new();
                        tcp.dirs[d].finish();
                        return data.len();
                    }
                }
                if data.len() - used >= 5 && !tls::looks_like_tls(&data[used..]) {
                    tcp.dirs[d].finish();
                    return data.len();
                }
            }
            StreamProto::Sip => loop {
                let n = self.on_sip_bytes(ctx, &data[used..], true);
                if n == 0 {
                    break;
                }
                used += n;
                // Keep-alive CRLFs between messages (RFC 5626).
                while data[used..].starts_with(b"\r\n") {
                    used += 2;
                }
            },
            StreamProto::Http => {
                if ctx.dir == Dir::ClientToServer {
                    if let Some(r) = http::parse_request(data) {
                        self.on_http(ctx, &r);
                    }
                }
                self.protocols.insert(Protocol::Http);
                // Requests after the first are not needed to flag cleartext HTTP.
                tcp.dirs[d].finish();
                return data.len();
            }
            StreamProto::Dns => {
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
            }
            StreamProto::StunTcp => {
                let ports_hint = ports;
                loop {
                    let rest = &data[used..];
                    match rest.first() {
                        Some(0..=3) => match Message::parse(rest) {
                            Ok(m) => {
                                used += m.len();
                                self.on_stun(ctx, &m, false, ports_hint);
                            }
                            Err(stun::StunError::Truncated) | Err(stun::StunError::TooShort) => {
                                break;
                            }
                            Err(stun::StunError::NotStun) => {
                                tcp.dirs[d].finish();
                                return data.len();
                            }
                        },
                        Some(64..=127) => match stun::ChannelData::parse(rest, true) {
                            Some(cd) if cd.frame_len <= rest.len() => {
                                used += cd.frame_len;
                                self.on_channel_data(ctx, ports_hint, cd);
                            }
                            _ => break,
                        },
                        Some(_) => {
                            tcp.dirs[d].finish();
                            return data.len();
                        }
                        None => break,
                    }
                }
            }
        }
        used
    }

    /// Handshake record bytes of TLS over TCP; messages may span records.
    fn tls_handshake_bytes(&mut self, ctx: &mut Ctx<'_>, fragment: &[u8]) {
        let d = ctx.dir.index();
        let Some(state) = self.tls.as_mut() else {
            return;
        };
        let mut buf = std::mem::take(&mut state.handshake[d]);
        let direct = buf.is_empty();
        if !direct {
            buf.extend_from_slice(fragment);
        }
        let bytes: &[u8] = if direct { fragment } else { &buf };
        let mut used = 0;
        while let Some((kind, body, len)) = tls::tls_handshake(&bytes[used..]) {
            self.on_handshake(ctx, kind, body, false);
            used += len;
        }
        let tail = &bytes[used..];
        let keep: Vec<u8> = if tail.len() > crate::flow::tcp::MAX_BUFFERED {
            Vec::new()
        } else {
            tail.to_vec()
        };
        if let Some(state) = self.tls.as_mut() {
            state.handshake[d] = keep;
        }
    }

    fn on_http(&mut self, ctx: &mut Ctx<'_>, r: &http::Request<'_>) {
        let h = self.http.get_or_insert_with(Default::default);
        if h.requests.len() < 32 {
            h.requests.push(HttpRequest {
                method: r.method.to_string(),
                host: r.host.map(str::to_string),
                path: r.target.split('?').next().unwrap_or_default().to_string(),
                user_agent: r.user_agent.map(str::to_string),
                packet: ctx.packet,
            });
        }
    }

    /// Turns the flow's state into its report record.
    pub fn finish(flow: Flow<FlowState>, end: End, shared: &Shared) -> FlowRecord {
        let Flow {
            id,
            proto,
            client,
            server,
            first_ts,
            last_ts,
            first_packet,
            last_packet,
            packets,
            bytes,
            state,
            timeline,
            ..
        } = flow;
        let mut state = state;
        let mut notes = std::mem::take(&mut state.notes);
        let streams = state.rtp_streams(client, server, shared);
        if !streams.is_empty() {
            for s in &streams {
                state.protocols.insert(if s.encrypted == "yes" {
                    Protocol::Srtp
                } else {
                    Protocol::Rtp
                });
            }
        }
        if let Some(tcp) = &state.tcp {
            let gaps = tcp.dirs[0].gaps + tcp.dirs[1].gaps;
            if gaps > 0 {
                notes.push(format!(
                    "{gaps} TCP sequence gap(s): stream parsing resumed after missing data"
                ));
            }
        }
        if proto == crate::flow::Proto::Tcp
            && (client.port() == 5061 || server.port() == 5061)
            && state.protocols.contains(Protocol::Tls)
        {
            notes.push(
                "TLS on port 5061: SIP signaling protected (SIPS), its content cannot be read"
                    .to_string(),
            );
        }
        FlowRecord {
            id,
            transport: proto.name(),
            client: client.to_string(),
            server: server.to_string(),
            first_timestamp: rfc3339(first_ts),
            last_timestamp: rfc3339(last_ts),
            first_packet,
            last_packet,
            client_to_server: Counters {
                packets: packets[0],
                bytes: bytes[0],
            },
            server_to_client: Counters {
                packets: packets[1],
                bytes: bytes[1],
            },
            end: end.name(),
            protocols: state.protocols.names(),
            stun: state.stun.map(|b| *b),
            turn: state.turn.map(|b| *b),
            sip: state.sip.map(|b| *b),
            rtp: (!streams.is_empty()).then_some(RtpDetail { streams }),
            rtcp: state.rtcp.map(|b| *b),
            tls: state.tls.map(|b| b.detail),
            dns: state.dns.map(|b| *b),
            quic: state.quic.map(|b| b.detail),
            http: state.http.map(|b| *b),
            zrtp: state.zrtp.map(|b| *b),
            timeline: timeline.map(|t| t.record()),
            notes,
        }
    }

    /// RTP streams that held together (same SSRC, sequence numbers mostly
    /// consecutive), each judged encrypted or not with its evidence.
    fn rtp_streams(
        &self,
        client: SocketAddr,
        server: SocketAddr,
        shared: &Shared,
    ) -> Vec<RtpStream> {
        let announced = shared
            .media
            .get(&server)
            .or_else(|| shared.media.get(&client));
        self.rtp
            .iter()
            .filter(|s| s.packets >= 3 && s.in_sequence * 10 >= (s.packets - 1) * 7)
            .map(|s| {
                let stats = s.stats.verdict();
                let mut evidence = Vec::new();
                let mut encrypted = "unknown";
                let mut confidence = "low";
                if let Some((packet, profile)) = &self.dtls_srtp {
                    encrypted = "yes";
                    confidence = "high";
                    evidence.push(format!("DTLS-SRTP handshake on this 5-tuple negotiated {profile} (packet {packet})"));
                }
                if self.protocols.contains(Protocol::Zrtp) {
                    encrypted = "yes";
                    confidence = "high";
                    evidence.push("ZRTP key agreement on this 5-tuple".to_string());
                }
                if let Some(a) = announced {
                    let secure = a.profile.contains("SAVP") || a.crypto || a.zrtp;
                    evidence.push(format!(
                        "SDP (packet {}) announced {}{}{}",
                        a.packet,
                        a.profile,
                        if a.crypto { " with a=crypto (SDES)" } else { " without a=crypto" },
                        if a.fingerprint { " and a=fingerprint" } else { "" }
                    ));
                    if confidence != "high" {
                        encrypted = if secure { "yes" } else { "no" };
                        confidence = "high";
                    }
                }
                let stat_line = format!(
                    "payload statistics over {} packets: entropy {:.2} bits/byte, chi-square {:.0}, {} distinct first bytes (uniform would give {:.0})",
                    stats.packets, stats.entropy, stats.chi_square, stats.first_byte_distinct, stats.first_byte_expected
                );
                match (stats.looks_encrypted, encrypted) {
                    (Some(true), "unknown") => {
                        encrypted = "yes";
                        confidence = "medium";
                        evidence.push(format!("{stat_line}: uniform, consistent with SRTP"));
                    }
                    (Some(false), "unknown") => {
                        encrypted = "no";
                        confidence = "medium";
                        evidence.push(format!("{stat_line}: structured, consistent with a clear codec"));
                    }
                    (Some(true), "no") => {
                        encrypted = "unknown";
                        confidence = "low";
                        evidence.push(format!(
                            "{stat_line}: uniform although signaling announced clear RTP (proprietary encryption or a compressed codec)"
                        ));
                    }
                    (Some(false), "yes") if confidence != "high" => {
                        encrypted = "unknown";
                        evidence.push(format!("{stat_line}: structured although encryption was expected"));
                    }
                    _ => evidence.push(stat_line),
                }
                RtpStream {
                    ssrc: format!("0x{:08x}", s.ssrc),
                    direction: s.dir.name(),
                    payload_type: s.payload_type,
                    codec: rtp::static_payload_name(s.payload_type).map(str::to_string),
                    packets: s.packets,
                    payload_bytes: s.bytes,
                    first_packet: s.first_packet,
                    last_packet: s.last_packet,
                    first_timestamp: rfc3339(s.first_ts),
                    last_timestamp: rfc3339(s.last_ts),
                    sequence_gaps: s.gaps,
                    out_of_order: s.out_of_order,
                    relayed: s.relayed,
                    encrypted,
                    confidence,
                    evidence,
                    payload_entropy: (stats.entropy * 1000.0).round() / 1000.0,
                    payload_chi_square: stats.chi_square.round(),
                }
            })
            .collect()
    }
}

fn stun_label(method: u16, class: Class) -> &'static str {
    use stun::method::*;
    macro_rules! table {
        ($($m:ident => $name:literal),*) => {
            match (method, class) {
                $(
                    ($m, Class::Request) => concat!($name, " request"),
                    ($m, Class::Indication) => concat!($name, " indication"),
                    ($m, Class::Success) => concat!($name, " success"),
                    ($m, Class::Error) => concat!($name, " error"),
                )*
                _ => "Unknown",
            }
        };
    }
    table!(
        BINDING => "Binding", SHARED_SECRET => "SharedSecret", ALLOCATE => "Allocate", REFRESH => "Refresh",
        SEND => "Send", DATA => "Data", CREATE_PERMISSION => "CreatePermission", CHANNEL_BIND => "ChannelBind",
        CONNECT => "Connect", CONNECTION_BIND => "ConnectionBind", CONNECTION_ATTEMPT => "ConnectionAttempt"
    )
}

fn rtcp_type_name(t: u8) -> &'static str {
    match t {
        rtcp_type::SR => "SR",
        rtcp_type::RR => "RR",
        rtcp_type::SDES => "SDES",
        rtcp_type::BYE => "BYE",
        rtcp_type::APP => "APP",
        rtcp_type::RTPFB => "RTPFB",
        rtcp_type::PSFB => "PSFB",
        rtcp_type::XR => "XR",
        _ => "other",
    }
}

/// SRTCP keeps the first RTCP header and sender SSRC in clear and appends
/// the E flag/index and an authentication tag after the encrypted rest.
fn looks_like_srtcp(b: &[u8]) -> bool {
    if b.len() < 8 + 4 + 4 || b[0] >> 6 != 2 || !(200..=206).contains(&b[1]) {
        return false;
    }
    let first_len = (u16::from_be_bytes([b[2], b[3]]) as usize + 1) * 4;
    first_len <= b.len() - 8
}

fn decide_stream(data: &[u8], ports: (u16, u16)) -> StreamProto {
    if data.len() < 4 {
        return StreamProto::Undecided;
    }
    if tls::looks_like_tls(data) {
        return StreamProto::Tls;
    }
    if sip::looks_like_sip(data) {
        return StreamProto::Sip;
    }
    if http::looks_like_request(data) || data.starts_with(b"HTTP/1.") {
        return StreamProto::Http;
    }
    match Message::parse(data) {
        Ok(m) if !m.classic => return StreamProto::StunTcp,
        Err(stun::StunError::Truncated)
            if data.len() >= 8 && data[4..8] == stun::MAGIC_COOKIE.to_be_bytes() =>
        {
            return StreamProto::StunTcp;
        }
        _ => {}
    }
    if (ports.0 == 53 || ports.1 == 53) && dns::plausible(&data[2..]) {
        return StreamProto::Dns;
    }
    StreamProto::Unknown
}
