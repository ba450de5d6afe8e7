#!/usr/bin/env bash
# Highest packet rate `teleprobe live` sustains on loopback with zero drops.
# Injects real frames (the shipped calls, cycled) through a raw packet
# socket at increasing rates while teleprobe captures them, then reads
# libpcap's counters from the report. INJECTORS processes (default 1) share the rate and the packets.
# Then, when tcpreplay is installed, two `tcpreplay --topspeed` processes
# (captures preloaded in memory) send PACKETS between them as fast as they
# can: the "tcpreplay" row (the achieved rate is every packet analysed over
# the time both took).
# Needs root. Usage: benches/live_rate.sh [PACKETS] (default 300000).
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-300000}
injectors=${INJECTORS:-1}
# The tables feature (polars) is not on the capture path.
cargo build --release --quiet --no-default-features --bin teleprobe --example inject
out=$(mktemp -d)
filter="udp and (port 5060 or portrange 16000-18001 or port 3478 or portrange 42000-65000)"
printf "%10s %12s %10s %10s %10s\n" target_pps achieved_pps received dropped analysed
for rate in 250000 500000 1000000 1500000 0; do
    target/release/teleprobe live -i lo --quiet --buffer-mib 64 -o "$out/r.json" "$filter" 2>"$out/err" &
    pid=$!
    sleep 1
    senders=()
    for _ in $(seq "$injectors"); do
        target/release/examples/inject lo $((packets / injectors)) $((rate / injectors)) \
            captures/sip-rtp-cleartext.pcap captures/webrtc-aiortc.pcap >>"$out/injected" &
        senders+=($!)
    done
    wait "${senders[@]}"
    # Together: every packet sent, over the slowest injector's time.
    achieved=$(awk '{n += $1; if ($2 > s) s = $2} END {printf "%.0f", n / s}' "$out/injected")
    rm -f "$out/injected"
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    read -r received dropped analysed < <(python3 -c "import json; r=json.load(open('$out/r.json')); s=r['capture']['interface_stats']; print(s['received'], s['dropped'] + s['interface_dropped'], r['capture']['packets'])")
    printf "%10s %12s %10s %10s %10s\n" "${rate/#0/max}" "$achieved" "$received" "$dropped" "$analysed"
done
if command -v tcpreplay >/dev/null; then
    target/release/teleprobe live -i lo --quiet --buffer-mib 64 -o "$out/r.json" "$filter" 2>"$out/err" &
    pid=$!
    trap 'kill "$pid" 2>/dev/null; rm -rf "$out"' EXIT
    sleep 1
    start=$(python3 -c 'import time; print(time.time())')
    # Half the packets each, looping the preloaded capture (-K) until then.
    tcpreplay --topspeed -K --loop=0 --limit=$((packets / 2)) -i lo captures/webrtc-aiortc.pcap >/dev/null 2>&1 &
    first=$!
    tcpreplay --topspeed -K --loop=0 --limit=$((packets - packets / 2)) -i lo captures/sip-rtp-cleartext.pcap >/dev/null 2>&1 &
    second=$!
    wait "$first"
    wait "$second"
    end=$(python3 -c 'import time; print(time.time())')
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    trap - EXIT
    python3 -c "import json; r=json.load(open('$out/r.json')); s=r['capture']['interface_stats']; n=r['capture']['packets']; print('%10s %12.0f %10d %10d %10d' % ('tcpreplay', n / ($end - $start), s['received'], s['dropped'] + s['interface_dropped'], n))"
fi
rm -rf "$out"
