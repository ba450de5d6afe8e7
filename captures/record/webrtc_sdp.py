#!/usr/bin/env python3
"""Print the WebRTC signalling facts of a capture as read by tshark (the oracle used for README.md):
every HTTP body or WebSocket text frame that holds JSON with an "sdp" member (frame, TCP ports, JSON
type, and from the SDP: o=, m=, c=, ICE ufrag/pwd, candidates, DTLS fingerprint and setup role, a=ssrc),
then the DTLS handshake frames and the SRTP/SRTCP streams.
Usage: webrtc_sdp.py FILE"""
import json, subprocess, sys
f = sys.argv[1]
T = ["tshark", "-o", "rtp.heuristic_rtp:TRUE", "--disable-protocol", "wg", "-r", f]
out = subprocess.run(T + ["-Y", "http.file_data || websocket.payload.text", "-T", "fields", "-E", "separator=\t",
                          "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport",
                          "-e", "http.request.method", "-e", "http.response.code", "-e", "websocket.mask",
                          "-e", "http.file_data", "-e", "websocket.payload.text"], capture_output=True, text=True).stdout
for line in out.splitlines():
    fr, st, sp, dp, meth, code, mask, body, text = (line.split("\t") + [""] * 9)[:9]
    raw = body or text
    try: msg = json.loads(raw)
    except ValueError:
        print(f"frame {fr}: tcp.stream {st} {sp}->{dp} non-JSON payload {raw[:60]!r}"); continue
    kind = f"HTTP {meth or code}" if body else f"WebSocket text{' (masked)' if mask in ('1', 'True') else ''}"
    print(f"frame {fr}: tcp.stream {st} {sp}->{dp} {kind} JSON type={msg.get('type')!r} keys={sorted(msg)}")
    sdp = msg.get("sdp")
    if not sdp: continue
    for l in sdp.split("\r\n"):
        if l.startswith(("o=", "m=", "c=", "a=ice-ufrag", "a=ice-pwd", "a=candidate", "a=fingerprint", "a=setup",
                         "a=ssrc", "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive", "a=rtpmap:96", "a=mid", "a=group")):
            print("    " + l)
for name, flt, fields in (
        ("dtls", "dtls.handshake.type", ["frame.number", "udp.srcport", "udp.dstport", "dtls.handshake.type",
                                         "dtls.handshake.version", "dtls.handshake.ciphersuite", "dtls.use_srtp.protection_profile"]),
        ("stun", "stun", ["frame.number", "udp.srcport", "udp.dstport", "stun.type", "stun.att.username",
                          "stun.att.priority", "stun.att.tie-breaker", "stun.att.ipv4", "stun.att.port", "_ws.col.Info"])):
    o = subprocess.run(T + ["-Y", flt, "-T", "fields", "-E", "separator=|", *sum((["-e", x] for x in fields), [])],
                       capture_output=True, text=True).stdout
    for l in o.splitlines(): print(f"{name}|{l}")
o = subprocess.run(T + ["-q", "-z", "rtp,streams"], capture_output=True, text=True).stdout
for l in o.splitlines():
    if "0x" in l: print("rtp-stream|" + " ".join(l.split()[:9]))
o = subprocess.run(T + ["-Y", "rtcp || srtcp", "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "udp.srcport",
                        "-e", "rtcp.pt", "-e", "rtcp.senderssrc"], capture_output=True, text=True).stdout
for l in o.splitlines(): print("rtcp|" + l)
