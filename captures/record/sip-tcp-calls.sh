#!/usr/bin/env bash
# Re-records captures/sip-tcp-calls.pcap: SIPp (sip-tester) UAC 127.0.0.1:5070 -> SIPp UAS 127.0.0.1:5060
# over TCP (-t t1: ONE TCP connection carries all signalling), 4 calls placed 0.5 s apart (-r 2 -l 4),
# each ~2 s, so they overlap. Scenarios sip/uac-trunk.xml / sip/uas-trunk.xml ([transport] = TCP):
# SDP RTP/AVP, media port per call [auto_media_port] = -mp + 4*(call_number-1): UAC 26000..26012,
# UAS 28000..28012; RTP over UDP, each side plays a 2 s PCMU tone with its own SSRC (play_pcap_audio,
# pcaps from sip/gen_rtp_pcap.py). Runs in a private network namespace with only lo; records UDP and
# TCP port 5060.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
exec "$HERE/sipp-calls.sh" "$HERE/../sip-tcp-calls.pcap" tcp-calls 4 t1 26000 28000 "udp or tcp port 5060" -r 2 -l 4
