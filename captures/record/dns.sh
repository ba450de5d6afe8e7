#!/usr/bin/env bash
# Re-records captures/dns.pcap: dig queries (UDP and TCP) to a dnsmasq authoritative-style
# local resolver on 127.0.0.1:53 and [::1]:53 (no upstream: --no-resolv, --local for the test zones).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; OUT="$HERE/../dns.pcap"
command -v dnsmasq >/dev/null && command -v dig >/dev/null && command -v dumpcap >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base bind9-dnsutils tshark; }
W=$(mktemp -d); cd "$W"
dnsmasq --keep-in-foreground --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
  --listen-address=127.0.0.1,::1 --bind-interfaces --port=53 --user=root --pid-file="$W/dnsmasq.pid" \
  --local=/clinic.example/ --local=/zoom.us/ --local=/doxy.me/ \
  --address=/doxy.me/10.1.2.3 \
  --host-record=zoom.us,170.114.52.2,2407:30c0:182::aa72:3402 \
  --host-record=media.clinic.example,10.20.30.40 \
  --cname=video.clinic.example,edge.clinic.example --cname=edge.clinic.example,media.clinic.example \
  --host-record=sip.clinic.example,10.20.30.41 \
  --srv-host=_sips._tcp.clinic.example,sip.clinic.example,5061,10,20 \
  >dnsmasq.log 2>&1 & D=$!; sleep 1
dumpcap -q -i lo -s 0 -P -f '(host 127.0.0.1 or host ::1) and port 53' -w raw.pcap 2>/dev/null & CAP=$!; sleep 2
q() { dig @${SRV:-127.0.0.1} -p 53 +tries=1 +time=2 "$@" >/dev/null || true; sleep 0.2; }
q doxy.me A
q zoom.us A
q zoom.us AAAA
q video.clinic.example A
q nosuch.clinic.example A
q _sips._tcp.clinic.example SRV
q +tcp zoom.us A
q +tcp video.clinic.example A
SRV=::1 q zoom.us AAAA
SRV=::1 q +tcp doxy.me A
sleep 1; kill -INT $CAP; wait $CAP || true; kill $D; wait $D || true
cp raw.pcap "$OUT"; chmod 644 "$OUT"; cd /; rm -rf "$W"; ls -l "$OUT"
