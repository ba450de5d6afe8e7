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
            stats: Stats::default(),
        }
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
        self.stats.first_ts.get_or_insert(pkt.ts);
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
                },
            ),
        };
        let src = SocketAddr::new(decoded.src, src_port);
        let dst = SocketAddr::new(decoded.dst, dst_port);
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

    /// Records of the running flows that look like telehealth (signaling,
    /// ICE, relays, media), without ending them.
    pub fn live_telehealth_records(&self) -> Vec<FlowRecord> {
        self.flows
            .iter()
            .filter(|f| f.state.telehealth_so_far())
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
        self.shared
            .dns
            .iter()
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
