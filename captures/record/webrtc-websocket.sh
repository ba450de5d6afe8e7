#!/usr/bin/env bash
# Re-records captures/webrtc-websocket.pcap: aiortc WebRTC call whose offer/answer are relayed as JSON
# text frames through a small Python `websockets` server on ws://127.0.0.1:8765 (cleartext; client
# frames masked) between two aiortc peer processes (record/webrtc_websocket.py), then ICE (host
# candidates on 127.0.0.1 only), DTLS 1.2 and SRTP: a 440 Hz Opus tone caller -> callee for 3 s,
# then {"type":"bye"} and WebSocket close handshakes.
# Runs in a private network namespace "tpwebws" that has only its own loopback.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../webrtc-websocket.pcap"
python3 -c 'import aiortc, websockets' 2>/dev/null || pip install -q aiortc websockets
command -v tcpdump >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump tshark; }
. "$HERE/netns.sh"; private_netns tpwebws
ip netns exec $NS tcpdump -i lo -U -s 0 -w cap.pcap 'host 127.0.0.1' 2>/dev/null & CAP=$!; PIDS+=($CAP); sleep 2
ip netns exec $NS python3 "$HERE/webrtc_websocket.py" server & SRV=$!; PIDS+=($SRV)
sleep 1
ip netns exec $NS python3 "$HERE/webrtc_websocket.py" callee & CALLEE=$!; PIDS+=($CALLEE)
sleep 4   # the aiortc/PyAV import takes a while on a busy machine
ip netns exec $NS python3 "$HERE/webrtc_websocket.py" caller
wait $CALLEE || true; wait $SRV || true
sleep 1; kill -INT $CAP; wait $CAP || true
cp cap.pcap "$OUT"; chmod 644 "$OUT"; ls -l "$OUT"
cd /; rm -rf "$W"
