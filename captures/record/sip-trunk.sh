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
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../sip-trunk.pcap"
command -v sipp >/dev/null && command -v tcpdump >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tcpdump tshark; }
NS=tpsiptrunk; N=24
ip netns del $NS 2>/dev/null || true
ip netns add $NS; ip -n $NS link set lo up
W=$(mktemp -d); cd "$W"; mkdir trunk-rtp
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done; sleep 0.5; ip netns del $NS 2>/dev/null || true; }
trap cleanup EXIT
# deterministic "random" SSRC / first seq / first timestamp per call and side
python3 -c "
import random
for side in ('uac', 'uas'):
    for n in range(1, $N + 1):
        r = random.Random(f'teleprobe-trunk-{side}-{n}')
        print(side, '%02d' % n, hex(r.getrandbits(32)), r.getrandbits(16), r.getrandbits(32))" |
while read -r side n ssrc seq ts; do
  python3 "$HERE/sip/gen_rtp_pcap.py" "trunk-rtp/$side-$n.pcap" "$ssrc" "$seq" "$ts" \
    "$([ "$side" = uac ] && echo 440 || echo 660)" 2
done
ip netns exec $NS tcpdump -i lo -U -s 0 -w raw.pcap 'host 127.0.0.1 and udp' 2>/dev/null & CAP=$!; PIDS+=($CAP); sleep 2
ip netns exec $NS sipp -sf "$HERE/sip/uas-trunk.xml" -t u1 -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp 18000 \
  -m $N -nostdin >/dev/null 2>&1 & UAS=$!
sleep 0.5
timeout 60 ip netns exec $NS sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-trunk.xml" -inf "$HERE/sip/trunk-patients.csv" \
  -t u1 -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 16000 -r $N -l 30 -m $N -nostdin >/dev/null 2>&1
wait $UAS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
