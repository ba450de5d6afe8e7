#!/usr/bin/env bash
# Re-records captures/siprec.pcap: a SIPp UAC (Jane Patient, 127.0.0.1:5070)
# calls a SIPp UAS (127.0.0.1:5060) with plain RTP, and half a second later a
# SIPp Session Recording Client (127.0.0.1:5080, media 127.0.0.1:26000) opens
# a SIPREC recording session to a SIPp recording server on 127.0.0.2:5090
# (media 127.0.0.2:28000) with metadata naming the call's participants, and
# streams a copy of the caller's voice to it. 127.0.0.2 stands for a
# recorder outside the clinic's networks.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../siprec.pcap"
command -v sipp >/dev/null && command -v dumpcap >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tshark; }
W=$(mktemp -d); cd "$W"
python3 "$HERE/sip/gen_tone.py" tone-pcmu.raw
dumpcap -q -i lo -s 0 -P -f 'udp' -w raw.pcap 2>/dev/null & CAP=$!; sleep 2
sipp -sf "$HERE/sip/uas-avp.xml" -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp 18000 -m 1 -nostdin >/dev/null 2>&1 & UAS=$!
sipp -sf "$HERE/sip/uas-srs.xml" -i 127.0.0.2 -p 5090 -mi 127.0.0.2 -mp 28000 -m 1 -nostdin >/dev/null 2>&1 & SRS=$!
sleep 0.5
timeout 30 sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-avp.xml" -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 16000 \
  -m 1 -nostdin >/dev/null 2>&1 & UAC=$!
sleep 0.5
timeout 30 sipp 127.0.0.2:5090 -sf "$HERE/sip/uac-siprec.xml" -i 127.0.0.1 -p 5080 -mi 127.0.0.1 -mp 26000 \
  -m 1 -nostdin >/dev/null 2>&1
wait $UAC || true; wait $UAS || true; wait $SRS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
