#!/usr/bin/env bash
# Re-records captures/webrtc-http-signaling.pcap: aiortc WebRTC call whose offer/answer travel in one
# cleartext HTTP/1.1 POST /offer (JSON) to an aiohttp server on 127.0.0.1:8080 (record/webrtc_http.py,
# after aiortc's "server" example), then ICE (host candidates on 127.0.0.1 only), DTLS 1.2 and SRTP:
# a 440 Hz Opus tone from the client (caller) to the server (answerer) for 3 s.
# Runs in a private network namespace "tpwebhttp" that has only its own loopback.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../webrtc-http-signaling.pcap"
python3 -c 'import aiortc, aiohttp' 2>/dev/null || pip install -q aiortc aiohttp
command -v tcpdump >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump tshark; }
. "$HERE/netns.sh"; private_netns tpwebhttp
ip netns exec $NS tcpdump -i lo -U -s 0 -w cap.pcap 'host 127.0.0.1' 2>/dev/null & CAP=$!; PIDS+=($CAP); sleep 2
ip netns exec $NS python3 "$HERE/webrtc_http.py" server & SRV=$!; PIDS+=($SRV)
sleep 3   # the aiortc/PyAV import takes a while on a busy machine
ip netns exec $NS python3 "$HERE/webrtc_http.py" client
wait $SRV || true
sleep 1; kill -INT $CAP; wait $CAP || true
cp cap.pcap "$OUT"; chmod 644 "$OUT"; ls -l "$OUT"
cd /; rm -rf "$W"
