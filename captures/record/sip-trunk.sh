#!/usr/bin/env bash
# Re-records captures/sip-trunk.pcap: a SIP "trunk" -- SIPp (sip-tester) UAC 127.0.0.1:5070 and SIPp UAS
# 127.0.0.1:5060, both -t u1 (ONE UDP socket pair for all signalling), 24 calls placed at 24 calls/s,
# each lasting ~2 s, so all 24 are in progress together for ~1 s. Every call has its own Call-ID, its
# own From (fake patients, injection file sip/trunk-patients.csv), and its own SDP media port:
# [auto_media_port] = -mp + 4*(call_number-1), i.e. UAC 16000,16004..16092 and UAS 18000,18004..18092.
# Media: play_pcap_audio from that port to the peer's announced port, each call and direction with its
# own SSRC (pcaps made by sip/gen_rtp_pcap.py; UAC 440 Hz, UAS 660 Hz PCMU, 2 s, 20 ms packets).
# Runs in a private network namespace with only lo (nothing else on the host's lo gets recorded).
# Only UDP is recorded (the kernel answers RTP to ports no socket is bound to with ICMP port
# unreachable; those ICMP packets are not in the file).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
exec "$HERE/sipp-calls.sh" "$HERE/../sip-trunk.pcap" trunk 24 u1 16000 18000 udp -r 24 -l 30
