//! The engine: packets in, flow records out. Replay and live capture both
//! drive it through [`Engine::packet`]; nothing here knows where packets come
//! from. Finished flows go to a [`FlowSink`] as they end, so a report writer
//! can stream them instead of holding every flow of a long capture.

use crate::decode::{self, Outcome, Reassembler, Transport};
use crate::dissect::{Correlations, Ctx, FlowState, Ports};
use crate::facts::{CaptureInfo, DialogRecord, DnsName, FlowRecord};
use crate::flow::timeline::Timeline;
use crate::flow::{Dir, End, Flow, FlowTable, Opening, Proto, Timeouts};
use crate::proto::Seen;
use crate::proto::sip::dialog::Carrier;
use crate::proto::wifi::{
    self,
    state::{Mark, Wireless, WirelessReport},
};
use crate::source::{LinkType, RawPacket};
use crate::time::Nanos;
use crate::time::Timestamp;
use std::collections::BTreeSet;
use std::net::SocketAddr;

/// Where finished flows and SIP dialogs go.
pub trait FlowSink {
    fn flow(&mut self, record: FlowRecord);
    fn dialog(&mut self, record: DialogRecord);
}

/// Flows only (tests of the flow layer): dialogs are dropped.
impl FlowSink for Vec<FlowRecord> {
    fn flow(&mut self, record: FlowRecord) {
        self.push(record);
    }
    fn dialog(&mut self, _: DialogRecord) {}
}

#[derive(Default)]
pub struct Stats {
    pub packets: u64,
    pub bytes: u64,
    pub malformed: u64,
    pub other: u64,
    pub first_ts: Option<Nanos>,
    pub last_ts: Option<Nanos>,
    pub links: BTreeSet<LinkType>,
    /// Remarks for the report (recording stopped, ...).
    pub notes: Vec<String>,
}

pub struct Engine {
    flows: FlowTable<FlowState>,
    /// Capture time: the latest packet's timestamp, or a live source's
    /// clock while the link is idle.
    clock: Nanos,
    reassembler: Reassembler,
    shared: Correlations,
    wireless: Wireless,
    pub stats: Stats,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        Engine::with_timeouts(Timeouts::default())
    }

    pub fn with_timeouts(timeouts: Timeouts) -> Engine {
        Engine {
            flows: FlowTable::with_timeouts(timeouts),
            clock: 0,
            reassembler: Reassembler::new(),
            shared: Correlations::default(),
            wireless: Wireless::default(),
            stats: Stats::default(),
        }
    }

    /// Keeps the DNS names `matter` says yes to (a vendor's) past the cap
    /// of names the engine holds.
    pub fn keep_names_that_matter(&mut self, matter: crate::dissect::NamesThatMatter) {
        self.shared.keep_names_that_matter(matter);
    }

    /// An engine whose flow table holds at most `max_live` flows (tests
    /// use a small one; the default is `flow::MAX_LIVE_FLOWS`).
    pub fn with_flow_bound(mut self, max_live: usize) -> Engine {
        self.flows.set_bound(max_live);
        self
    }

    pub fn live_flows(&self) -> usize {
        self.flows.live()
    }

    pub fn peak_live_flows(&self) -> usize {
        self.flows.peak_live
    }

    /// Processes one captured frame. Returns the flow it belonged to and
    /// whether that flow looks like telehealth so far (for `--only-telehealth`
    /// recording); `None` for frames that are not UDP/TCP over IP.
    pub fn packet(&mut self, pkt: RawPacket<'_>, sink: &mut dyn FlowSink) -> Option<(u64, bool)> {
        self.stats.packets += 1;
        let number = self.stats.packets;
        self.stats.bytes += pkt.orig_len as u64;
        // The span is earliest to latest (capinfos' "earliest" and
        // "latest"): a capture's clock can jump back.
        self.stats.first_ts = Some(self.stats.first_ts.map_or(pkt.ts, |t| t.min(pkt.ts)));
        self.stats.last_ts = Some(self.stats.last_ts.map_or(pkt.ts, |t| t.max(pkt.ts)));
        self.clock = self.clock.max(pkt.ts);
        if !self.stats.links.contains(&pkt.link) {
            self.stats.links.insert(pkt.link);
        }
        let shared = &mut self.shared;
        let flows = &mut self.flows;
        flows.sweep(pkt.ts, &mut |flow, end| {
            sink.flow(FlowState::record(flow, end, shared))
        });
        shared.dialogs.sweep(pkt.ts, &mut |d| sink.dialog(d));
        if wifi::link::is_wireless(pkt.link) {
            return self.wireless_frame(pkt, number, sink);
        }
        let decoded = match decode::decode(pkt.link, pkt.data, pkt.ts, &mut self.reassembler) {
            Outcome::Packet(d) => d,
            Outcome::FragmentHeld => return None,
            Outcome::Skipped | Outcome::UnsupportedLink => {
                self.stats.other += 1;
                return None;
            }
            Outcome::Malformed(_) => {
                self.stats.malformed += 1;
                return None;
            }
        };
        ip_packet(flows, shared, decoded, pkt, number, sink)
    }

    /// An 802.11 frame: the wireless state reads it; the IP packets of an
    /// unprotected data frame (each subframe of an A-MSDU) go on to the
    /// flows as a wired frame's would.
    fn wireless_frame(
        &mut self,
        pkt: RawPacket<'_>,
        number: u64,
        sink: &mut dyn FlowSink,
    ) -> Option<(u64, bool)> {
        let radio = match wifi::link::mac_frame(pkt.link, pkt.data) {
            Ok(radio) => radio,
            Err(_) => {
                self.stats.malformed += 1;
                self.wireless.counts.malformed += 1;
                return None;
            }
        };
        let at = Mark {
            packet: number,
            ts: pkt.ts,
        };
        let malformed = self.wireless.counts.malformed;
        let Some(payload) = self.wireless.frame(&radio, at) else {
            if self.wireless.counts.malformed > malformed {
                self.stats.malformed += 1;
            } else {
                self.stats.other += 1;
            }
            return None;
        };
        let mut result = None;
        let mut carried_ip = false;
        let single = (!payload.amsdu).then_some(payload.body);
        let subframes = payload
            .amsdu
            .then(|| wifi::mac::amsdu_subframes(payload.body))
            .into_iter()
            .flatten();
        for msdu in single.into_iter().chain(subframes) {
            let Some((wifi::mac::ETHERTYPE_IPV4 | wifi::mac::ETHERTYPE_IPV6, ip)) =
                wifi::mac::snap(msdu)
            else {
                continue;
            };
            carried_ip = true;
            let decoded = match decode::decode(LinkType::RAW, ip, pkt.ts, &mut self.reassembler) {
                Outcome::Packet(d) => d,
                Outcome::Malformed(_) => {
                    self.stats.malformed += 1;
                    continue;
                }
                _ => continue,
            };
            if let Some((station, sent)) = payload.station {
                self.wireless
                    .address(station, if sent { decoded.src } else { decoded.dst });
            }
            result = ip_packet(
                &mut self.flows,
                &mut self.shared,
                decoded,
                pkt,
                number,
                sink,
            );
        }
        if !carried_ip {
            self.stats.other += 1;
        }
        result
    }

    /// What the capture's 802.11 frames showed (empty for wired captures).
    pub fn wireless(&self) -> WirelessReport {
        self.wireless.report()
    }

    /// Capture time now (see [`Engine::advance`]).
    pub fn clock(&self) -> Nanos {
        self.clock
    }

    /// Moves capture time to `now` without a packet (a live link gone quiet),
    /// ending the flows idle past their timeout.
    pub fn advance(&mut self, now: Nanos, sink: &mut dyn FlowSink) {
        if now <= self.clock {
            return;
        }
        self.clock = now;
        let shared = &mut self.shared;
        self.flows.sweep(now, &mut |flow, end| {
            sink.flow(FlowState::record(flow, end, shared))
        });
        shared.dialogs.sweep(now, &mut |d| sink.dialog(d));
    }

    /// Records of the running flows that may belong to a call (signaling,
    /// ICE, relays, media, encrypted signaling to a server `platform`
    /// names), without ending them.
    pub fn live_call_records(&self, platform: &dyn Fn(&str) -> bool) -> Vec<FlowRecord> {
        self.flows
            .iter()
            .filter(|f| f.state.may_belong_to_call(platform))
            .map(|f| FlowState::record(f.clone(), crate::flow::End::Live, &self.shared))
            .collect()
    }

    /// Records of the flows still running (most recent first, at most
    /// `limit`), without ending them: what a live view shows.
    pub fn live_records(&self, limit: usize) -> Vec<FlowRecord> {
        self.flows
            .live_flows(limit)
            .into_iter()
            .map(|f| FlowState::record(f.clone(), crate::flow::End::Live, &self.shared))
            .collect()
    }

    /// Copies of the SIP dialogs in progress.
    pub fn live_dialogs(&self) -> Vec<DialogRecord> {
        self.shared.dialogs.live_records()
    }

    /// The name-to-address map so far.
    pub fn dns_names(&self) -> Vec<DnsName> {
        self.dns_names_where(&|_| true)
    }

    /// The names `keep` says yes to, with their addresses: a look at a
    /// few calls needs the platforms' names, not the whole map (up to
    /// 100,000 names on a busy network).
    pub fn dns_names_where(&self, keep: &dyn Fn(&str) -> bool) -> Vec<DnsName> {
        self.shared
            .dns
            .iter()
            .filter(|(name, _)| keep(name))
            .map(|(name, addrs)| DnsName {
                name: name.clone(),
                addresses: addrs.iter().map(|a| a.to_string()).collect(),
            })
            .collect()
    }

    /// Ends all flows (end of capture, or shutdown) and returns the capture summary.
    pub fn finish(&mut self, sink: &mut dyn FlowSink) -> (CaptureInfo, Vec<DnsName>) {
        let shared = &mut self.shared;
        self.flows
            .drain(&mut |flow, end: End| sink.flow(FlowState::record(flow, end, shared)));
        shared.dialogs.drain(&mut |d| sink.dialog(d));
        if self.flows.evicted > 0 {
            self.stats.notes.push(format!(
                "{} flows ended early (end: evicted) to keep at most {} live at once",
                self.flows.evicted,
                self.flows.bound()
            ));
        }
        self.reassembler.finish();
        if self.reassembler.partial_recordings > 0 {
            self.stats.notes.push(format!(
                "{} fragmented datagrams that were never completed carried SIPREC recording metadata: a recording session this capture shows only in part (its INVITE lost a fragment)",
                self.reassembler.partial_recordings
            ));
        }
        if shared.dns_not_kept > 0 {
            self.stats.notes.push(format!(
                "{} DNS answers named names past the {} kept: those names are not listed in dns_names, and a vendor known only by one may be missing",
                shared.dns_not_kept,
                shared.dns.len()
            ));
        }
        if shared.dialogs.dropped > 0 {
            self.stats.notes.push(format!(
                "{} SIP dialogs not followed: more than the table holds at once",
                shared.dialogs.dropped
            ));
        }
        let info = CaptureInfo {
            files: Vec::new(),
            packets: self.stats.packets,
            bytes: self.stats.bytes,
            first_timestamp: self.stats.first_ts.map(Timestamp),
            last_timestamp: self.stats.last_ts.map(Timestamp),
            link_types: self
                .stats
                .links
                .iter()
                .map(|l| l.name().to_string())
                .collect(),
            malformed_packets: self.stats.malformed,
            other_packets: self.stats.other,
            fragments_reassembled: self.reassembler.completed,
            fragments_dropped: self.reassembler.dropped,
            truncated: None,
            interface_stats: None,
            notes: std::mem::take(&mut self.stats.notes),
        };
        (info, self.dns_names())
    }
}

/// One IP packet of a frame, into its flow: the flow table and the
/// cross-flow state are passed apart from the engine, as the decoded view
/// still borrows its reassembler.
fn ip_packet(
    flows: &mut FlowTable<FlowState>,
    shared: &mut Correlations,
    decoded: decode::Decoded<'_>,
    pkt: RawPacket<'_>,
    number: u64,
    sink: &mut dyn FlowSink,
) -> Option<(u64, bool)> {
    let (proto, src_port, dst_port, opening) = match decoded.transport {
        Transport::Udp {
            src_port, dst_port, ..
        } => (
            Proto::Udp,
            src_port,
            dst_port,
            Opening {
                syn: false,
                ack: false,
                closing: false,
            },
        ),
        Transport::Tcp {
            src_port,
            dst_port,
            flags,
            ..
        } => (
            Proto::Tcp,
            src_port,
            dst_port,
            Opening {
                syn: flags.syn,
                ack: flags.ack,
                closing: flags.fin || flags.rst,
            },
        ),
    };
    let src = SocketAddr::new(decoded.src, src_port);
    let dst = SocketAddr::new(decoded.dst, dst_port);
    flows.make_room(proto, src, dst, &mut |flow, end| {
        sink.flow(FlowState::record(flow, end, shared))
    });
    let flow: &mut Flow<FlowState> = flows.lookup(proto, src, dst, opening, pkt.ts, number);
    let dir = flow.direction(src);
    let d = dir.index();
    flow.packets[d] += 1;
    flow.bytes[d] += pkt.orig_len as u64;
    flow.last_ts = flow.last_ts.max(pkt.ts);
    flow.last_packet = number;
    let mut ctx = Ctx {
        at: Seen {
            packet: number,
            ts: pkt.ts,
            dir,
        },
        carrier: Carrier {
            flow: flow.id,
            transport: proto,
            source: src,
            destination: dst,
        },
        shared,
    };
    let ports = if dir == Dir::ClientToServer {
        Ports {
            client: src_port,
            server: dst_port,
        }
    } else {
        Ports {
            client: dst_port,
            server: src_port,
        }
    };
    match decoded.transport {
        Transport::Udp { payload, .. } => flow.state.on_udp(&mut ctx, ports, payload),
        Transport::Tcp {
            seq,
            flags,
            payload,
            ..
        } => {
            if flags.fin {
                flow.fin[d] = true;
            }
            if flags.rst {
                flow.rst = true;
            }
            flow.state.on_tcp(&mut ctx, ports, seq, flags, payload);
        }
    }
    let telehealth = flow.state.telehealth_so_far();
    if telehealth {
        let timeline = flow.timeline.get_or_insert_with(|| {
            // Packets before the flow was recognised count at its start.
            let mut t = Box::new(Timeline::new(flow.first_ts));
            t.add(
                flow.first_ts,
                flow.bytes[0] + flow.bytes[1] - pkt.orig_len as u64,
            );
            t
        });
        timeline.add(pkt.ts, pkt.orig_len as u64);
    }
    Some((flow.id, telehealth))
}

/// Link types of the `engine` fuzz target's packed frames (wired).
pub const PACKED_WIRED: [LinkType; 5] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
];

/// Link types of the `wifi` fuzz target's packed frames.
pub const PACKED_WIRELESS: [LinkType; 5] = [
    LinkType::IEEE802_11,
    LinkType::PRISM,
    LinkType::RADIOTAP,
    LinkType::AVS,
    LinkType::PPI,
];

/// Runs the engine over frames packed in one byte string, the form the
/// `engine` and `wifi` fuzz targets and their regression tests feed: the
/// first byte picks one of `links`, then each frame follows its one-byte
/// length. Returns the flows that ended and what the 802.11 layer saw.
pub fn run_packed_frames(links: &[LinkType], data: &[u8]) -> (Vec<FlowRecord>, WirelessReport) {
    let mut flows = Vec::new();
    let Some((&selector, mut rest)) = data.split_first() else {
        return (flows, WirelessReport::default());
    };
    let link = links[selector as usize % links.len()];
    let mut engine = Engine::new();
    let mut ts = 0;
    while let Some((&len, tail)) = rest.split_first() {
        let (frame, next) = tail.split_at((len as usize).min(tail.len()));
        ts += 1_000_000;
        let packet = RawPacket {
            ts,
            link,
            data: frame,
            orig_len: frame.len() as u32,
        };
        engine.packet(packet, &mut flows);
        rest = next;
    }
    let _ = engine.finish(&mut flows);
    (flows, engine.wireless())
}

#[cfg(test)]
mod tests {
    //! The engine on frames built in memory: typed facts out, no capture
    //! file, no binary.
    use super::*;
    use crate::facts::Encrypted;
    use crate::proto::rtp::build::RtpRepr;
    use crate::source::LinkType;

    /// What the engine hands on, flows and dialogs alike.
    #[derive(Default)]
    struct Collected {
        flows: Vec<FlowRecord>,
        dialogs: Vec<DialogRecord>,
    }

    impl FlowSink for Collected {
        fn flow(&mut self, record: FlowRecord) {
            self.flows.push(record);
        }
        fn dialog(&mut self, record: DialogRecord) {
            self.dialogs.push(record);
        }
    }

    fn udp(src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
        let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src.0, dst.0, 64)
            .udp(src.1, dst.1);
        let mut out = Vec::new();
        b.write(&mut out, payload).expect("a frame");
        out
    }

    fn sip(start: &str, call: u8, cseq: &str, to_tag: &str, sdp_port: Option<u16>) -> Vec<u8> {
        let body = sdp_port.map_or(String::new(), |port| {
            format!("v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n")
        });
        format!(
            "{start}\r\nFrom: <sip:a@pbx>;tag=f{call}\r\nTo: <sip:b@sbc>{to_tag}\r\nCall-ID: c{call}\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    /// A flood of new 5-tuples in one second: the table stays at its
    /// bound, every flow still comes out (the early ones as evicted), the
    /// capture says how many, and the call that was running is not one.
    #[test]
    fn a_flood_of_flows_is_bounded_and_loses_none() {
        let mut engine = Engine::new().with_flow_bound(100);
        let mut out = Collected::default();
        let mut at = 0;
        let mut send = |engine: &mut Engine, out: &mut Collected, frame: Vec<u8>| {
            at += 1_000_000;
            let packet = RawPacket {
                ts: at,
                link: LinkType::ETHERNET,
                data: &frame,
                orig_len: frame.len() as u32,
            };
            engine.packet(packet, out);
        };
        let call = (([10, 0, 0, 5], 40000), ([10, 0, 0, 9], 40002));
        for seq in 0..1000u16 {
            let rtp = RtpRepr {
                sequence: seq,
                ssrc: 7,
                ..Default::default()
            }
            .emit(&[0xd5; 160]);
            send(&mut engine, &mut out, udp(call.0, call.1, &rtp));
            let port = 1024 + seq;
            send(
                &mut engine,
                &mut out,
                udp(([192, 0, 2, 1], port), ([10, 0, 0, 9], 53), b"x"),
            );
            assert!(engine.live_flows() <= 100);
        }
        let (info, _) = engine.finish(&mut out);
        assert_eq!(out.flows.len(), 1001, "every flow is handed on");
        let evicted = out.flows.iter().filter(|f| f.end == End::Evicted).count();
        assert_eq!(evicted, 901);
        let media = out.flows.iter().find(|f| f.client.port() == 40000).unwrap();
        assert_eq!(
            media.end,
            End::CaptureEnd,
            "the running call was never evicted"
        );
        assert_eq!(media.client_to_server.packets, 1000);
        assert!(
            info.notes
                .iter()
                .any(|n| n.starts_with("901 flows ended early"))
        );
    }

    #[test]
    fn two_dialogs_on_one_flow_come_out_as_two_records_and_media_is_judged_by_its_sdp() {
        let (pbx, sbc) = (([10, 0, 0, 5], 5060), ([10, 0, 0, 9], 5060));
        let mut frames = Vec::new();
        for call in [1u8, 2] {
            let port = 20000 + u16::from(call) * 100;
            frames.push(udp(
                pbx,
                sbc,
                &sip("INVITE sip:b@sbc SIP/2.0", call, "1 INVITE", "", Some(port)),
            ));
            frames.push(udp(
                sbc,
                pbx,
                &sip("SIP/2.0 200 OK", call, "1 INVITE", ";tag=t", None),
            ));
            for seq in 0..5u16 {
                let rtp = RtpRepr {
                    sequence: seq,
                    ssrc: u32::from(call),
                    ..Default::default()
                }
                .emit(&[0xd5; 160]);
                frames.push(udp(([10, 0, 0, 9], 30000), ([10, 0, 0, 5], port), &rtp));
            }
            frames.push(udp(
                pbx,
                sbc,
                &sip("BYE sip:b@sbc SIP/2.0", call, "2 BYE", ";tag=t", None),
            ));
        }
        let mut engine = Engine::new();
        let mut out = Collected::default();
        for (i, frame) in frames.iter().enumerate() {
            let pkt = RawPacket {
                ts: 1_000_000_000 + i as i64 * 20_000_000,
                link: LinkType::ETHERNET,
                data: frame,
                orig_len: frame.len() as u32,
            };
            engine.packet(pkt, &mut out);
        }
        engine.finish(&mut out);
        let ids: Vec<(&str, &str)> = out
            .dialogs
            .iter()
            .map(|d| (d.call_id.as_str(), d.state.name()))
            .collect();
        assert_eq!(ids, [("c1", "terminated"), ("c2", "terminated")]);
        assert!(
            out.dialogs
                .iter()
                .all(|d| d.flows == [1] && d.messages_total == 3)
        );
        let signaling = &out.flows[0];
        assert_eq!(signaling.sip.as_ref().unwrap().call_ids, ["c1", "c2"]);
        // Each media flow is judged cleartext by the SDP that announced it.
        let media: Vec<&FlowRecord> = out.flows.iter().filter(|f| f.rtp.is_some()).collect();
        assert_eq!(media.len(), 2);
        for f in media {
            let s = &f.rtp.as_ref().unwrap().streams[0];
            assert_eq!(s.encrypted, Encrypted::No);
            assert!(
                s.evidence[0].contains("announced RTP/AVP"),
                "{:?}",
                s.evidence
            );
        }
    }
}
