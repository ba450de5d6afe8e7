#!/usr/bin/env bash
# Re-records captures/sip-reinvite.pcap: one SIPp (sip-tester) call UAC 127.0.0.1:5070 -> UAS
# 127.0.0.1:5060 over UDP, plain RTP/AVP, where the UAC moves its media mid-call with a re-INVITE
# (sip/uac-reinvite.xml, sip/uas-reinvite.xml): first offer m=audio 16000, answer 18000; after 2 s of
# RTP a re-INVITE (same Call-ID and tags, CSeq 2) offers m=audio 16010, the answer keeps 18000; 2 s of
# RTP on 16010<->18000, then BYE (CSeq 3). Media: play_pcap_audio, one SSRC per side for the whole
# call (seq/timestamp continue across the move), pcaps from sip/gen_rtp_pcap.py.
# Runs in a private network namespace with only lo; only UDP is recorded.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../sip-reinvite.pcap"
command -v sipp >/dev/null && command -v tcpdump >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester tcpdump tshark; }
. "$HERE/netns.sh"; private_netns tpsipreinv
mkdir reinvite-rtp
G="$HERE/sip/gen_rtp_pcap.py"
python3 "$G" reinvite-rtp/uac-1.pcap 0x4A6E5A11 20000 3000000000 440 2
python3 "$G" reinvite-rtp/uac-2.pcap 0x4A6E5A11 20100 3000016000 440 2
python3 "$G" reinvite-rtp/uas-1.pcap 0x0D0C7051 7000 123456789 660 2
python3 "$G" reinvite-rtp/uas-2.pcap 0x0D0C7051 7100 123472789 660 2
ip netns exec $NS tcpdump -i lo -U -s 0 -w raw.pcap 'host 127.0.0.1 and udp' 2>/dev/null & CAP=$!; PIDS+=($CAP); sleep 2
ip netns exec $NS sipp -sf "$HERE/sip/uas-reinvite.xml" -t u1 -i 127.0.0.1 -p 5060 -mi 127.0.0.1 -mp 18000 \
  -m 1 -nostdin >/dev/null 2>&1 & UAS=$!
sleep 0.5
timeout 60 ip netns exec $NS sipp 127.0.0.1:5060 -sf "$HERE/sip/uac-reinvite.xml" \
  -t u1 -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 16000 -m 1 -nostdin >/dev/null 2>&1
wait $UAS || true; sleep 1.5; kill -INT $CAP; wait $CAP || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
