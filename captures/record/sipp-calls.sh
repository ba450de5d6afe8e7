#!/usr/bin/env bash
# Records SIPp (sip-tester) calls with the trunk scenarios sip/uac-trunk.xml / sip/uas-trunk.xml:
# UAC 127.0.0.1:5070 -> UAS 127.0.0.1:5060 on ONE signalling socket pair, every call with its own
# Call-ID, its own From (fake patients, sip/trunk-patients.csv) and its own media port
# ([auto_media_port] = -mp + 4*(call_number-1)); each side plays a 2 s PCMU tone with its own SSRC
# (play_pcap_audio, pcaps from sip/gen_rtp_pcap.py, UAC 440 Hz, UAS 660 Hz). Runs in a private
# network namespace with only lo (nothing else on the host's lo gets recorded).
# Usage: sipp-calls.sh OUT SEED CALLS TRANSPORT UAC_PORT UAS_PORT FILTER [UAC RATE ARGS...]
#   TRANSPORT u1 (UDP) or t1 (TCP); FILTER the tcpdump filter after 'host 127.0.0.1 and'.
# Called by sip-trunk.sh, sip-two-calls.sh and sip-tcp-calls.sh, which hold each file's settings.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT=$1 SEED=$2 N=$3 T=$4 UAC_MP=$5 UAS_MP=$6 FILTER=$7; shift 7
command -v sipp >/dev/null && command -v tcpdump >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tcpdump tshark; }
. "$HERE/netns.sh"; private_netns tp-$SEED
mkdir trunk-rtp
# A deterministic "random" SSRC / first seq / first timestamp per call and side; the scenarios
# name all 24 media files, so 24 are made whatever the number of calls.
python3 -c "
import random
for side in ('uac', 'uas'):
    for n in range(1, max($N, 24) + 1):
        r = random.Random(f'teleprobe-$SEED-{side}-{n}')
        print(side, '%02d' % n, hex(r.getrandbits(32)), r.getrandbits(16), r.getrandbits(32))" |
while read -r side n ssrc seq ts; do
  python3 "$HERE/sip/gen_rtp_pcap.py" "trunk-rtp/$side-$n.pcap" "$ssrc" "$seq" "$ts" \
    "$([ "$side" = uac ] && echo 440 || echo 660)" 2
done
ip netns exec "$NS" tcpdump -i lo -U -s 0 -w raw.pcap "host 127.0.0.1 and ($FILTER)" 2>/dev/null & CAP=$!; PIDS+=($CAP); sleep 2
ip netns exec "$NS" sipp -sf "$HERE/sip/uas-trunk.xml" -t "$T" -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp "$UAS_MP" \
  -m "$N" -nostdin >/dev/null 2>&1 & UAS=$!
sleep 0.5
timeout 60 ip netns exec "$NS" sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-trunk.xml" -inf "$HERE/sip/trunk-patients.csv" \
  -t "$T" -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp "$UAC_MP" "$@" -m "$N" -nostdin >/dev/null 2>&1
wait $UAS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
