#!/usr/bin/env bash
# Print the tshark facts README.md quotes for every capture (tshark is the independent oracle).
# Usage: record/oracle.sh [capture ...]   (default: all captures in captures/)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; cd "$HERE/.."
T="tshark -o rtp.heuristic_rtp:TRUE --disable-protocol wg"   # coturn's test payload trips the WireGuard heuristic
files=("$@"); [ ${#files[@]} -eq 0 ] && files=(*.pcap *.pcapng)
for f in "${files[@]}"; do
  echo "================ $f"
  python3 "$HERE/flows.py" "$f" -o rtp.heuristic_rtp:TRUE --disable-protocol wg
  $T -r "$f" -Y 'tls.handshake.type==1 || tls.handshake.type==2' -T fields -E separator='|' -e frame.number -e tcp.srcport -e udp.srcport \
     -e tls.handshake.type -e tls.handshake.version -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite \
     -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str 2>/dev/null | sed 's/^/tls|/'
  $T -r "$f" -Y 'dtls.handshake.type==1 || dtls.handshake.type==2' -T fields -E separator='|' -e frame.number -e udp.srcport \
     -e dtls.handshake.type -e dtls.handshake.version -e dtls.handshake.ciphersuite -e dtls.use_srtp.protection_profile 2>/dev/null | sed 's/^/dtls|/'
  $T -r "$f" -Y stun -T fields -E separator='|' -e frame.number -e udp.srcport -e tcp.srcport -e stun.type -e stun.channel \
     -e stun.att.error.class -e stun.att.error -e stun.att.realm -e stun.att.username -e stun.att.software -e stun.att.ipv4 \
     -e stun.att.port -e stun.att.channelnum -e stun.att.lifetime 2>/dev/null | sed 's/^/stun|/'
  $T -r "$f" -Y sip -T fields -E separator='|' -e frame.number -e sip.Method -e sip.Status-Code -e sip.CSeq -e sip.Call-ID \
     -e sip.from.display.info -e sip.from.user -e sip.to.display.info -e sip.to.user -e sip.User-Agent -e sip.Server 2>/dev/null | sed 's/^/sip|/'
  $T -r "$f" -Y sdp -T fields -E separator='|' -e frame.number -e sdp.connection_info -e sdp.media -e sdp.media_attr 2>/dev/null | sed 's/^/sdp|/'
  $T -r "$f" -q -z rtp,streams 2>/dev/null | grep -E '0x[0-9A-F]{8}' | sed 's/^/rtp-stream|/'
  $T -r "$f" -Y 'frame.protocols contains "rtcp"' -T fields -E separator='|' -e frame.number -e udp.srcport -e _ws.col.Protocol \
     -e rtcp.pt -e rtcp.senderssrc -e rtcp.sdes.type -e rtcp.sdes.text 2>/dev/null | sed 's/^/rtcp|/'
  $T -r "$f" -Y dns -T fields -E separator='|' -e frame.number -e dns.flags.response -e dns.qry.name -e dns.qry.type \
     -e dns.flags.rcode -e dns.a -e dns.aaaa -e dns.cname -e dns.srv.target -e dns.srv.port 2>/dev/null | sed 's/^/dns|/'
  $T -r "$f" -Y quic -T fields -E separator='|' -e frame.number -e udp.srcport -e quic.version -e quic.long.packet_type \
     -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str -e tls.handshake.ciphersuite 2>/dev/null | sed 's/^/quic|/'
done
