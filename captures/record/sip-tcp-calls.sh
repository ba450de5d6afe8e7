#!/usr/bin/env bash
# Re-records captures/sip-tcp-calls.pcap: SIPp (sip-tester) UAC 127.0.0.1:5070 -> SIPp UAS 127.0.0.1:5060
# over TCP (-t t1: ONE TCP connection carries all signalling), 4 calls placed 0.5 s apart (-r 2 -l 4),
# each ~2 s, so they overlap. Scenarios sip/uac-trunk.xml / sip/uas-trunk.xml ([transport] = TCP):
# SDP RTP/AVP, media port per call [auto_media_port] = -mp + 4*(call_number-1): UAC 26000..26012,
# UAS 28000..28012; RTP over UDP, each side plays a 2 s PCMU tone with its own SSRC (play_pcap_audio,
# pcaps from sip/gen_rtp_pcap.py). Runs in a private network namespace with only lo; records UDP and
# TCP port 5060.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../sip-tcp-calls.pcap"
command -v sipp >/dev/null && command -v tcpdump >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tcpdump tshark; }
NS=tpsiptcp; N=4
ip netns del $NS 2>/dev/null || true
ip netns add $NS; ip -n $NS link set lo up
W=$(mktemp -d); cd "$W"; mkdir trunk-rtp
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done; sleep 0.5; ip netns del $NS 2>/dev/null || true; }
trap cleanup EXIT
python3 -c "
import random
for side in ('uac', 'uas'):
    for n in range(1, 25):  # the scenarios load all 24 media files
        r = random.Random(f'teleprobe-tcp-calls-{side}-{n}')
        print(side, '%02d' % n, hex(r.getrandbits(32)), r.getrandbits(16), r.getrandbits(32))" |
while read -r side n ssrc seq ts; do
  python3 "$HERE/sip/gen_rtp_pcap.py" "trunk-rtp/$side-$n.pcap" "$ssrc" "$seq" "$ts" \
    "$([ "$side" = uac ] && echo 440 || echo 660)" 2
done
ip netns exec $NS tcpdump -i lo -U -s 0 -w raw.pcap 'host 127.0.0.1 and (udp or tcp port 5060)' 2>/dev/null & CAP=$!; PIDS+=($CAP); sleep 2
ip netns exec $NS sipp -sf "$HERE/sip/uas-trunk.xml" -t t1 -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp 28000 \
  -m $N -nostdin >/dev/null 2>&1 & UAS=$!
sleep 0.5
timeout 60 ip netns exec $NS sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-trunk.xml" -inf "$HERE/sip/trunk-patients.csv" \
  -t t1 -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 26000 -r 2 -l 4 -m $N -nostdin >/dev/null 2>&1
wait $UAS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
