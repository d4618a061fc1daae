#!/usr/bin/env bash
# Instructions per cycle for every contender, single thread, under
# `valgrind --tool=cachegrind --cache-sim=no`: repeatable on a noisy machine
# where wall time is not (PERF.md). Each contender runs N and 2N cycles after
# the same warm-up; the difference divided by N is the cost of one cycle,
# free of start-up and warm-up.
#
#   bash benches/cachegrind.sh [N] [--mixed]      # default N = 20000, S1 shape
#
# Builds examples/compare with the bench profile (optimised, with debug info)
# into ${CARGO_TARGET_DIR:-target}. Per-line attribution for one contender:
#   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=cg.out \
#       target/release/examples/compare --cachegrind chunkpool 40000
#   cg_annotate --auto=yes cg.out
# `--threads N` runs N threads of CYCLES each (valgrind serialises them: it
# counts the instructions of the multi-thread paths, not their timing).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
mixed=${2:-}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
cargo build --quiet --profile bench --example compare
bin="${CARGO_TARGET_DIR:-target}/release/examples/compare"
refs() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$bin" --cachegrind "$1" "$2" $mixed 2>&1 |
        awk '/I *refs:/ { gsub(",", "", $NF); print $NF }'
}
printf '%-22s %12s\n' contender "instr/cycle"
for c in chunkpool tidb-mutex mutex-whole segqueue-whole lockfree-object-pool object-pool malloc floor; do
    a=$(refs "$c" "$n")
    b=$(refs "$c" $((2 * n)))
    awk -v c="$c" -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%-22s %12.0f\n", c, (b - a) / n }'
done
