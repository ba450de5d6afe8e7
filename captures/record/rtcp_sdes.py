#!/usr/bin/env python3
"""Send well-formed RTCP compound packets (SR + SDES CNAME/NAME/EMAIL, final SR + SDES + BYE)
between two RTCP ports on 127.0.0.1, alongside a SIP call whose RTP runs on the even ports.
The sender/receiver statistics are plausible values, not measured ones.
Usage: rtcp_sdes.py A_RTCP_PORT A_SSRC A_NAME A_EMAIL  B_RTCP_PORT B_SSRC B_NAME B_EMAIL  SECONDS INTERVAL"""
import socket, struct, sys, time

def sdes(ssrc, items):
    chunk = struct.pack("!I", ssrc)
    for t, v in items:
        v = v.encode(); chunk += bytes([t, len(v)]) + v
    chunk += b"\x00"
    chunk += b"\x00" * (-len(chunk) % 4)
    return struct.pack("!BBH", 0x81, 202, len(chunk) // 4) + chunk

def sr(ssrc, pkts, octets, rtp_ts, peer_ssrc, peer_highest):
    now = time.time() + 2208988800
    ntp_hi = int(now); ntp_lo = int((now - ntp_hi) * (1 << 32))
    body = struct.pack("!IIIIII", ssrc, ntp_hi, ntp_lo, rtp_ts, pkts, octets)
    # one report block about the peer: fraction lost 0, cumulative 0, ext highest seq, jitter, LSR, DLSR
    body += struct.pack("!IIIIII", peer_ssrc, 0, peer_highest, 12, 0, 0)
    return struct.pack("!BBH", 0x81, 200, len(body) // 4) + body

def bye(ssrc, reason=b"call ended"):
    body = struct.pack("!I", ssrc) + bytes([len(reason)]) + reason
    body += b"\x00" * (-len(body) % 4)
    return struct.pack("!BBH", 0x81, 203, len(body) // 4) + body

a_port, a_ssrc, a_name, a_mail, b_port, b_ssrc, b_name, b_mail, secs, ival = sys.argv[1:11]
a_port, b_port = int(a_port), int(b_port); a_ssrc, b_ssrc = int(a_ssrc, 0), int(b_ssrc, 0)
secs, ival = float(secs), float(ival)
sa = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sa.bind(("127.0.0.1", a_port))
sb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sb.bind(("127.0.0.1", b_port))
t0 = time.time(); first = True
while True:
    el = time.time() - t0; last = el + ival > secs
    for s, me, peer, name, mail, pps, peer_pps, dst in (
            (sa, a_ssrc, b_ssrc, a_name, a_mail, 33, 50, b_port),
            (sb, b_ssrc, a_ssrc, b_name, b_mail, 50, 33, a_port)):
        n = int(el * pps)
        pkt = sr(me, n, n * 160, n * 160, peer, int(el * peer_pps))
        pkt += sdes(me, [(1, f"{name.split()[0].lower()}@127.0.0.1"), (2, name), (3, mail), (6, "teleprobe-rtcp")])
        if last: pkt += bye(me)
        s.sendto(pkt, ("127.0.0.1", dst))
    if last: break
    time.sleep(ival)
