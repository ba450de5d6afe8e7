#!/usr/bin/env bash
# Re-records captures/sip-two-calls.pcap: two sequential cleartext SIPp (sip-tester) calls from the UAC
# 127.0.0.1:5070 to the UAS 127.0.0.1:5060 over UDP (-t u1: both calls on the same signalling 5-tuple),
# different Call-IDs; call 2 is placed 4 s after call 1, when call 1 is over (-r 1 -rp 4000 -l 1).
# Scenarios sip/uac-trunk.xml / sip/uas-trunk.xml: media port per call [auto_media_port] =
# -mp + 4*(call_number-1): call 1 UAC 20000 / UAS 22000, call 2 UAC 20004 / UAS 22004;
# each side plays a 2 s PCMU tone with its own SSRC (play_pcap_audio, pcaps from sip/gen_rtp_pcap.py).
# Runs in a private network namespace with only lo; only UDP is recorded.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
exec "$HERE/sipp-calls.sh" "$HERE/../sip-two-calls.pcap" two-calls 2 u1 20000 22000 udp -r 1 -rp 4000 -l 1
