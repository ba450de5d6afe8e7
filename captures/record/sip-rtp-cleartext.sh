#!/usr/bin/env bash
# Re-records captures/sip-rtp-cleartext.pcap: a SIPp (sip-tester) UAC on 127.0.0.1:5070 calls a SIPp UAS
# on 127.0.0.1:5060 over UDP with SDP RTP/AVP. UAC media 127.0.0.1:16000 plays sipp's bundled
# g711a.pcap (PCMA, PT 8); UAS media 127.0.0.1:18000 streams a generated PCMU tone (rtp_stream, PT 0).
# rtcp_sdes.py adds RTCP SR+SDES(+BYE) between 16001 and 18001.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../sip-rtp-cleartext.pcap"
command -v sipp >/dev/null && command -v dumpcap >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tshark; }
W=$(mktemp -d); cd "$W"
python3 "$HERE/sip/gen_tone.py" tone-pcmu.raw
dumpcap -q -i lo -s 0 -P -f 'host 127.0.0.1 and udp' -w raw.pcap 2>/dev/null & CAP=$!; sleep 2
sipp -sf "$HERE/sip/uas-avp.xml" -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp 18000 -m 1 -nostdin >/dev/null 2>&1 & UAS=$!
sleep 0.5
( sleep 0.3; python3 "$HERE/rtcp_sdes.py" 16001 0xDEE0EE8F "Jane Patient" jane.patient@clinic.example \
    18001 0xCA110000 "Dr Alex Smith" dr.smith@clinic.example 6.5 2 ) & R=$!
timeout 30 sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-avp.xml" -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 16000 \
  -m 1 -nostdin >/dev/null 2>&1
wait $R; wait $UAS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
# 0xDEE0EE8F is the SSRC inside sipp's g711a.pcap; 0xCA110000 is the SSRC sipp 3.6.1 rtp_stream used for call 1.
