#!/usr/bin/env python3
"""Write RTP media files for sipp's play_pcap_audio: a pcap (Ethernet/IPv4/UDP, addresses and
ports are placeholders that sipp rewrites) holding SECONDS of a mu-law tone as RTP PCMU (PT 0),
one packet per 20 ms (160 samples), first packet with the marker bit.
Usage: gen_rtp_pcap.py OUT.pcap SSRC SEQ0 TS0 FREQ_HZ SECONDS"""
import math, struct, sys
out, ssrc, seq0, ts0, freq, secs = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0), int(sys.argv[4], 0), float(sys.argv[5]), float(sys.argv[6])
def lin2ulaw(s):
    sign = 0x80 if s < 0 else 0
    s = min(abs(s), 32635) + 0x84
    exp = 7
    while exp > 0 and not (s & (0x4000 >> (7 - exp))): exp -= 1
    return (~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0F))) & 0xFF
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xFFFF); s += s >> 16
    return ~s & 0xFFFF
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(int(secs * 50)):
        pay = bytes(lin2ulaw(int(8000 * math.sin(2 * math.pi * freq * (n + 160 * i) / 8000))) for n in range(160))
        rtp = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0), (seq0 + i) & 0xFFFF, (ts0 + 160 * i) & 0xFFFFFFFF, ssrc) + pay
        udp = struct.pack("!HHHH", 40000, 40002, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        frame = b"\0" * 12 + b"\x08\x00" + ip + udp
        t = i * 0.020
        f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)), len(frame), len(frame)) + frame)
