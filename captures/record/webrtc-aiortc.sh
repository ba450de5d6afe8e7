#!/usr/bin/env bash
# Re-records captures/webrtc-aiortc.pcap (direct host<->host on 127.0.0.1) and
# captures/webrtc-aiortc-turn.pcap (both peers relayed through coturn on 127.0.0.1:3478).
# Everything runs in a private network namespace "tpwebrtc" that has only its own loopback,
# so nothing can leave the machine.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
python3 -c 'import aiortc' 2>/dev/null || pip install -q aiortc
command -v turnserver >/dev/null && command -v tcpdump >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn tcpdump tshark; }
. "$HERE/netns.sh"; private_netns tpwebrtc
run() { # out-file, args
  local out=$1; shift
  ip netns exec $NS tcpdump -i lo -U -s 0 -w cap.pcap 'host 127.0.0.1 and udp' 2>/dev/null & local CAP=$!; PIDS+=($CAP); sleep 2
  ip netns exec $NS python3 "$HERE/webrtc_aiortc.py" "$@"
  sleep 1; kill -INT $CAP; wait $CAP || true
  cp cap.pcap "$HERE/../$out"; chmod 644 "$HERE/../$out"; ls -l "$HERE/../$out"
}
run webrtc-aiortc.pcap
ip netns exec $NS turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port=3478 \
  --min-port=49160 --max-port=49200 --realm=clinic.example --lt-cred-mech --user=jane:s3cret-Pass \
  --fingerprint --no-tls --no-dtls --no-cli --allow-loopback-peers --no-multicast-peers \
  --pidfile="$W/turn.pid" --log-file=stdout >turn.log 2>&1 & T=$!; PIDS+=($T)
sleep 2
run webrtc-aiortc-turn.pcap --turn
kill $T; wait $T 2>/dev/null || true
cd /; rm -rf "$W"
