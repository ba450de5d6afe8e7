#!/usr/bin/env python3
"""Send SRTP-shaped media both ways between 127.0.0.1:A and 127.0.0.1:B (RTP on the even ports,
SRTCP on port+1). Each SRTP packet = a real 12-byte RTP header + os.urandom payload (stands in for
AES-CM ciphertext) + 10-byte random auth tag (HMAC-SHA1-80 length). Each SRTCP packet = clear
8-byte RTCP SR header + random 'encrypted' rest + E-flag|SRTCP index word + 10-byte tag.
Not real encryption: no key is used.
Usage: srtp_media.py A_PORT A_SSRC A_PT  B_PORT B_SSRC B_PT  SECONDS"""
import os, socket, struct, sys, time
ap, assrc, apt, bp, bssrc, bpt, secs = sys.argv[1:8]
ap, bp, apt, bpt = int(ap), int(bp), int(apt), int(bpt); assrc, bssrc = int(assrc, 0), int(bssrc, 0)
secs = float(secs)
def sock(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", p)); return s
ra, rb, ca, cb = sock(ap), sock(bp), sock(ap + 1), sock(bp + 1)
seq = {assrc: 4000, bssrc: 21000}; ts = {assrc: 160000, bssrc: 320000}; rtcp_idx = {assrc: 0, bssrc: 0}
def srtp(ssrc, pt, marker):
    hdr = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq[ssrc] & 0xFFFF, ts[ssrc] & 0xFFFFFFFF, ssrc)
    seq[ssrc] += 1; ts[ssrc] += 160
    return hdr + os.urandom(160) + os.urandom(10)
def srtcp(ssrc):
    # SR with one report block: length field = 12 words after the first word
    hdr = struct.pack("!BBHI", 0x81, 200, 12, ssrc)
    rtcp_idx[ssrc] += 1
    return hdr + os.urandom(44) + struct.pack("!I", 0x80000000 | rtcp_idx[ssrc]) + os.urandom(10)
t0 = time.time(); n = 0
while time.time() - t0 < secs:
    ra.sendto(srtp(assrc, apt, n == 0), ("127.0.0.1", bp))
    rb.sendto(srtp(bssrc, bpt, n == 0), ("127.0.0.1", ap))
    if n % 50 == 25:
        ca.sendto(srtcp(assrc), ("127.0.0.1", bp + 1))
        cb.sendto(srtcp(bssrc), ("127.0.0.1", ap + 1))
    n += 1
    time.sleep(max(0, t0 + n * 0.02 - time.time()))
