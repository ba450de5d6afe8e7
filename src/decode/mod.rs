//! Link and network layers into a borrowed packet view: no allocation, no
//! copy, except for IP fragments, which are reassembled into a bounded pool
//! (SIP INVITEs with SDP often exceed the MTU).

mod frag;

pub use frag::Reassembler;

use crate::source::LinkType;
use crate::time::Nanos;
use etherparse::{Ipv6ExtensionSlice, LaxIpSlice, TcpSlice, UdpSlice};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum Transport<'a> {
    Udp {
        src_port: u16,
        dst_port: u16,
        payload: &'a [u8],
    },
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
        flags: TcpFlags,
        payload: &'a [u8],
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Decoded<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport<'a>,
}

/// What the decoder made of one frame.
#[derive(Debug)]
pub enum Outcome<'a> {
    Packet(Decoded<'a>),
    /// A fragment was stored; the datagram is not complete yet.
    FragmentHeld,
    /// Not IPv4/IPv6 UDP or TCP (ARP, ICMP, ...): counted, not analysed.
    Skipped,
    Malformed(&'static str),
    UnsupportedLink,
}

/// Finds where the IP header starts for each supported link type.
pub fn ip_offset(link: LinkType, frame: &[u8]) -> Result<Option<usize>, &'static str> {
    match link {
        LinkType::ETHERNET => {
            let mut offset = 12;
            // 802.1Q, 802.1ad (QinQ) and the old 0x9100 tag, up to three
            // deep, then what access and carrier networks put before IP:
            // a PPPoE session or an MPLS label stack.
            for _ in 0..4 {
                let ether_type = read_u16(frame, offset).ok_or("ethernet header truncated")?;
                match ether_type {
                    0x8100 | 0x88a8 | 0x9100 => offset += 4,
                    0x0800 | 0x86dd => return Ok(Some(offset + 2)),
                    0x8864 => return pppoe_session(frame, offset + 2),
                    0x8847 | 0x8848 => return mpls(frame, offset + 2),
                    _ => return Ok(None),
                }
            }
            Ok(None)
        }
        LinkType::LINUX_SLL => match read_u16(frame, 14).ok_or("linux cooked header truncated")? {
            0x0800 | 0x86dd => Ok(Some(16)),
            _ => Ok(None),
        },
        LinkType::LINUX_SLL2 => {
            match read_u16(frame, 0).ok_or("linux cooked v2 header truncated")? {
                0x0800 | 0x86dd => Ok(Some(20)),
                _ => Ok(None),
            }
        }
        // The 4-byte family is in the writer's byte order; the IP version nibble is not.
        LinkType::NULL | LinkType::LOOP => match frame.get(4).map(|b| b >> 4) {
            Some(4) | Some(6) => Ok(Some(4)),
            Some(_) => Ok(None),
            None => Err("loopback header truncated"),
        },
        LinkType::RAW | LinkType::RAW_BSD | LinkType::IPV4 | LinkType::IPV6 => Ok(Some(0)),
        _ => Err("unsupported link type"),
    }
}

/// A PPPoE session frame (RFC 2516 §4: version/type, code, session id,
/// length), then the PPP protocol field (RFC 1661): IPv4 0x0021, IPv6
/// 0x0057. Other PPP protocols (LCP, IPCP, compressed) are not IP.
fn pppoe_session(frame: &[u8], at: usize) -> Result<Option<usize>, &'static str> {
    let header = frame.get(at..at + 8).ok_or("PPPoE header truncated")?;
    if header[0] != 0x11 || header[1] != 0x00 {
        return Ok(None);
    }
    match u16::from_be_bytes([header[6], header[7]]) {
        0x0021 | 0x0057 => Ok(Some(at + 8)),
        _ => Ok(None),
    }
}

/// An MPLS label stack (RFC 3032): 4-byte entries until the one with the
/// bottom-of-stack bit. What follows carries no type; an IP version nibble
/// of 4 or 6 is taken as IP (as Wireshark and Zeek do), anything else
/// (pseudowires with a control word, Ethernet over MPLS) is not read.
fn mpls(frame: &[u8], mut at: usize) -> Result<Option<usize>, &'static str> {
    // A label stack deeper than 16 entries is not one a network builds.
    for _ in 0..16 {
        let entry = frame.get(at..at + 4).ok_or("MPLS label stack truncated")?;
        at += 4;
        if entry[2] & 0x01 != 0 {
            return match frame.get(at).map(|b| b >> 4) {
                Some(4) | Some(6) => Ok(Some(at)),
                Some(_) => Ok(None),
                None => Err("MPLS payload missing"),
            };
        }
    }
    Ok(None)
}

fn read_u16(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at + 2)?;
    Some(u16::from_be_bytes([bytes[0], bytes[1]]))
}

/// Identifies a fragmented datagram (RFC 791 / RFC 8200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragmentKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    pub id: u32,
}

/// Decodes one frame. Fragments go to `reassembler`; when a datagram
/// completes, the returned view borrows the reassembled buffer.
pub fn decode<'a>(
    link: LinkType,
    frame: &'a [u8],
    ts: Nanos,
    reassembler: &'a mut Reassembler,
) -> Outcome<'a> {
    let offset = match ip_offset(link, frame) {
        Ok(Some(offset)) => offset,
        Ok(None) => return Outcome::Skipped,
        Err("unsupported link type") => return Outcome::UnsupportedLink,
        Err(reason) => return Outcome::Malformed(reason),
    };
    let Some(ip_bytes) = frame.get(offset..) else {
        return Outcome::Malformed("frame shorter than its link header");
    };
    let ip = match LaxIpSlice::from_slice(ip_bytes) {
        Ok((ip, _)) => ip,
        Err(_) => return Outcome::Malformed("invalid IP header"),
    };
    let (src, dst) = (ip.source_addr(), ip.destination_addr());
    let payload = ip.payload();
    let protocol = payload.ip_number.0;
    if payload.fragmented {
        let Some((id, offset_bytes, more)) = fragment_info(&ip) else {
            return Outcome::Malformed("fragment without fragment header");
        };
        let key = FragmentKey {
            src,
            dst,
            protocol,
            id,
        };
        return match reassembler.add(key, offset_bytes, more, payload.payload, ts) {
            Some(datagram) => transport(src, dst, protocol, datagram),
            None => Outcome::FragmentHeld,
        };
    }
    match transport(src, dst, protocol, payload.payload) {
        Outcome::Packet(outer) => untunnel(outer),
        other => other,
    }
}

/// GTP-U (3GPP TS 29.281) on port 2152 carries subscribers' IP packets
/// between a mobile network's nodes: the packet that matters is inside.
/// One level only; inner fragments are left as the tunnel packet.
fn untunnel(outer: Decoded<'_>) -> Outcome<'_> {
    let Transport::Udp {
        src_port,
        dst_port,
        payload,
    } = outer.transport
    else {
        return Outcome::Packet(outer);
    };
    if src_port != GTP_U_PORT && dst_port != GTP_U_PORT {
        return Outcome::Packet(outer);
    }
    let inner = gtp_u_payload(payload).and_then(|b| LaxIpSlice::from_slice(b).ok());
    match inner {
        Some((ip, _)) if !ip.payload().fragmented => {
            match transport(
                ip.source_addr(),
                ip.destination_addr(),
                ip.payload().ip_number.0,
                ip.payload().payload,
            ) {
                Outcome::Packet(d) => Outcome::Packet(d),
                _ => Outcome::Packet(outer),
            }
        }
        _ => Outcome::Packet(outer),
    }
}

const GTP_U_PORT: u16 = 2152;

/// The T-PDU of a GTPv1-U G-PDU message (type 255): after the 8-byte
/// header, the optional sequence/N-PDU/extension word when any of E, S, PN
/// is set, and the extension headers the E flag chains.
fn gtp_u_payload(b: &[u8]) -> Option<&[u8]> {
    let flags = *b.first()?;
    if flags >> 5 != 1 || flags & 0x10 == 0 || *b.get(1)? != 0xff {
        return None;
    }
    let length = usize::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]));
    let end = (8 + length).min(b.len());
    let mut at = 8;
    if flags & 0x07 != 0 {
        let mut next = *b.get(11)?;
        at = 12;
        while next != 0 {
            // Extension header: length in 4-byte units, its last byte the next type.
            let units = usize::from(*b.get(at)?);
            if units == 0 {
                return None;
            }
            at += units * 4;
            next = *b.get(at - 1)?;
        }
    }
    b.get(at..end).filter(|p| !p.is_empty())
}

fn fragment_info(ip: &LaxIpSlice<'_>) -> Option<(u32, usize, bool)> {
    match ip {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            Some((
                h.identification() as u32,
                h.fragments_offset().value() as usize * 8,
                h.more_fragments(),
            ))
        }
        LaxIpSlice::Ipv6(v6) => v6
            .extensions()
            .clone()
            .into_iter()
            .find_map(|ext| match ext {
                Ipv6ExtensionSlice::Fragment(f) => Some((
                    f.identification(),
                    f.fragment_offset().value() as usize * 8,
                    f.more_fragments(),
                )),
                _ => None,
            }),
    }
}

fn transport<'a>(src: IpAddr, dst: IpAddr, protocol: u8, payload: &'a [u8]) -> Outcome<'a> {
    match protocol {
        17 => match UdpSlice::from_slice_lax(payload) {
            Ok(udp) => Outcome::Packet(Decoded {
                src,
                dst,
                transport: Transport::Udp {
                    src_port: udp.source_port(),
                    dst_port: udp.destination_port(),
                    payload: udp.payload(),
                },
            }),
            Err(_) => Outcome::Malformed("UDP header truncated"),
        },
        6 => match TcpSlice::from_slice(payload) {
            Ok(tcp) => Outcome::Packet(Decoded {
                src,
                dst,
                transport: Transport::Tcp {
                    src_port: tcp.source_port(),
                    dst_port: tcp.destination_port(),
                    seq: tcp.sequence_number(),
                    flags: TcpFlags {
                        syn: tcp.syn(),
                        ack: tcp.ack(),
                        fin: tcp.fin(),
                        rst: tcp.rst(),
                    },
                    payload: tcp.payload(),
                },
            }),
            Err(_) => Outcome::Malformed("TCP header truncated or invalid"),
        },
        _ => Outcome::Skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MACS: [u8; 12] = [0; 12];

    fn ethernet(types_and_headers: &[&[u8]], ip_first_byte: u8) -> Vec<u8> {
        let mut frame = MACS.to_vec();
        for part in types_and_headers {
            frame.extend_from_slice(part);
        }
        frame.push(ip_first_byte);
        frame
    }

    #[test]
    fn ip_is_found_behind_vlan_tags_pppoe_and_mpls() {
        let vlan: &[u8] = &[0x81, 0x00, 0x02, 0xf5];
        let pppoe: &[u8] = &[0x88, 0x64, 0x11, 0x00, 0x3d, 0x6d, 0x00, 0x52, 0x00, 0x21];
        // QinQ then PPPoE, as nDPI's discord_mid_flow.pcap is framed.
        let frame = ethernet(&[vlan, vlan, pppoe], 0x45);
        assert_eq!(ip_offset(LinkType::ETHERNET, &frame), Ok(Some(30)));
        // Two labels, the second at the bottom of the stack.
        let labels: &[u8] = &[0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40];
        let frame = ethernet(&[labels], 0x60);
        assert_eq!(ip_offset(LinkType::ETHERNET, &frame), Ok(Some(22)));
    }

    #[test]
    fn what_is_not_ip_behind_pppoe_or_mpls_is_skipped_or_malformed() {
        // PPP's LCP (0xc021) is not IP.
        let lcp: &[u8] = &[0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x10, 0xc0, 0x21];
        assert_eq!(
            ip_offset(LinkType::ETHERNET, &ethernet(&[lcp], 0x01)),
            Ok(None)
        );
        // Ethernet over MPLS (a pseudowire's control word starts 0000).
        let pw: &[u8] = &[0x88, 0x47, 0x00, 0x01, 0x01, 0x40];
        assert_eq!(
            ip_offset(LinkType::ETHERNET, &ethernet(&[pw], 0x00)),
            Ok(None)
        );
        // A stack that never ends, and one cut short.
        let mut endless = MACS.to_vec();
        endless.extend_from_slice(&[0x88, 0x47]);
        for _ in 0..20 {
            endless.extend_from_slice(&[0x00, 0x01, 0x00, 0x40]);
        }
        assert_eq!(ip_offset(LinkType::ETHERNET, &endless), Ok(None));
        let cut = [&MACS[..], &[0x88, 0x64, 0x11]].concat();
        assert!(ip_offset(LinkType::ETHERNET, &cut).is_err());
    }
}
