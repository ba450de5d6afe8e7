#!/usr/bin/env bash
# Re-records captures/sip-tls.pcap: SIP over TLS (sips:) 127.0.0.1:<ephemeral> -> 127.0.0.1:5061.
# SIPp 3.6.1 here is built without TLS, so both ends are Python's ssl module (OpenSSL), in record/sip_tls.py:
# a TLS server (self-signed RSA-2048 cert CN=clinic.example, SAN DNS:clinic.example) and a TLS client
# (server_hostname="clinic.example" -> SNI; verifies the cert). One TLS connection carries
# INVITE (SDP RTP/SAVP + a=crypto) / 100 / 200 (SDP) / ACK / ... / BYE / 200.
# Media between ACK and BYE: srtp_media.py (SRTP-shaped, not real encryption) 16000 <-> 18000, SRTCP 16001 <-> 18001.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../sip-tls.pcap"
command -v openssl >/dev/null && command -v dumpcap >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl tshark; }
W=$(mktemp -d); cd "$W"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3650 \
  -subj "/CN=clinic.example" -addext "subjectAltName=DNS:clinic.example" 2>/dev/null
dumpcap -q -i lo -s 0 -P -f 'host 127.0.0.1 and (tcp port 5061 or udp portrange 16000-16001 or udp portrange 18000-18001)' \
  -w raw.pcap 2>/dev/null & CAP=$!; sleep 2
timeout 30 python3 "$HERE/sip_tls.py" cert.pem key.pem "$HERE/srtp_media.py" 3
sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
