#!/usr/bin/env bash
# Re-records captures/sip-tcp.pcap: SIPp (sip-tester) UAC 127.0.0.1:5070 -> SIPp UAS/registrar
# 127.0.0.1:5060 over TCP (-t t1): REGISTER, 401 Digest challenge, REGISTER with Authorization, 200,
# then INVITE(SDP)/100/200(SDP)/ACK/BYE/200 on the same TCP connection. No media.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../sip-tcp.pcap"
command -v sipp >/dev/null && command -v dumpcap >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tshark; }
W=$(mktemp -d); cd "$W"
dumpcap -q -i lo -s 0 -P -f 'host 127.0.0.1 and tcp port 5060' -w raw.pcap 2>/dev/null & CAP=$!; sleep 2
sipp -sf "$HERE/sip/uas-tcp-registrar.xml" -t t1 -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp 28000 -m 1 -nostdin >/dev/null 2>&1 & UAS=$!
sleep 0.5
timeout 30 sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-tcp-register.xml" -t t1 -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 26000 \
  -m 1 -nostdin >/dev/null 2>&1
wait $UAS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
