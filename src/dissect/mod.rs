//! Per-flow dissection: the demultiplexer between the packet and the
//! protocols. Each datagram or stream segment is classified ([`udp`],
//! [`tcp`]), handed to the state of the protocol it belongs to (beside its
//! parser in [`crate::proto`]), and what TURN or QUIC carries is routed on
//! to the protocol inside. Facts that concern other flows go to the
//! [`Correlations`]. At the flow's end, [`FlowState::record`] gathers each
//! protocol's facts into a [`FlowRecord`]. Packets of known flows allocate
//! nothing; only first sightings (a new SSRC, a name, a handshake) do.

mod correlations;
mod dialogs;
mod tcp;
mod udp;
mod web;

pub use correlations::{Correlations, NamesThatMatter};
pub use dialogs::Dialogs;

use crate::facts::*;
use crate::flow::{End, Flow, Proto};
use crate::proto::rtp::RtpState;
use crate::proto::sip::SipMessage;
use crate::proto::sip::dialog::Carrier;
use crate::proto::sip::state::CarriedSdp;
use crate::proto::stun::{self, Message};
use crate::proto::tls::TlsState;
use crate::proto::{ParseError, Protocol, ProtocolSet, Seen, dns, quic};
use crate::time::Timestamp;

/// Where the current packet sits in the capture, and the cross-flow maps.
pub struct Ctx<'s> {
    pub at: Seen,
    /// The flow and the ends of the current packet.
    pub carrier: Carrier,
    pub shared: &'s mut Correlations,
}

/// Everything learnt about one flow.
#[derive(Default, Clone)]
pub struct FlowState {
    protocols: ProtocolSet,
    stun: Option<Box<StunDetail>>,
    turn: Option<Box<TurnDetail>>,
    sip: Option<Box<SipDetail>>,
    rtp: RtpState,
    rtcp: Option<Box<RtcpDetail>>,
    tls: Option<Box<TlsState>>,
    dns: Option<Box<DnsDetail>>,
    quic: Option<Box<quic::QuicState>>,
    http: Option<Box<HttpDetail>>,
    zrtp: Option<Box<ZrtpDetail>>,
    zoom: Option<Box<ZoomDetail>>,
    hep: Option<Box<crate::proto::hep::HepDetail>>,
    markers: Vec<crate::proto::demux::WireMarker>,
    /// The peer tag of a Telegram reflector exchange, which the call's
    /// media through that reflector carries too.
    reflector_tag: Option<Box<[u8; 16]>>,
    tcp: Option<Box<tcp::TcpState>>,
    notes: Vec<String>,
}

/// The two ports of a flow, client's first.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub client: u16,
    pub server: u16,
}

impl Ports {
    pub fn any_of(self, ports: &[u16]) -> bool {
        ports.contains(&self.client) || ports.contains(&self.server)
    }
}

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
            || self.rtp.holds_together()
    }

    /// Whether the flow may be part of a call as far as seen yet: a
    /// telehealth protocol, a platform's media framing or marker, a HEP
    /// mirror, or a connection whose SNI names a platform (`platform`
    /// says which names do): its encrypted signaling. The assessment keeps
    /// such flows for correlation; a running one is looked at before a
    /// call is concluded.
    pub fn may_belong_to_call(&self, platform: &dyn Fn(&str) -> bool) -> bool {
        let sni = self
            .tls
            .as_ref()
            .and_then(|t| t.detail.sni.as_deref())
            .or_else(|| self.quic.as_ref().and_then(|q| q.detail.sni.as_deref()));
        self.telehealth_so_far()
            || self.protocols.contains(Protocol::Zoom)
            || self.protocols.contains(Protocol::Hep)
            || !self.markers.is_empty()
            || sni.is_some_and(platform)
    }

    /// A STUN message; TURN methods also go to the TURN state, and what a
    /// Send or Data indication carries is dissected once more.
    fn on_stun(&mut self, ctx: &mut Ctx<'_>, m: &Message<'_>, relayed: bool, ports: Ports) {
        self.protocols.insert(Protocol::Stun);
        self.stun
            .get_or_insert_with(Default::default)
            .on_message(ctx.at, m);
        if relayed || !stun::is_turn_method(m.method()) {
            return;
        }
        self.protocols.insert(Protocol::Turn);
        let turn = self.turn.get_or_insert_with(Default::default);
        if let Some(data) = turn.on_message(m) {
            self.carried(ctx, ports, data);
        }
    }

    fn on_channel_data(&mut self, ctx: &mut Ctx<'_>, ports: Ports, cd: stun::ChannelData<'_>) {
        self.protocols.insert(Protocol::Turn);
        self.turn
            .get_or_insert_with(Default::default)
            .on_channel_data(&cd);
        self.carried(ctx, ports, cd.data);
    }

    /// Dissects what a TURN relay carries and notes which protocols it was.
    fn carried(&mut self, ctx: &mut Ctx<'_>, ports: Ports, data: &[u8]) {
        use crate::proto::demux::{Demux, classify};
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
            turn.carried(label);
        }
    }

    fn on_dns(&mut self, ctx: &mut Ctx<'_>, m: &dns::DnsMessage) {
        self.protocols.insert(Protocol::Dns);
        self.dns
            .get_or_insert_with(Default::default)
            .on_message(ctx.at, m);
        if m.response {
            ctx.shared.resolved(dns::state::address_owners(m));
        }
    }

    /// Parses a SIP message at the start of `bytes`; returns its length.
    fn on_sip_bytes(
        &mut self,
        ctx: &mut Ctx<'_>,
        bytes: &[u8],
        stream: bool,
    ) -> Result<usize, ParseError> {
        let m = SipMessage::parse(bytes, stream)?;
        self.protocols.insert(Protocol::Sip);
        let sdp = CarriedSdp::of(ctx.at, &m);
        self.sip
            .get_or_insert_with(Default::default)
            .on_message(ctx.at, &m, sdp.as_ref());
        ctx.shared
            .dialogs
            .on_message(ctx.at, ctx.carrier, &m, sdp.as_ref().map(|s| &s.record));
        if let Some(sdp) = sdp {
            self.protocols.insert(Protocol::Sdp);
            ctx.shared.announce(sdp.announced);
        }
        Ok(m.len)
    }

    fn on_quic(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) {
        let at = ctx.at;
        let tls = &mut self.tls;
        let mut handshook = false;
        let is_quic = quic::state::on_datagram(&mut self.quic, at, payload, &mut |kind, body| {
            tls.get_or_insert_with(Default::default)
                .on_handshake(at, kind, body, false);
            handshook = true;
        });
        if is_quic {
            self.protocols.insert(Protocol::Quic);
        }
        if let (true, Some(q), Some(t)) = (handshook, self.quic.as_mut(), self.tls.as_ref()) {
            q.copy_hello(&t.detail);
        }
    }

    /// Gathers the flow's facts into its record.
    pub fn record(flow: Flow<FlowState>, end: End, shared: &Correlations) -> FlowRecord {
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
        let dtls_srtp = state
            .tls
            .as_ref()
            .and_then(|t| t.dtls_srtp.as_ref())
            .map(|(packet, profile)| (*packet, profile.as_str()));
        let framing = state.zoom.as_ref().map(|z| {
            format!(
                "Zoom media framing (from packet {}): Zoom encrypts the media itself, with keys its servers hold",
                z.first_packet
            )
        });
        let streams = state.rtp.record(
            dtls_srtp,
            state.protocols.contains(Protocol::Zrtp),
            shared.announced_for(server, client),
            framing.as_deref(),
        );
        if let Some(n) = state
            .http
            .as_ref()
            .map(|h| h.sdp_not_kept)
            .filter(|&n| n > 0)
        {
            notes.push(format!(
                "{n} SDP bodies past the first {} on this connection were not kept: the calls they signaled are not joined to it",
                web::MAX_SDP
            ));
        }
        if state.rtp.not_followed() > 0 {
            notes.push(format!(
                "{} RTP packets not followed: they belong to streams past the first {} this flow carried",
                state.rtp.not_followed(),
                streams.len()
            ));
        }
        for s in &streams {
            state.protocols.insert(if s.encrypted == Encrypted::Yes {
                Protocol::Srtp
            } else {
                Protocol::Rtp
            });
        }
        if let Some(gaps) = state.tcp.as_ref().map(|t| t.gaps()).filter(|&g| g > 0) {
            notes.push(format!(
                "{gaps} TCP sequence gap(s): stream parsing resumed after missing data"
            ));
        }
        // Port 5061 is SIP over TLS by IANA assignment; the TLS is seen, the
        // SIP inside cannot be, so the note says it is an inference.
        if proto == Proto::Tcp
            && (client.port() == 5061 || server.port() == 5061)
            && state.protocols.contains(Protocol::Tls)
        {
            notes.push(
                "TLS on port 5061: SIP signaling protected (SIPS), its content cannot be read"
                    .to_string(),
            );
        }
        // Port 5349 is TURN over TLS (RFC 5766 §2.1, RFC 7350 for DTLS):
        // the allocation and what it relays (ICE, media) are inside.
        if (client.port() == 5349 || server.port() == 5349)
            && (state.protocols.contains(Protocol::Tls) || state.protocols.contains(Protocol::Dtls))
            && !state.protocols.contains(Protocol::Turn)
        {
            notes.push(
                "TLS on port 5349: TURN over TLS, the allocation and the media it relays cannot be read"
                    .to_string(),
            );
        }
        FlowRecord {
            id,
            transport: proto,
            client,
            server,
            first_timestamp: Timestamp(first_ts),
            last_timestamp: Timestamp(last_ts),
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
            end,
            protocols: state.protocols.names(),
            stun: state.stun,
            turn: state.turn,
            sip: state.sip,
            rtp: (!streams.is_empty()).then_some(RtpDetail { streams }),
            rtcp: state.rtcp,
            tls: state.tls.map(|b| Box::new(b.detail)),
            dns: state.dns,
            quic: state.quic.map(|b| Box::new(b.detail)),
            http: state.http,
            zrtp: state.zrtp.map(|b| *b),
            zoom: state.zoom,
            hep: state.hep,
            markers: state.markers,
            timeline: timeline.map(|t| t.record()),
            notes,
        }
    }
}

#[cfg(test)]
mod tests;
