//! One UDP datagram: RFC 7983's first-byte ranges decide, ports are only
//! hints (DNS ids fall anywhere in those ranges; ChannelData needs TURN
//! evidence first), and what a TURN relay carries is dissected once more
//! but never unwrapped again.

use super::{Ctx, FlowState, Ports};
use crate::proto::demux::{Demux, classify};
use crate::proto::stun::{self, Message};
use crate::proto::{Protocol, dns, hep, quic, rtp, sip, tls, zoom, zrtp};

const TURN_PORTS: [u16; 4] = [3478, 3479, 5349, 5350];
const DNS_PORTS: [u16; 3] = [53, 5353, 5355];

impl FlowState {
    /// Telegram's legacy reflector: its pings and answers, then the call's
    /// media, all behind the same 16-byte peer tag. True when the datagram
    /// was the reflector's.
    fn on_reflector(&mut self, ctx: &mut Ctx<'_>, payload: &[u8]) -> bool {
        use crate::proto::demux;
        if let Some(tag) = demux::telegram_reflector(payload) {
            let mut own = [0u8; 16];
            own.copy_from_slice(tag);
            self.reflector_tag.get_or_insert_with(|| Box::new(own));
            demux::mark(&mut self.markers, "telegram-reflector", ctx.at.packet);
            return true;
        }
        match &self.reflector_tag {
            Some(tag) if payload.len() > 16 && payload[..16] == tag[..] => {
                demux::mark_relayed_media(
                    &mut self.markers,
                    "telegram-relayed-media",
                    ctx.at.packet,
                );
                true
            }
            _ => false,
        }
    }

    /// Zoom frames its media in its own header, on its ports to its media
    /// router or bare between peers after a P2P hello; what is inside is
    /// RTP, told by the media header, not by the first byte. True when the
    /// datagram was Zoom's.
    fn on_zoom(&mut self, ctx: &mut Ctx<'_>, ports: Ports, payload: &[u8]) -> bool {
        let at = ctx.at;
        let inner = if zoom::PORTS.contains(&ports.server) || zoom::PORTS.contains(&ports.client) {
            if let Some((kind, id)) = zoom::sfu_hello(payload) {
                let detail = self.zoom.get_or_insert_with(Default::default);
                if detail.on_hello(at.packet, kind, id) {
                    self.protocols.insert(Protocol::Zoom);
                }
                return true;
            }
            match zoom::parse_media(payload) {
                Some(p) => p.inner,
                None => {
                    let Some(detail) = self.zoom.as_mut().filter(|z| z.sfu_handshake) else {
                        return false;
                    };
                    if payload.first() == Some(&0x05) {
                        detail.opaque_packets += 1;
                    }
                    return true;
                }
            }
        } else if zoom::p2p_hello(payload) {
            let detail = self.zoom.get_or_insert_with(Default::default);
            detail.p2p = true;
            if detail.first_packet == 0 {
                detail.first_packet = at.packet;
            }
            self.protocols.insert(Protocol::Zoom);
            return true;
        } else if self.zoom.as_ref().is_some_and(|z| z.p2p) {
            zoom::parse_p2p_media(payload)
        } else {
            return false;
        };
        let Some(inner) = inner else { return false };
        self.protocols.insert(Protocol::Zoom);
        let detail = self.zoom.get_or_insert_with(Default::default);
        if let Some(packet) = detail.on_inner(at.packet, inner) {
            if let Some(h) = rtp::parse_rtp(packet) {
                self.rtp.on_packet(at, &h, false);
            }
        }
        true
    }

    pub fn on_udp(&mut self, ctx: &mut Ctx<'_>, ports: Ports, payload: &[u8]) {
        self.datagram(ctx, ports, payload, false);
    }

    /// Dissects a datagram; `relayed` marks payloads a TURN relay carried.
    pub(super) fn datagram(
        &mut self,
        ctx: &mut Ctx<'_>,
        ports: Ports,
        payload: &[u8],
        relayed: bool,
    ) {
        // DNS ids are arbitrary and fall into RFC 7983's ranges: on DNS ports,
        // a message that parses as DNS is DNS.
        if !relayed && ports.any_of(&DNS_PORTS) {
            if let Some(m) = dns::parse(payload) {
                self.on_dns(ctx, &m);
                return;
            }
        }
        if !relayed && (self.on_zoom(ctx, ports, payload) || self.on_reflector(ctx, payload)) {
            return;
        }
        match classify(payload) {
            Demux::Stun => {
                if let Ok(m) = Message::parse(payload) {
                    self.on_stun(ctx, &m, relayed, ports);
                } else if crate::proto::demux::discord_ip_discovery(payload) {
                    crate::proto::demux::mark(
                        &mut self.markers,
                        "discord-ip-discovery",
                        ctx.at.packet,
                    );
                }
            }
            Demux::Zrtp => {
                if zrtp::looks_like_zrtp(payload) {
                    self.protocols.insert(Protocol::Zrtp);
                    self.zrtp
                        .get_or_insert_with(Default::default)
                        .on_packet(payload);
                } else if crate::proto::demux::discord_keepalive(payload) {
                    crate::proto::demux::mark(
                        &mut self.markers,
                        "discord-keepalive",
                        ctx.at.packet,
                    );
                }
            }
            Demux::Dtls => {
                if tls::dtls::on_datagram(&mut self.tls, ctx.at, payload) {
                    self.protocols.insert(Protocol::Dtls);
                }
            }
            Demux::ChannelData => {
                if !relayed && hep::is_hep3(payload) {
                    if let Some(h) = hep::parse(payload) {
                        self.protocols.insert(Protocol::Hep);
                        let mirrored = self
                            .hep
                            .get_or_insert_with(Default::default)
                            .on_message(ctx.at.packet, &h);
                        if let Some(call_id) = mirrored {
                            ctx.shared
                                .dialogs
                                .mirrored(call_id, ctx.at.packet, ctx.carrier);
                        }
                    }
                } else if sip::looks_like_sip(payload) {
                    let _ = self.on_sip_bytes(ctx, payload, false);
                } else if !relayed
                    && (self.protocols.contains(Protocol::Stun) || ports.any_of(&TURN_PORTS))
                {
                    if let Some(cd) = stun::ChannelData::parse(payload, false) {
                        self.on_channel_data(ctx, ports, cd);
                    }
                }
            }
            Demux::Rtp => {
                if let Some(h) = rtp::parse_rtp(payload) {
                    if h.extension_profile == Some(WHATSAPP_RTP_EXTENSION) {
                        crate::proto::demux::mark(
                            &mut self.markers,
                            "whatsapp-rtp-extension",
                            ctx.at.packet,
                        );
                    }
                    self.rtp.on_packet(ctx.at, &h, relayed);
                }
            }
            Demux::Rtcp => {
                if rtp::is_plain_rtcp(payload) {
                    self.protocols.insert(Protocol::Rtcp);
                    self.rtcp
                        .get_or_insert_with(Default::default)
                        .on_plain(ctx.at, payload);
                } else if rtp::looks_like_srtcp(payload) {
                    self.protocols.insert(Protocol::Srtcp);
                    self.rtcp.get_or_insert_with(Default::default).srtcp_packets += 1;
                }
            }
            Demux::High => {
                if crate::proto::demux::line_call_setup(payload) {
                    crate::proto::demux::mark(&mut self.markers, "line-call", ctx.at.packet);
                } else if !relayed {
                    self.on_quic(ctx, payload);
                }
            }
            Demux::Other => {
                if sip::looks_like_sip(payload) {
                    let _ = self.on_sip_bytes(ctx, payload, false);
                } else if let Some(m) = vendor_stun(payload) {
                    self.on_stun(ctx, &m, relayed, ports);
                } else if !relayed && quic::legacy_gquic_version(payload).is_some() {
                    self.on_quic(ctx, payload);
                } else if ports.any_of(&DNS_PORTS) && !relayed {
                    if let Some(m) = dns::parse(payload) {
                        self.on_dns(ctx, &m);
                    }
                }
            }
        }
    }
}

/// WhatsApp's media carries an RTP header extension under its own profile,
/// 0xDEBE (RFC 8285's one-byte profile, 0xBEDE, byte-swapped; nDPI's
/// whatsapp.c, `wa_voice.pcap`), which no standard defines.
const WHATSAPP_RTP_EXTENSION: u16 = 0xDEBE;

/// STUN with a method beyond RFC 7983's 0-3 first byte (WhatsApp's relays
/// send types 0x0800-0x0805): taken only with the magic cookie and
/// attributes that frame exactly, so other protocols in 4-15 stay theirs.
fn vendor_stun(payload: &[u8]) -> Option<Message<'_>> {
    if !(4..=0x0f).contains(payload.first()?) {
        return None;
    }
    Message::parse(payload).ok().filter(|m| !m.classic)
}
