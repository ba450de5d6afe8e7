#!/usr/bin/env bash
# Re-records captures/tls-versions.pcapng: openssl s_server/s_client on 127.0.0.1,
# one connection each for TLS 1.0 (4410), 1.1 (4411), 1.2 (4412), 1.3 (4413),
# and one TLS 1.2 connection forced to the weak RSA-kx cipher AES128-SHA (4414).
set -euo pipefail
command -v openssl >/dev/null && command -v dumpcap >/dev/null || \
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl tshark; }
OUT="$(cd "$(dirname "$0")/.." && pwd)/tls-versions.pcapng"
W=$(mktemp -d); cd "$W"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3650 \
  -subj "/CN=clinic.example" -addext "subjectAltName=DNS:clinic.example" 2>/dev/null
dumpcap -q -i lo -s 0 -f 'host 127.0.0.1 and tcp portrange 4410-4414' -w raw.pcapng &
CAP=$!; sleep 2
one() { # port server-opts client-opts
  local port=$1 sopts=$2 copts=$3
  openssl s_server -accept 127.0.0.1:$port -cert cert.pem -key key.pem -www -naccept 1 $sopts >/dev/null 2>&1 &
  local S=$!; sleep 0.7
  printf 'GET / HTTP/1.0\r\nHost: clinic.example\r\n\r\n' | \
    timeout 5 openssl s_client -connect 127.0.0.1:$port -servername clinic.example -ign_eof $copts >/dev/null 2>&1 || true
  sleep 0.3; kill $S 2>/dev/null || true; wait $S 2>/dev/null || true
}
L0='-cipher DEFAULT:@SECLEVEL=0'
one 4410 "-alpn h2 $L0" "-tls1   -alpn h2 $L0"
one 4411 "-alpn h2 $L0" "-tls1_1 -alpn h2 $L0"
one 4412 "-alpn h2"     "-tls1_2 -alpn h2"
one 4413 "-alpn h2"     "-tls1_3 -alpn h2"
one 4414 "-cipher AES128-SHA:@SECLEVEL=0" "-tls1_2 -cipher AES128-SHA:@SECLEVEL=0"
sleep 1; kill -INT $CAP; wait $CAP || true
cp raw.pcapng "$OUT"; cd /; rm -rf "$W"
ls -l "$OUT"
