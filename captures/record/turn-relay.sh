#!/usr/bin/env bash
# Re-records captures/turn-relay.pcap (TURN over UDP) and captures/turn-tcp.pcap (TURN over TCP):
# coturn turnserver on 127.0.0.1:3478 (long-term credentials, realm clinic.example, user jane),
# turnutils_peer echo peer on 127.0.0.1:3480, turnutils_uclient relaying 5 messages through it.
# turn-relay.pcap: run 1 uses ChannelBind + ChannelData (default), run 2 uses Send/Data indications (-s).
# turn-tcp.pcap: client->server over TCP (-t), relay still UDP, ChannelData framed over TCP.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
command -v turnserver >/dev/null && command -v dumpcap >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn tshark; }
W=$(mktemp -d); cd "$W"
turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port=3478 \
  --min-port=49160 --max-port=49200 --realm=clinic.example --lt-cred-mech --user=jane:s3cret-Pass \
  --fingerprint --no-tls --no-dtls --no-cli --allow-loopback-peers --no-multicast-peers \
  --pidfile="$W/turn.pid" --log-file=stdout >turn.log 2>&1 & T=$!
turnutils_peer -L 127.0.0.1 -p 3480 >peer.log 2>&1 & P=$!
sleep 2
rec() { # out-file, uclient flags...
  local out=$1; shift
  dumpcap -q -i lo -s 0 -P -f 'host 127.0.0.1 and (port 3478 or port 3480)' -w cap.pcap 2>/dev/null & local CAP=$!; sleep 2
  for flags in "$@"; do
    timeout 20 turnutils_uclient $flags -u jane -w s3cret-Pass -e 127.0.0.1 -r 3480 -n 5 -m 1 -l 120 -z 100 -c 127.0.0.1 >>uclient.log 2>&1 || true
    sleep 1
  done
  kill -INT $CAP; wait $CAP || true
  cp cap.pcap "$HERE/../$out"; chmod 644 "$HERE/../$out"; ls -l "$HERE/../$out"
}
rec turn-relay.pcap "" "-s"
rec turn-tcp.pcap "-t"
kill $P $T; wait $P $T 2>/dev/null || true
cd /; rm -rf "$W"
