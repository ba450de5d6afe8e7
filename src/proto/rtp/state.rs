//! What one flow learns from RTP and RTCP: streams by SSRC and direction
//! (sequence, gaps, payload statistics), RTCP packet types and SDES items,
//! SRTCP. A stream is reported only when it holds together (see
//! [`RtpState::holds_together`]). Packets of a known stream allocate nothing.

use super::parse::{self as rtp, PayloadStats, rtcp_type};
use super::verdict::{self, Confidence, Encrypted};
use crate::flow::Dir;
use crate::proto::Seen;
use crate::proto::record::{bump, with_text};
use crate::proto::sip::state::Announcement;
use crate::time::{Nanos, Timestamp};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct RtpDetail {
    pub streams: Vec<RtpStream>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RtpStream {
    pub ssrc: String,
    #[schemars(with = "crate::flow::Dir")]
    pub direction: &'static str,
    pub payload_type: u8,
    pub codec: Option<String>,
    pub packets: u64,
    pub payload_bytes: u64,
    pub first_packet: u64,
    pub last_packet: u64,
    pub first_timestamp: Timestamp,
    pub last_timestamp: Timestamp,
    /// Sequence numbers skipped (lost or not captured).
    pub sequence_gaps: u64,
    pub out_of_order: u64,
    /// Carried inside TURN ChannelData or Send/Data indications.
    pub relayed: bool,
    /// Whether the payload is encrypted (SRTP), with `evidence` saying why.
    pub encrypted: Encrypted,
    /// `high` (signaling or key exchange says so), `medium` (payload statistics), `low`.
    pub confidence: Confidence,
    pub evidence: Vec<String>,
    pub payload_entropy: f64,
    pub payload_chi_square: f64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct RtcpDetail {
    pub packets: u64,
    /// Packets that did not parse as plain compound RTCP: SRTCP.
    pub srtcp_packets: u64,
    pub packet_types: BTreeMap<String, u64>,
    pub sdes: Vec<SdesRecord>,
    pub bye: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct SdesRecord {
    pub ssrc: String,
    pub item: &'static str,
    pub value: String,
    pub packet: u64,
}

#[derive(Clone)]
struct StreamState {
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
    /// Packets repeating the last sequence number (a capture taken on two
    /// ports of a switch, or retransmitted): neither order nor disorder.
    duplicates: u64,
    stats: Box<PayloadStats>,
}

impl StreamState {
    /// The stream `h` begins, its statistics kept in `stats` (zeroed).
    fn new(
        at: Seen,
        h: &rtp::RtpHeader<'_>,
        relayed: bool,
        stats: Box<PayloadStats>,
    ) -> StreamState {
        StreamState {
            ssrc: h.ssrc,
            dir: at.dir,
            relayed,
            payload_type: h.payload_type,
            packets: 0,
            bytes: 0,
            first_packet: at.packet,
            last_packet: at.packet,
            first_ts: at.ts,
            last_ts: at.ts,
            last_seq: h.sequence.wrapping_sub(1),
            in_sequence: 0,
            gaps: 0,
            out_of_order: 0,
            duplicates: 0,
            stats,
        }
    }

    /// At least 3 packets, at least 70% of them in sequence: random
    /// payloads whose first byte falls in 128-191 do not hold together.
    fn holds_together(&self) -> bool {
        let distinct = self.packets - self.duplicates;
        distinct >= 3 && self.in_sequence * 10 >= (distinct - 1) * 7
    }
}

/// Streams of one flow, by SSRC and direction.
#[derive(Default, Clone)]
pub struct RtpState {
    streams: Vec<StreamState>,
    /// Packets of streams past `MAX_STREAMS` that held together: not
    /// followed (the flow's record says so).
    not_followed: u64,
}

const MAX_STREAMS: usize = 32;

impl RtpState {
    /// Whether any stream holds together as RTP so far.
    pub fn holds_together(&self) -> bool {
        self.streams.iter().any(StreamState::holds_together)
    }

    /// Packets not followed because the flow already followed
    /// `MAX_STREAMS` streams that hold together.
    pub fn not_followed(&self) -> u64 {
        self.not_followed
    }

    pub fn on_packet(&mut self, at: Seen, h: &rtp::RtpHeader<'_>, relayed: bool) {
        let stream = match self
            .streams
            .iter()
            .position(|s| s.ssrc == h.ssrc && s.dir == at.dir)
        {
            Some(i) => &mut self.streams[i],
            None if self.streams.len() < MAX_STREAMS => {
                self.streams
                    .push(StreamState::new(at, h, relayed, Box::default()));
                self.streams.last_mut().expect("just pushed")
            }
            None => {
                // Full. A candidate that never held together gives way,
                // the one quiet longest: packets that merely look like RTP
                // (each a new "SSRC") must not crowd out a real stream
                // that starts later.
                let Some(i) = self
                    .streams
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !s.holds_together())
                    .min_by_key(|(_, s)| s.last_ts)
                    .map(|(i, _)| i)
                else {
                    self.not_followed += 1;
                    return;
                };
                // The newest last, as when there was room; its statistics
                // reuse the one given way's, so look-alikes allocate nothing.
                let gone = self.streams.remove(i);
                let mut stats = gone.stats;
                *stats = PayloadStats::default();
                self.streams.push(StreamState::new(at, h, relayed, stats));
                self.streams.last_mut().expect("just pushed")
            }
        };
        let delta = h.sequence.wrapping_sub(stream.last_seq) as i16;
        match delta {
            1 => stream.in_sequence += 1,
            2..=100 => {
                stream.in_sequence += 1;
                stream.gaps += (delta - 1) as u64;
            }
            0 if stream.packets > 0 => stream.duplicates += 1,
            _ => stream.out_of_order += 1,
        }
        if delta > 0 {
            stream.last_seq = h.sequence;
        }
        stream.packets += 1;
        stream.bytes += h.payload.len() as u64;
        stream.last_packet = at.packet;
        stream.last_ts = at.ts;
        stream.stats.add(h.payload);
    }

    /// The streams that held together, each judged encrypted or not with
    /// its evidence.
    pub fn record(
        &self,
        dtls_srtp: Option<(u64, &str)>,
        zrtp: bool,
        announced: Option<&Announcement>,
        platform_framing: Option<&str>,
    ) -> Vec<RtpStream> {
        let cx = verdict::Context {
            dtls_srtp,
            zrtp,
            announced,
            platform_framing,
        };
        self.streams
            .iter()
            .filter(|s| s.holds_together())
            .map(|s| {
                let stats = s.stats.verdict();
                let j = verdict::judge(&cx, &stats);
                RtpStream {
                    ssrc: format!("0x{:08x}", s.ssrc),
                    direction: s.dir.name(),
                    payload_type: s.payload_type,
                    codec: rtp::static_payload_name(s.payload_type).map(str::to_string),
                    packets: s.packets,
                    payload_bytes: s.bytes,
                    first_packet: s.first_packet,
                    last_packet: s.last_packet,
                    first_timestamp: Timestamp(s.first_ts),
                    last_timestamp: Timestamp(s.last_ts),
                    sequence_gaps: s.gaps,
                    out_of_order: s.out_of_order,
                    relayed: s.relayed,
                    encrypted: j.encrypted,
                    confidence: j.confidence,
                    evidence: j.evidence,
                    payload_entropy: (stats.entropy * 1000.0).round() / 1000.0,
                    payload_chi_square: stats.chi_square.round(),
                }
            })
            .collect()
    }
}

impl RtcpDetail {
    /// Records a plain compound RTCP packet: types, SDES items (each once), BYE.
    pub fn on_plain(&mut self, at: Seen, payload: &[u8]) {
        let r = self;
        r.packets += 1;
        for p in rtp::rtcp_packets(payload) {
            bump(&mut r.packet_types, rtp::rtcp_type_name(p.packet_type));
            match p.packet_type {
                rtcp_type::SDES => {
                    for (ssrc, kind, value) in rtp::sdes_items(&p) {
                        let value = String::from_utf8_lossy(value);
                        let known = with_text(format_args!("0x{ssrc:08x}"), |id| {
                            r.sdes
                                .iter()
                                .any(|s| s.item == kind.name() && s.value == value && s.ssrc == id)
                        });
                        if !known && r.sdes.len() < 32 {
                            r.sdes.push(SdesRecord {
                                ssrc: format!("0x{ssrc:08x}"),
                                item: kind.name(),
                                value: value.into_owned(),
                                packet: at.packet,
                            });
                        }
                    }
                }
                rtcp_type::BYE => r.bye += 1,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(sequence: u16, payload: &[u8]) -> rtp::RtpHeader<'_> {
        rtp::RtpHeader {
            payload_type: 8,
            marker: false,
            sequence,
            timestamp: 0,
            ssrc: 0xdee0ee8f,
            extension_profile: None,
            payload,
        }
    }

    /// Packet `packet`, 20 ms after the one before, client to server.
    fn at(packet: u64) -> Seen {
        Seen {
            packet,
            ts: packet as Nanos * 20_000_000,
            dir: Dir::ClientToServer,
        }
    }

    #[test]
    fn a_stream_holds_together_only_when_mostly_in_sequence() {
        let mut rtp = RtpState::default();
        rtp.on_packet(at(1), &header(100, b"\xd5\xd5"), false);
        rtp.on_packet(at(2), &header(101, b"\xd5\xd5"), false);
        assert!(!rtp.holds_together(), "two packets are not a stream");
        rtp.on_packet(at(3), &header(103, b"\xd5\xd5"), false);
        assert!(rtp.holds_together());
        let streams = rtp.record(None, false, None, None);
        assert_eq!(streams.len(), 1);
        let s = &streams[0];
        assert_eq!(
            (s.ssrc.as_str(), s.packets, s.sequence_gaps),
            ("0xdee0ee8f", 3, 1)
        );
        assert_eq!((s.first_packet, s.last_packet), (1, 3));
        assert_eq!(s.codec.as_deref(), Some("PCMA"));

        let mut scattered = RtpState::default();
        for (i, seq) in [5u16, 9000, 17, 40000, 3].into_iter().enumerate() {
            scattered.on_packet(at(i as u64), &header(seq, b"x"), false);
        }
        assert!(!scattered.holds_together());
    }

    /// Forty packets that only look like RTP (a new SSRC each), then a
    /// real stream: the real one is followed. (The first 32 look-alikes
    /// took every place, and the stream was never seen.) Past 32 streams
    /// that hold together, what is not followed is counted.
    #[test]
    fn look_alikes_give_way_to_a_real_stream_and_what_is_not_followed_is_counted() {
        let with_ssrc = |ssrc, sequence| rtp::RtpHeader {
            ssrc,
            ..header(sequence, b"\xd5\xd5")
        };
        let mut rtp = RtpState::default();
        for n in 0..40u32 {
            rtp.on_packet(
                at(u64::from(n)),
                &with_ssrc(0x1000 + n, n as u16 * 977),
                false,
            );
        }
        assert!(!rtp.holds_together());
        for n in 0..5u16 {
            rtp.on_packet(at(100 + u64::from(n)), &with_ssrc(0xfeed, 500 + n), false);
        }
        let streams = rtp.record(None, false, None, None);
        assert_eq!(streams.len(), 1);
        assert_eq!(
            (streams[0].ssrc.as_str(), streams[0].packets),
            ("0x0000feed", 5)
        );
        assert_eq!(rtp.not_followed(), 0);

        let mut busy = RtpState::default();
        for ssrc in 0..MAX_STREAMS as u32 + 2 {
            for n in 0..3u16 {
                let packet = u64::from(ssrc) * 3 + u64::from(n);
                busy.on_packet(at(packet), &with_ssrc(ssrc, n), false);
            }
        }
        assert_eq!(busy.record(None, false, None, None).len(), MAX_STREAMS);
        assert_eq!(busy.not_followed(), 6);
    }
}
