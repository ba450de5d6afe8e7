#!/usr/bin/env bash
# Side by side, as ratios: teleprobe against the libpcap read floor
# (tcpdump -r -w /dev/null), ndpiReader on one thread and tshark's UDP
# conversation table, on two corpora grown from the shared nDPI captures
# and captures/: many flows (each repetition a new set of addresses) and
# few flows (repetitions keep their addresses). Each round runs every tool
# once, in turn (A/B pairs on the same warm page cache); medians of the
# rounds are printed. Then teleprobe's peak memory (median of three runs)
# on the first sixth and on all of the many-flow corpus (and four times it
# with MEMORY_X4=1): flat memory means the two are close.
#
# Usage: benches/compare.sh [TARGET_MB (400)] [ROUNDS (7)]
# Needs: ndpiReader (libndpi-bin), tshark, tcpdump, capinfos; built with the
# `dist` profile (fat LTO), as packages are.
set -euo pipefail
cd "$(dirname "$0")/.."
target_mb=${1:-400}
rounds=${2:-7}
corpus=../shared/captures/ndpi
data=benches/data
mkdir -p "$data"
for tool in ndpiReader tshark tcpdump capinfos; do
    command -v "$tool" >/dev/null || {
        echo "needs $tool: apt-get install -y libndpi-bin tshark tcpdump" >&2
        exit 2
    }
done
# The tables feature (polars) does not touch the packet path.
cargo build --profile dist --quiet --no-default-features --bin teleprobe --example grow_capture
bin=target/dist/teleprobe
grow=target/dist/examples/grow_capture
inputs=("$corpus"/*.pcap "$corpus"/*.pcapng captures/*.pcap captures/*.pcapng)
many="$data/many-${target_mb}mb.pcap"
few="$data/few-${target_mb}mb.pcap"
sixth="$data/many-$((target_mb / 6))mb.pcap"
[ -f "$many" ] || "$grow" "$many" "$target_mb" "${inputs[@]}"
[ -f "$sixth" ] || "$grow" "$sixth" $((target_mb / 6)) "${inputs[@]}"
[ -f "$few" ] || GROW_SAME_ADDRESSES=1 "$grow" "$few" "$target_mb" "${inputs[@]}"

packets() { capinfos -M -c "$1" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}'; }

# One timed run: appends "seconds peak_kib" to $data/$name.times.
timed() {
    local name=$1; shift
    /usr/bin/time -f "%e %M" -o "$data/time.last" "$@" >/dev/null 2>&1 || true
    cat "$data/time.last" >> "$data/$name.times"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

compare() { # corpus label, capture
    local label=$1 cap=$2 n
    n=$(packets "$cap")
    rm -f "$data"/*.times
    cat "$cap" >/dev/null # warm the page cache
    for _ in $(seq "$rounds"); do
        timed floor tcpdump -r "$cap" -w /dev/null
        timed teleprobe "$bin" analyze --threads 1 --quiet -o /dev/null "$cap"
        timed teleprobe-2t "$bin" analyze --threads 2 --quiet -o /dev/null "$cap"
        timed ndpiReader ndpiReader -q -n 1 -i "$cap"
    done
    # tshark is an order of magnitude slower: three runs are enough.
    for _ in 1 2 3; do timed tshark tshark -n -r "$cap" -q -z conv,udp; done
    echo
    echo "== $label: $cap, $n packets, $(du -m "$cap" | cut -f1) MB, medians of $rounds rounds"
    printf "%-12s %9s %12s %10s\n" tool seconds packets/s "peak MB"
    for t in floor teleprobe teleprobe-2t ndpiReader tshark; do
        local s m
        s=$(cut -d' ' -f1 "$data/$t.times" | median)
        m=$(cut -d' ' -f2 "$data/$t.times" | median)
        echo "$t $s $m" >> "$data/$label.summary"
        printf "%-12s %9.2f %12.0f %10.1f\n" "$t" "$s" "$(echo "$n / $s" | bc -l)" "$(echo "$m / 1024" | bc -l)"
    done
    awk '{s[$1] = $2} END {
        printf "teleprobe, one thread: %.2fx ndpiReader, %.1fx tshark, %.2fx the libpcap read floor\n",
            s["ndpiReader"] / s["teleprobe"], s["tshark"] / s["teleprobe"], s["teleprobe"] / s["floor"]
        printf "teleprobe, two threads: %.2fx ndpiReader\n", s["ndpiReader"] / s["teleprobe-2t"]
    }' "$data/$label.summary"
    rm -f "$data/$label.summary"
}

compare "many flows" "$many"
compare "few flows" "$few"

# Peak RSS moves by a few MB from run to run: the median of three.
peak() {
    for _ in 1 2 3; do
        /usr/bin/time -f "%M" "$bin" analyze --threads 1 --quiet -o /dev/null "$1" 2>&1 >/dev/null | tail -1
    done | median
}
echo
echo "== teleprobe peak memory (many flows)"
a=$(peak "$sixth"); b=$(peak "$many")
printf "first sixth %.1f MB, all %.1f MB (%.2fx)\n" "$(echo "$a / 1024" | bc -l)" "$(echo "$b / 1024" | bc -l)" "$(echo "$b / $a" | bc -l)"
if [ -n "${MEMORY_X4:-}" ]; then
    x4="$data/many-$((target_mb * 4))mb.pcap"
    [ -f "$x4" ] || "$grow" "$x4" $((target_mb * 4)) "${inputs[@]}"
    c=$(peak "$x4")
    printf "four times %.1f MB (%.2fx the corpus)\n" "$(echo "$c / 1024" | bc -l)" "$(echo "$c / $b" | bc -l)"
fi
