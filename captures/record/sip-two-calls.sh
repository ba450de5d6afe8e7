#!/usr/bin/env bash
# Re-records captures/sip-two-calls.pcap: two sequential cleartext SIPp (sip-tester) calls from the UAC
# 127.0.0.1:5070 to the UAS 127.0.0.1:5060 over UDP (-t u1: both calls on the same signalling 5-tuple),
# different Call-IDs; call 2 is placed 4 s after call 1, when call 1 is over (-r 1 -rp 4000 -l 1).
# Scenarios sip/uac-trunk.xml / sip/uas-trunk.xml: media port per call [auto_media_port] =
# -mp + 4*(call_number-1): call 1 UAC 20000 / UAS 22000, call 2 UAC 20004 / UAS 22004;
# each side plays a 2 s PCMU tone with its own SSRC (play_pcap_audio, pcaps from sip/gen_rtp_pcap.py).
# Runs in a private network namespace with only lo; only UDP is recorded.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../sip-two-calls.pcap"
command -v sipp >/dev/null && command -v tcpdump >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tcpdump tshark; }
NS=tpsip2calls; N=2
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
        r = random.Random(f'teleprobe-two-calls-{side}-{n}')
        print(side, '%02d' % n, hex(r.getrandbits(32)), r.getrandbits(16), r.getrandbits(32))" |
while read -r side n ssrc seq ts; do
  python3 "$HERE/sip/gen_rtp_pcap.py" "trunk-rtp/$side-$n.pcap" "$ssrc" "$seq" "$ts" \
    "$([ "$side" = uac ] && echo 440 || echo 660)" 2
done
ip netns exec $NS tcpdump -i lo -U -s 0 -w raw.pcap 'host 127.0.0.1 and udp' 2>/dev/null & CAP=$!; PIDS+=($CAP); sleep 2
ip netns exec $NS sipp -sf "$HERE/sip/uas-trunk.xml" -t u1 -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp 22000 \
  -m $N -nostdin >/dev/null 2>&1 & UAS=$!
sleep 0.5
timeout 60 ip netns exec $NS sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-trunk.xml" -inf "$HERE/sip/trunk-patients.csv" \
  -t u1 -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 20000 -r 1 -rp 4000 -l 1 -m $N -nostdin >/dev/null 2>&1
wait $UAS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
