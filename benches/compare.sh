#!/usr/bin/env bash
# Side-by-side throughput: teleprobe against ndpiReader (single thread) and
# tshark (conversation table) on one large capture built by repeating real
# captures with shifted addresses. Prints packets per second, the ratios and
# peak memory. Usage: benches/compare.sh [TARGET_MB] (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."
target_mb=${1:-300}
corpus=../shared/captures/ndpi
data=benches/data
mkdir -p "$data"
command -v ndpiReader >/dev/null && command -v tshark >/dev/null || {
    echo "needs ndpiReader and tshark: apt-get install -y libndpi-bin tshark" >&2
    exit 2
}
# The tables feature (polars) does not touch the packet path: leave it out
# of the benchmark build, which then takes minutes less.
cargo build --release --quiet --no-default-features --bin teleprobe --example grow_capture
big="$data/large-${target_mb}mb.pcap"
[ -f "$big" ] || target/release/examples/grow_capture "$big" "$target_mb" "$corpus"/*.pcap "$corpus"/*.pcapng captures/*.pcap captures/*.pcapng
half="$data/large-$((target_mb / 2))mb.pcap"
[ -f "$half" ] || target/release/examples/grow_capture "$half" $((target_mb / 2)) "$corpus"/*.pcap "$corpus"/*.pcapng captures/*.pcap captures/*.pcapng
packets=$(capinfos -M -c "$big" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}')

# Warm the page cache so every tool reads from memory.
cat "$big" "$half" >/dev/null

run() { # name, command...: prints seconds and peak RSS (KiB)
    local name=$1; shift
    /usr/bin/time -f "%e %M" -o "$data/time.$name" "$@" >/dev/null 2>&1 || true
    read -r secs rss < "$data/time.$name"
    echo "$name $secs $rss"
}
echo "capture: $big, $packets packets, $(du -m "$big" | cut -f1) MB"
{
    run teleprobe target/release/teleprobe analyze --quiet -o /dev/null "$big"
    run ndpiReader ndpiReader -q -n 1 -i "$big"
    run tshark tshark -n -r "$big" -q -z conv,udp
    run teleprobe-half target/release/teleprobe analyze --quiet -o /dev/null "$half"
} | awk -v packets="$packets" '
    { secs[$1] = $2; rss[$1] = $3; order[NR] = $1 }
    END {
        printf "%-16s %10s %14s %12s\n", "tool", "seconds", "packets/s", "peak RSS MB"
        for (i = 1; i <= 3; i++) {
            t = order[i]
            printf "%-16s %10.2f %14.0f %12.1f\n", t, secs[t], packets / secs[t], rss[t] / 1024
        }
        printf "\nteleprobe is %.1fx ndpiReader and %.1fx tshark (packets per second)\n",
            secs["ndpiReader"] / secs["teleprobe"], secs["tshark"] / secs["teleprobe"]
        printf "peak RSS: %.1f MB on the full capture, %.1f MB on half of it\n",
            rss["teleprobe"] / 1024, rss["teleprobe-half"] / 1024
    }'
