//! The bidirectional flow table: 5-tuple keys, client/server sides, counters,
//! idle timeouts (UDP and TCP apart; TCP ends on FIN from both sides or RST),
//! so memory follows live flows, not the capture's length.

pub mod tcp;
pub mod timeline;

use crate::time::Nanos;
use hashbrown::HashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;

/// After FIN from both sides or RST, how long stragglers still join the flow.
pub const TCP_CLOSED_LINGER: Nanos = 5 * 1_000_000_000;

/// How long a flow may be idle before it ends (Zeek's inactivity timeouts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub udp: Nanos,
    pub tcp: Nanos,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            udp: 120 * 1_000_000_000,
            tcp: 600 * 1_000_000_000,
        }
    }
}

// The transport; in the report's schema, `TransportName`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename = "TransportName", rename_all = "lowercase")]
pub enum Proto {
    Udp,
    Tcp,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
        }
    }
}

crate::display_by_name!(Proto, Dir, End);

/// Direction-free key: the lower endpoint first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub proto: Proto,
    pub lo: SocketAddr,
    pub hi: SocketAddr,
}

impl FlowKey {
    pub fn new(proto: Proto, a: SocketAddr, b: SocketAddr) -> FlowKey {
        let (lo, hi) = if (a.ip(), a.port()) <= (b.ip(), b.port()) {
            (a, b)
        } else {
            (b, a)
        };
        FlowKey { proto, lo, hi }
    }
}

// Which way a packet went; in the report's schema, `Direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename = "Direction", rename_all = "kebab-case")]
pub enum Dir {
    ClientToServer,
    ServerToClient,
}

impl Dir {
    pub fn index(self) -> usize {
        match self {
            Dir::ClientToServer => 0,
            Dir::ServerToClient => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dir::ClientToServer => "client-to-server",
            Dir::ServerToClient => "server-to-client",
        }
    }
}

// How a flow ended; in the report's schema, `FlowEnd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename = "FlowEnd", rename_all = "kebab-case")]
pub enum End {
    Fin,
    Rst,
    Idle,
    CaptureEnd,
    // Handed on early to make room: the table held `MAX_LIVE_FLOWS`.
    Evicted,
    // Not ended: a snapshot of a flow still in progress (live views).
    Live,
}

impl End {
    pub fn name(self) -> &'static str {
        match self {
            End::Fin => "fin",
            End::Rst => "rst",
            End::Idle => "idle",
            End::CaptureEnd => "capture-end",
            End::Evicted => "evicted",
            End::Live => "live",
        }
    }
}

/// One flow, with the per-flow state `S` of whoever follows it (the
/// dissector's): the table is generic so it never imports what it tracks.
#[derive(Clone)]
pub struct Flow<S> {
    pub id: u64,
    pub proto: Proto,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_ts: Nanos,
    pub last_ts: Nanos,
    pub first_packet: u64,
    pub last_packet: u64,
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    pub fin: [bool; 2],
    pub rst: bool,
    pub state: S,
    /// Bytes over time, kept once the flow looks like telehealth.
    pub timeline: Option<Box<timeline::Timeline>>,
}

impl<S> Flow<S> {
    pub fn direction(&self, src: SocketAddr) -> Dir {
        if src == self.client {
            Dir::ClientToServer
        } else {
            Dir::ServerToClient
        }
    }

    fn closed(&self) -> bool {
        self.rst || (self.fin[0] && self.fin[1])
    }

    /// The earliest time this flow could be found expired, as far as its
    /// state now tells (a FIN or RST schedules an earlier look, see
    /// [`FlowTable::lookup`]). Always after `now`, so a flow checked too
    /// early is simply checked again.
    fn earliest_end(&self, now: Nanos, timeouts: Timeouts) -> Nanos {
        let at = match self.proto {
            Proto::Tcp if self.closed() => self.last_ts + TCP_CLOSED_LINGER,
            Proto::Tcp => self.last_ts + timeouts.tcp,
            Proto::Udp => self.last_ts + timeouts.udp,
        };
        // `expired` wants idle time strictly past the timeout.
        (at + 1).max(now + 1)
    }

    fn expired(&self, now: Nanos, timeouts: Timeouts) -> Option<End> {
        let idle = now - self.last_ts;
        match self.proto {
            Proto::Tcp if self.closed() && idle > TCP_CLOSED_LINGER => {
                Some(if self.rst { End::Rst } else { End::Fin })
            }
            Proto::Tcp if idle > timeouts.tcp => Some(End::Idle),
            Proto::Udp if idle > timeouts.udp => Some(End::Idle),
            _ => None,
        }
    }
}

/// What the packet's TCP flags say: which side opened the flow (from the
/// first packet seen), and whether it is closing it (FIN or RST).
pub struct Opening {
    pub syn: bool,
    pub ack: bool,
    pub closing: bool,
}

pub struct FlowTable<S> {
    index: HashMap<FlowKey, usize>,
    slots: Vec<Option<Flow<S>>>,
    /// When each live flow is next worth checking for expiry (time, slot,
    /// flow id), soonest first: a sweep looks only at flows that may have
    /// expired, never at the whole table. One entry per live flow.
    expiry: BinaryHeap<Reverse<(Nanos, usize, u64)>>,
    /// Flows ended by the current sweep (kept to reuse its allocation).
    ended: Vec<(Flow<S>, End)>,
    free: Vec<usize>,
    next_id: u64,
    last_sweep: Nanos,
    pub peak_live: usize,
    /// Flows ended early to keep the table within its bound.
    pub evicted: u64,
    max_live: usize,
    timeouts: Timeouts,
}

/// How often (capture time) idle flows are looked for.
const SWEEP_EVERY: Nanos = 1_000_000_000;

/// Live flows the table holds at most (a few hundred bytes each, more for
/// flows with protocol state): a flood of new 5-tuples makes room by
/// ending the flows seen least recently instead of growing memory.
pub const MAX_LIVE_FLOWS: usize = 262_144;

/// Heap entries a search for the flow to evict may bring up to date
/// before it takes the soonest due one as it stands.
const RESCHEDULE_LIMIT: usize = 1024;

impl<S> Default for FlowTable<S> {
    fn default() -> Self {
        FlowTable::with_timeouts(Timeouts::default())
    }
}

impl<S: Default> FlowTable<S> {
    pub fn new() -> FlowTable<S> {
        FlowTable::default()
    }
}

impl<S> FlowTable<S> {
    pub fn with_timeouts(timeouts: Timeouts) -> FlowTable<S> {
        FlowTable {
            index: HashMap::new(),
            slots: Vec::new(),
            expiry: BinaryHeap::new(),
            ended: Vec::new(),
            free: Vec::new(),
            next_id: 0,
            last_sweep: 0,
            peak_live: 0,
            evicted: 0,
            max_live: MAX_LIVE_FLOWS,
            timeouts,
        }
    }

    /// How many live flows the table holds at most.
    pub fn bound(&self) -> usize {
        self.max_live
    }

    /// Holds at most `max_live` flows from now on (tests use a small bound).
    pub fn set_bound(&mut self, max_live: usize) {
        self.max_live = max_live.max(1);
    }

    /// When the table is full and the packet's flow is not in it, ends the
    /// flow whose expiry is due soonest (the one seen least recently, as
    /// far as the table knows) and hands it to `on_end` as evicted.
    pub fn make_room(
        &mut self,
        proto: Proto,
        src: SocketAddr,
        dst: SocketAddr,
        on_end: &mut dyn FnMut(Flow<S>, End),
    ) {
        if self.index.len() < self.max_live
            || self.index.contains_key(&FlowKey::new(proto, src, dst))
        {
            return;
        }
        // The heap holds when each flow was last scheduled for a check; a
        // flow busy since then is rescheduled (lazily, as a sweep would)
        // rather than evicted, so a flood cannot push out a running call.
        let mut rescheduled = 0;
        while let Some(Reverse((at, slot, id))) = self.expiry.pop() {
            let Some(flow) = self.slots[slot].as_ref().filter(|f| f.id == id) else {
                continue; // the flow ended another way
            };
            let due = flow.earliest_end(Nanos::MIN + 1, self.timeouts);
            if due > at && rescheduled < RESCHEDULE_LIMIT {
                rescheduled += 1;
                self.expiry.push(Reverse((due, slot, id)));
                continue;
            }
            let flow = self.remove(slot);
            self.evicted += 1;
            on_end(flow, End::Evicted);
            return;
        }
    }

    /// Takes the flow in `slot` out of the table (its heap entries go stale
    /// and are skipped when they come up).
    fn remove(&mut self, slot: usize) -> Flow<S> {
        let flow = self.slots[slot].take().expect("a live flow's slot");
        self.index
            .remove(&FlowKey::new(flow.proto, flow.client, flow.server));
        self.free.push(slot);
        flow
    }

    pub fn live(&self) -> usize {
        self.index.len()
    }

    /// Finds or creates the flow for a packet from `src` to `dst`.
    pub fn lookup(
        &mut self,
        proto: Proto,
        src: SocketAddr,
        dst: SocketAddr,
        opening: Opening,
        ts: Nanos,
        packet: u64,
    ) -> &mut Flow<S>
    where
        S: Default,
    {
        let key = FlowKey::new(proto, src, dst);
        let slot = match self.index.get(&key) {
            Some(&slot) => slot,
            None => {
                // SYN-ACK first (the SYN was missed): the sender is the server.
                // Otherwise the first sender is the client, unless it sends
                // from a well-known port to an ephemeral one.
                let reply = (opening.syn && opening.ack)
                    || (src.port() < 1024 && dst.port() >= 1024 && !opening.syn);
                let (client, server) = if reply { (dst, src) } else { (src, dst) };
                self.next_id += 1;
                let flow = Flow {
                    id: self.next_id,
                    proto,
                    client,
                    server,
                    first_ts: ts,
                    last_ts: ts,
                    first_packet: packet,
                    last_packet: packet,
                    packets: [0; 2],
                    bytes: [0; 2],
                    fin: [false; 2],
                    rst: false,
                    state: S::default(),
                    timeline: None,
                };
                let check = flow.earliest_end(ts, self.timeouts);
                let id = flow.id;
                let slot = match self.free.pop() {
                    Some(i) => {
                        self.slots[i] = Some(flow);
                        i
                    }
                    None => {
                        self.slots.push(Some(flow));
                        self.slots.len() - 1
                    }
                };
                self.expiry.push(Reverse((check, slot, id)));
                self.index.insert(key, slot);
                self.peak_live = self.peak_live.max(self.index.len());
                slot
            }
        };
        let flow = self.slots[slot]
            .as_mut()
            .expect("indexed slot holds a flow");
        // A closing TCP connection ends a linger after its last packet,
        // sooner than its idle timeout: look at it then.
        if opening.closing {
            let at = ts.max(flow.last_ts) + TCP_CLOSED_LINGER + 1;
            self.expiry.push(Reverse((at, slot, flow.id)));
        }
        flow
    }

    /// Removes flows idle past their timeout (at most once per second of
    /// capture time) and hands each to `on_end`.
    pub fn sweep(&mut self, now: Nanos, on_end: &mut dyn FnMut(Flow<S>, End)) {
        if now - self.last_sweep < SWEEP_EVERY {
            return;
        }
        self.last_sweep = now;
        while let Some(&Reverse((at, slot, id))) = self.expiry.peek() {
            if at > now {
                break;
            }
            self.expiry.pop();
            let Some(flow) = self.slots[slot].as_ref().filter(|f| f.id == id) else {
                continue; // the flow ended another way
            };
            match flow.expired(now, self.timeouts) {
                Some(end) => {
                    let flow = self.remove(slot);
                    self.ended.push((flow, end));
                }
                None => {
                    let again = flow.earliest_end(now, self.timeouts);
                    self.expiry.push(Reverse((again, slot, id)));
                }
            }
        }
        // The index is a hash map: hand the flows on in id order, so the
        // same capture always gives the same report.
        self.ended.sort_unstable_by_key(|(f, _)| f.id);
        for (flow, end) in self.ended.drain(..) {
            on_end(flow, end);
        }
    }

    /// The live flows, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Flow<S>> {
        self.slots.iter().flatten()
    }

    /// The live flows, most recently active first (at most `limit`).
    pub fn live_flows(&self, limit: usize) -> Vec<&Flow<S>> {
        let mut live: Vec<&Flow<S>> = self.iter().collect();
        live.sort_by_key(|f| std::cmp::Reverse(f.last_ts));
        live.truncate(limit);
        live
    }

    /// Ends every remaining flow, in order of id. The table's memory goes
    /// as the flows do: at the end of a capture every live flow becomes a
    /// record at once, and the table must not stay whole beside them (it
    /// was the run's peak).
    pub fn drain(&mut self, on_end: &mut dyn FnMut(Flow<S>, End)) {
        self.index = HashMap::default();
        self.expiry = BinaryHeap::new();
        self.free = Vec::new();
        self.ended = Vec::new();
        // In place, in the slots' own allocation: highest id first, so
        // that popping hands the flows on lowest first.
        let mut flows = std::mem::take(&mut self.slots);
        flows.retain(Option::is_some);
        flows.sort_unstable_by_key(|slot| Reverse(slot.as_ref().map(|f| f.id)));
        while let Some(slot) = flows.pop() {
            if let Some(flow) = slot {
                on_end(flow, End::CaptureEnd);
            }
            if flows.len() <= flows.capacity() / 2 {
                flows.shrink_to_fit();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Nanos = 1_000_000_000;

    fn packet(
        t: &mut FlowTable<()>,
        proto: Proto,
        port: u16,
        ts: Nanos,
        closing: bool,
        ended: &mut Vec<(u64, End, Nanos)>,
    ) -> u64 {
        let a: SocketAddr = ([10, 0, 0, 1], port).into();
        let b: SocketAddr = ([10, 0, 0, 2], 80).into();
        t.sweep(ts, &mut |f, e| ended.push((f.id, e, ts)));
        let opening = Opening {
            syn: false,
            ack: false,
            closing,
        };
        let f = t.lookup(proto, a, b, opening, ts, 0);
        f.last_ts = f.last_ts.max(ts);
        if closing {
            f.fin = [true; 2];
        }
        f.id
    }

    /// A full table ends the flow due soonest to admit a new one; a flow
    /// busy since it was scheduled is not the one, nor is a packet of a
    /// flow already in the table a reason to evict.
    #[test]
    fn a_full_table_evicts_the_flow_seen_least_recently() {
        let mut t: FlowTable<()> = FlowTable::with_timeouts(Timeouts::default());
        t.set_bound(3);
        let mut ended = Vec::new();
        let b: SocketAddr = ([10, 0, 0, 2], 80).into();
        let mut send = |t: &mut FlowTable<()>, port: u16, ts: Nanos| {
            let a: SocketAddr = ([10, 0, 0, 1], port).into();
            t.make_room(Proto::Udp, a, b, &mut |f, e| ended.push((f.id, e)));
            let opening = Opening {
                syn: false,
                ack: false,
                closing: false,
            };
            let f = t.lookup(Proto::Udp, a, b, opening, ts, 0);
            f.last_ts = f.last_ts.max(ts);
            f.id
        };
        let call = send(&mut t, 1000, 0);
        let idle = send(&mut t, 1001, 1);
        let other = send(&mut t, 1002, 2);
        // The call goes on; a flood of new flows arrives.
        send(&mut t, 1000, 3);
        assert_eq!(send(&mut t, 1000, 4), call, "no eviction for a known flow");
        let first = send(&mut t, 2000, 5);
        let second = send(&mut t, 2001, 6);
        assert_eq!(t.live(), 3);
        assert_eq!(t.evicted, 2);
        let evicted: Vec<u64> = ended.iter().map(|(id, _)| *id).collect();
        assert_eq!(evicted, [idle, other]);
        assert!(ended.iter().all(|(_, e)| *e == End::Evicted));
        let live: Vec<u64> = t.iter().map(|f| f.id).collect();
        for id in [call, first, second] {
            assert!(live.contains(&id), "{id} in {live:?}");
        }
    }

    /// The end of a capture hands on every flow left, lowest id first
    /// (slots reused out of order included), and leaves an empty table
    /// that takes flows again.
    #[test]
    fn draining_hands_on_the_flows_left_in_order_of_id() {
        let mut t: FlowTable<()> = FlowTable::with_timeouts(Timeouts::default());
        let mut ended = Vec::new();
        let ids: Vec<u64> = (0..40)
            .map(|i| packet(&mut t, Proto::Udp, 1000 + i, 0, false, &mut ended))
            .collect();
        // Closed TCP flows end after their linger; their slots are reused
        // by later flows, so slot order is no longer id order.
        for i in 0..10 {
            packet(&mut t, Proto::Tcp, 3000 + i, S, true, &mut ended);
        }
        let later: Vec<u64> = (0..10)
            .map(|i| packet(&mut t, Proto::Udp, 4000 + i, 20 * S, false, &mut ended))
            .collect();
        assert_eq!(ended.len(), 10, "the closed flows ended: {ended:?}");
        let mut drained = Vec::new();
        t.drain(&mut |f, e| drained.push((f.id, e)));
        let expected: Vec<u64> = ids.iter().chain(&later).copied().collect();
        assert_eq!(
            drained.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            expected
        );
        assert!(drained.iter().all(|(_, e)| *e == End::CaptureEnd));
        assert_eq!(t.live(), 0);
        let next = packet(&mut t, Proto::Udp, 5000, 30 * S, false, &mut ended);
        assert_eq!(t.live(), 1);
        assert!(next > *later.last().unwrap());
    }

    /// Flows end at the first sweep past their timeout, exactly as a scan
    /// of the whole table would find them, and never while active.
    #[test]
    fn flows_end_at_the_first_sweep_past_their_timeout() {
        let timeouts = Timeouts {
            udp: 10 * S,
            tcp: 30 * S,
        };
        let mut t: FlowTable<()> = FlowTable::with_timeouts(timeouts);
        let mut ended = Vec::new();
        let udp = packet(&mut t, Proto::Udp, 1000, 0, false, &mut ended);
        let open_tcp = packet(&mut t, Proto::Tcp, 2000, 0, false, &mut ended);
        let kept_busy = packet(&mut t, Proto::Udp, 3000, 0, false, &mut ended);
        let closed_tcp = packet(&mut t, Proto::Tcp, 4000, 0, false, &mut ended);
        packet(&mut t, Proto::Tcp, 4000, 2 * S, true, &mut ended);
        // A packet every second keeps one flow alive; the clock ticks on.
        for second in 1..=40 {
            packet(&mut t, Proto::Udp, 3000, second * S, false, &mut ended);
        }
        let when = |id| {
            ended
                .iter()
                .find(|(f, _, _)| *f == id)
                .map(|(_, e, at)| (*e, *at))
        };
        assert_eq!(when(udp), Some((End::Idle, 11 * S)));
        assert_eq!(when(closed_tcp), Some((End::Fin, 8 * S)), "2 s + linger");
        assert_eq!(when(open_tcp), Some((End::Idle, 31 * S)));
        assert_eq!(when(kept_busy), None);
        assert_eq!(t.live(), 1);
        assert_eq!(
            t.expiry.len(),
            1,
            "one entry per live flow, stale ones gone"
        );
    }
}
