#!/usr/bin/env bash
# Re-records captures/quic.pcap: aioquic QUIC v1 client -> aioquic server, both on 127.0.0.1
# (client ephemeral port -> 127.0.0.1:4433), SNI clinic.example, ALPN hq-interop, one echoed stream.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../quic.pcap"
python3 -c 'import aioquic' 2>/dev/null || pip install -q aioquic
command -v dumpcap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark; }
W=$(mktemp -d); cd "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem \
  -days 3650 -subj "/CN=clinic.example" -addext "subjectAltName=DNS:clinic.example" 2>/dev/null
dumpcap -q -i lo -s 0 -P -f 'host 127.0.0.1 and udp port 4433' -w raw.pcap 2>/dev/null & CAP=$!; sleep 2
timeout 30 python3 "$HERE/quic_echo.py" cert.pem key.pem
sleep 1; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
