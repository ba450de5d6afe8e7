//! The dissector's rules, tested on payloads fed straight into a flow's
//! state, without a capture file or the binary: which protocol a datagram
//! is, what a TURN relay carried, when a TCP stream changes protocol.

use super::*;
use crate::decode::TcpFlags;
use crate::flow::Dir;

const CARRIER: Carrier = Carrier {
    flow: 1,
    transport: crate::flow::Proto::Udp,
    source: std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 40000),
    destination: std::net::SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        3478,
    ),
};

fn at(packet: u64, dir: Dir) -> Seen {
    Seen {
        packet,
        ts: packet as i64 * 20_000_000,
        dir,
    }
}

/// An RTP packet (version 2, PT 0) with a G.711-like structured payload.
fn rtp(sequence: u16, ssrc: u32) -> Vec<u8> {
    crate::proto::rtp::build::RtpRepr {
        sequence,
        timestamp: u32::from(sequence) * 160,
        ssrc,
        ..Default::default()
    }
    .emit(&[0xd5; 160])
}

/// A TURN ChannelData frame on channel 0x4000.
fn channel_data(inner: &[u8]) -> Vec<u8> {
    crate::proto::stun::build::channel_data(0x4000, inner, false)
}

const TURN: Ports = Ports {
    client: 50000,
    server: 3478,
};

#[test]
fn media_inside_turn_channel_data_is_relayed_rtp() {
    let mut shared = Correlations::default();
    let mut state = FlowState::default();
    for n in 0..10u16 {
        let mut ctx = Ctx {
            at: at(u64::from(n) + 1, Dir::ClientToServer),
            carrier: CARRIER,
            shared: &mut shared,
        };
        state.on_udp(&mut ctx, TURN, &channel_data(&rtp(100 + n, 0x1234_5678)));
    }
    assert!(state.protocols().contains(Protocol::Turn));
    assert!(state.telehealth_so_far());
    let turn = state.turn.as_ref().unwrap();
    assert_eq!(turn.channel_data_frames, 10);
    assert_eq!(turn.carried, ["rtp"]);
    let streams = state.rtp.record(None, false, None, None);
    assert_eq!(streams.len(), 1);
    assert!(streams[0].relayed);
    assert_eq!(streams[0].packets, 10);
    // No signaling, no key exchange, and ten packets are too few for the
    // payload statistics to decide: unknown, saying so.
    assert_eq!(streams[0].encrypted, Encrypted::Unknown);
    assert!(streams[0].evidence[0].starts_with("payload statistics over 10 packets"));
}

#[test]
fn channel_data_needs_turn_evidence_first() {
    let mut shared = Correlations::default();
    let mut state = FlowState::default();
    let off_turn_ports = Ports {
        client: 50000,
        server: 40000,
    };
    let mut ctx = Ctx {
        at: at(1, Dir::ClientToServer),
        carrier: CARRIER,
        shared: &mut shared,
    };
    state.on_udp(&mut ctx, off_turn_ports, &channel_data(&rtp(1, 7)));
    assert!(!state.protocols().contains(Protocol::Turn));
    assert!(state.turn.is_none());
}

#[test]
fn a_dns_answer_on_port_53_is_dns_whatever_its_first_byte() {
    // Id 0x8000 puts the first byte in RFC 7983's RTP range.
    let mut reply = vec![0x80, 0x00, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    reply.extend_from_slice(b"\x04meet\x07example\x00\x00\x01\x00\x01");
    reply.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7]);
    let mut shared = Correlations::default();
    let mut state = FlowState::default();
    let mut ctx = Ctx {
        at: at(2, Dir::ServerToClient),
        carrier: CARRIER,
        shared: &mut shared,
    };
    let dns_ports = Ports {
        client: 40000,
        server: 53,
    };
    state.on_udp(&mut ctx, dns_ports, &reply);
    assert!(state.protocols().contains(Protocol::Dns));
    assert!(!state.telehealth_so_far());
    let addresses = &shared.dns["meet.example"];
    assert!(addresses.contains(&"198.51.100.7".parse().unwrap()));
}

#[test]
fn starttls_switches_an_unknown_stream_to_tls() {
    let mut shared = Correlations::default();
    let mut state = FlowState::default();
    let smtp = Ports {
        client: 40000,
        server: 587,
    };
    let flags = TcpFlags::default();
    let mut ctx = Ctx {
        at: at(1, Dir::ServerToClient),
        carrier: CARRIER,
        shared: &mut shared,
    };
    let banner = b"220 mail.clinic.example ESMTP\r\n";
    state.on_tcp(&mut ctx, smtp, 1000, flags, banner);
    assert!(state.protocols().is_empty());
    // A ClientHello record header at the start of a later segment.
    let hello = [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00];
    ctx.at = at(5, Dir::ClientToServer);
    state.on_tcp(&mut ctx, smtp, 5000, flags, &hello);
    assert!(state.protocols().contains(Protocol::Tls));
    assert_eq!(
        state.notes,
        ["TLS started mid-stream (STARTTLS) at packet 5"]
    );
}
