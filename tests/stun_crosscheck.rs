//! Our zero-copy STUN/TURN parser against the `stun-types` and `turn-types`
//! crates on generated messages: same class, method, transaction id, the
//! same attributes in the same order, and the same decoded addresses,
//! lifetimes and channel numbers.

mod common;

use proptest::prelude::*;
use std::net::{IpAddr, SocketAddr};
use stun_types::attribute::{AttributeType, XorMappedAddress};
use stun_types::message::{Message as TheirMessage, MessageClass};
use teleprobe::proto::stun::{self, Class, Message};

fn xor_addr(addr: SocketAddr, tid: &[u8; 12]) -> Vec<u8> {
    let cookie = stun::MAGIC_COOKIE.to_be_bytes();
    let mut v = vec![0, if addr.is_ipv4() { 1 } else { 2 }];
    v.extend_from_slice(&(addr.port() ^ 0x2112).to_be_bytes());
    match addr.ip() {
        IpAddr::V4(a) => v.extend(a.octets().iter().zip(cookie).map(|(b, k)| b ^ k)),
        IpAddr::V6(a) => v.extend(
            a.octets()
                .iter()
                .zip(cookie.iter().chain(tid.iter()))
                .map(|(b, k)| b ^ k),
        ),
    }
    v
}

fn addr_strategy() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::from(ip), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::from(ip), port)),
    ]
}

#[derive(Debug, Clone)]
enum Attr {
    Text(u16, String),
    XorAddr(u16, SocketAddr),
    U32(u16, u32),
    Channel(u16),
    Flag(u16),
    Tiebreaker(u16, u64),
}

fn attr_strategy() -> impl Strategy<Value = Attr> {
    prop_oneof![
        (
            prop_oneof![
                Just(stun::USERNAME),
                Just(stun::SOFTWARE),
                Just(stun::REALM),
                Just(stun::NONCE)
            ],
            "[a-zA-Z0-9:. -]{0,40}"
        )
            .prop_map(|(t, s)| Attr::Text(t, s)),
        (
            prop_oneof![
                Just(stun::XOR_MAPPED_ADDRESS),
                Just(stun::XOR_RELAYED_ADDRESS),
                Just(stun::XOR_PEER_ADDRESS)
            ],
            addr_strategy()
        )
            .prop_map(|(t, a)| Attr::XorAddr(t, a)),
        (
            prop_oneof![Just(stun::PRIORITY), Just(stun::LIFETIME)],
            any::<u32>()
        )
            .prop_map(|(t, v)| Attr::U32(t, v)),
        (0x4000u16..0x4fff).prop_map(Attr::Channel),
        Just(Attr::Flag(stun::USE_CANDIDATE)),
        (
            prop_oneof![Just(stun::ICE_CONTROLLING), Just(stun::ICE_CONTROLLED)],
            any::<u64>()
        )
            .prop_map(|(t, v)| Attr::Tiebreaker(t, v)),
    ]
}

fn encode(a: &Attr, tid: &[u8; 12]) -> (u16, Vec<u8>) {
    match a {
        Attr::Text(t, s) => (*t, s.as_bytes().to_vec()),
        Attr::XorAddr(t, addr) => (*t, xor_addr(*addr, tid)),
        Attr::U32(t, v) => (*t, v.to_be_bytes().to_vec()),
        Attr::Channel(c) => (stun::CHANNEL_NUMBER, vec![(c >> 8) as u8, *c as u8, 0, 0]),
        Attr::Flag(t) => (*t, Vec::new()),
        Attr::Tiebreaker(t, v) => (*t, v.to_be_bytes().to_vec()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn agrees_with_stun_types(
        method in prop_oneof![Just(0x001u16), 0x003u16..=0x00c],
        class in 0u16..4,
        tid in any::<[u8; 12]>(),
        attrs in prop::collection::vec(attr_strategy(), 0..8),
    ) {
        let msg_type = (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
            | ((class & 1) << 4) | ((class & 2) << 7);
        let encoded: Vec<(u16, Vec<u8>)> = attrs.iter().map(|a| encode(a, &tid)).collect();
        let bytes = common::stun(msg_type, tid, &encoded);
        let ours = Message::parse(&bytes).expect("ours parses");
        let theirs = TheirMessage::from_bytes(&bytes).expect("stun-types parses");

        prop_assert_eq!(ours.method(), theirs.method().value());
        let their_class = match theirs.class() {
            MessageClass::Request => Class::Request,
            MessageClass::Indication => Class::Indication,
            MessageClass::Success => Class::Success,
            MessageClass::Error => Class::Error,
        };
        prop_assert_eq!(ours.class(), their_class);
        prop_assert_eq!(u128::from_be_bytes({
            let mut t = [0u8; 16];
            t[4..].copy_from_slice(ours.transaction_id());
            t
        }), u128::from(theirs.transaction_id()));

        let our_attrs: Vec<(u16, Vec<u8>)> = ours.attributes().map(|a| (a.kind, a.value.to_vec())).collect();
        let their_attrs: Vec<(u16, Vec<u8>)> = theirs
            .iter_attributes()
            .map(|(_, a)| (a.header.get_type().value(), a.value.to_vec()))
            .collect();
        prop_assert_eq!(&our_attrs, &their_attrs);

        if let Ok(x) = theirs.attribute::<XorMappedAddress>() {
            prop_assert_eq!(ours.address(stun::XOR_MAPPED_ADDRESS), Some(x.addr(theirs.transaction_id())));
        }
        if let Ok(x) = theirs.attribute::<turn_types::attribute::XorRelayedAddress>() {
            prop_assert_eq!(ours.address(stun::XOR_RELAYED_ADDRESS), Some(x.addr(theirs.transaction_id())));
        }
        if let Ok(x) = theirs.attribute::<turn_types::attribute::XorPeerAddress>() {
            prop_assert_eq!(ours.address(stun::XOR_PEER_ADDRESS), Some(x.addr(theirs.transaction_id())));
        }
        if let Ok(l) = theirs.attribute::<turn_types::attribute::Lifetime>() {
            prop_assert_eq!(ours.u32_attr(stun::LIFETIME), Some(l.seconds()));
        }
        if let Ok(c) = theirs.attribute::<turn_types::attribute::ChannelNumber>() {
            prop_assert_eq!(ours.channel_number(), Some(c.channel()));
        }
        prop_assert_eq!(ours.has(stun::USE_CANDIDATE), theirs.has_attribute(AttributeType::new(stun::USE_CANDIDATE)));
    }
}
