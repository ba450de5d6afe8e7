#!/usr/bin/env bash
# Re-records captures/turn-tcp-relay.pcap: TURN TCP allocations (RFC 6062). coturn turnserver on
# 127.0.0.1:3478 (long-term credentials, realm clinic.example, user jane) and
# `turnutils_uclient -T` (TCP relay transport; implies client->server TCP and client-to-client mode):
# two clients each Allocate with REQUESTED-TRANSPORT TCP; one sends Connect to the other's relayed
# address, the server opens a TCP connection relay->relay and sends ConnectionAttempt to the other
# client; each client opens a new TCP data connection to the server and sends ConnectionBind with the
# CONNECTION-ID; then 5 x 120-byte messages each way flow over those data connections and the
# relay<->relay TCP connection. Runs in a private network namespace with only lo.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../turn-tcp-relay.pcap"
command -v turnserver >/dev/null && command -v tcpdump >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn tcpdump tshark; }
. "$HERE/netns.sh"; private_netns tpturntcp
ip netns exec $NS turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port=3478 \
  --min-port=49160 --max-port=49200 --realm=clinic.example --lt-cred-mech --user=jane:s3cret-Pass \
  --fingerprint --no-tls --no-dtls --no-cli --allow-loopback-peers --no-multicast-peers \
  --pidfile="$W/turn.pid" --log-file=stdout >turn.log 2>&1 & T=$!; PIDS+=($T)
sleep 2
ip netns exec $NS tcpdump -i lo -U -s 0 -w cap.pcap 'host 127.0.0.1 and tcp' 2>/dev/null & CAP=$!; PIDS+=($CAP); sleep 2
timeout 30 ip netns exec $NS turnutils_uclient -T -u jane -w s3cret-Pass -n 5 -m 1 -l 120 -z 100 127.0.0.1 >uclient.log 2>&1 || true
sleep 1; kill -INT $CAP; wait $CAP || true
kill $T; wait $T 2>/dev/null || true
cp cap.pcap "$OUT"; chmod 644 "$OUT"; ls -l "$OUT"
tail -5 uclient.log
cd /; rm -rf "$W"
