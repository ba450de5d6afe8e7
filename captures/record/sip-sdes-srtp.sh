#!/usr/bin/env bash
# Re-records captures/sip-sdes-srtp.pcap: SIPp (sip-tester) UAC 127.0.0.1:5070 -> SIPp UAS 127.0.0.1:5060
# over UDP; SDP offers/answers RTP/SAVP with SDES a=crypto lines (fake, well-formed keys).
# Media: srtp_media.py sends SRTP-shaped packets (real RTP header, random payload + 10-byte tag)
# 127.0.0.1:16000 <-> 127.0.0.1:18000 and SRTCP-shaped packets 16001 <-> 18001. Not real encryption.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../sip-sdes-srtp.pcap"
command -v sipp >/dev/null && command -v dumpcap >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tshark; }
W=$(mktemp -d); cd "$W"
dumpcap -q -i lo -s 0 -P -f 'host 127.0.0.1 and udp' -w raw.pcap 2>/dev/null & CAP=$!; sleep 2
sipp -sf "$HERE/sip/uas-savp.xml" -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp 28000 -m 1 -nostdin >/dev/null 2>&1 & UAS=$!
sleep 0.5
( sleep 0.3; python3 "$HERE/srtp_media.py" 16000 0x1A2B3C4D 0 18000 0x5E6F7A8B 0 3 ) & R=$!
timeout 30 sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-savp.xml" -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 26000 \
  -m 1 -nostdin >/dev/null 2>&1
wait $R; wait $UAS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
