#!/usr/bin/env bash
# A fuzzing campaign: every target in fuzz_targets/ (or those named) for
# SECONDS each, seeded from the minimised corpus under corpus/ and from
# payloads split out of the shipped captures (and the shared nDPI captures
# when they are beside the checkout) by examples/fuzz_seeds.rs. Prints the
# executions and coverage per target; exits 1 when any target found a
# crash, a timeout or an out-of-memory (the input is in artifacts/TARGET/),
# 2 when it could not run.
#
# Usage: fuzz/run.sh SECONDS [TARGET...]
#        fuzz/run.sh --minimise   rebuilds corpus/ from the shipped captures
#
# FUZZ_SANITIZER=none runs without AddressSanitizer: the parsers have no
# unsafe code for it to watch, and the whole-engine targets run about six
# times faster without it (panics, overflow checks and libFuzzer's own
# timeout and memory limits still stop a run). The default is address.
# FUZZ_TRACE_COMPARES=no builds without comparison tracing: about twice the
# executions of engine_calls once a grown corpus has found the values its
# comparisons guard (libFuzzer learns fewer new ones without it).
set -euo pipefail
cd "$(dirname "$0")"
usage() { echo "usage: fuzz/run.sh SECONDS [TARGET...] | --minimise" >&2; exit 2; }
[ $# -ge 1 ] || usage

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo-fuzz needs a nightly compiler for its sanitizer flags.
toolchain=(+nightly)
sanitizer=${FUZZ_SANITIZER:-address}
build_flags=(--sanitizer "$sanitizer")
[ "${FUZZ_TRACE_COMPARES:-yes}" = no ] && build_flags+=(--no-trace-compares)
if ! cargo +nightly --version >/dev/null 2>&1; then
    toolchain=()
    export RUSTC_BOOTSTRAP=1
fi
all_targets=()
for f in fuzz_targets/*.rs; do all_targets+=("$(basename "$f" .rs)"); done

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
(cd .. && cargo build --quiet --no-default-features --example fuzz_seeds)
split() { ../target/debug/examples/fuzz_seeds "$seeds" "$@" >/dev/null; }

if [ "$1" = --minimise ]; then
    # Only the project's own captures go into the committed corpus.
    split ../captures/*.pcap ../captures/*.pcapng
    for t in "${all_targets[@]}"; do
        [ -d "$seeds/$t" ] || continue
        rm -rf "corpus/$t" && mkdir -p "corpus/$t"
        cp "$seeds/$t"/* "corpus/$t/"
        cargo "${toolchain[@]}" fuzz cmin "$t" "corpus/$t" >/dev/null 2>&1
        echo "$t: $(ls "corpus/$t" | wc -l) inputs from $(ls "$seeds/$t" | wc -l) seeds"
    done
    exit 0
fi

seconds=$1
shift
[[ "$seconds" =~ ^[0-9]+$ ]] || usage
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
shared=../../shared/captures/ndpi
split ../captures/*.pcap ../captures/*.pcapng $(ls "$shared"/*.pcap "$shared"/*.pcapng 2>/dev/null || true)

for t in "${targets[@]}"; do
    cargo "${toolchain[@]}" fuzz build "${build_flags[@]}" "$t"
done
failed=()
printf "%-8s %12s %8s %8s %s\n" target executions cov ft result
for t in "${targets[@]}"; do
    work="target/campaign/$t"
    mkdir -p "$work" "corpus/$t" "$seeds/$t" "artifacts/$t"
    log="target/campaign/$t.log"
    result=ok
    cargo "${toolchain[@]}" fuzz run "${build_flags[@]}" "$t" "$work" "corpus/$t" "$seeds/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || result=FAILED
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    printf "%-8s %12s %8s %8s %s\n" "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
    if [ "$result" != ok ]; then
        failed+=("$t")
        grep -E "ERROR|panicked|Test unit written" "$log" | head -5 >&2
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashes in: ${failed[*]} (logs in fuzz/target/campaign/, inputs in fuzz/artifacts/)" >&2
    exit 1
fi
