#!/usr/bin/env bash
# Instructions per cycle for every contender, single thread, under
# `valgrind --tool=cachegrind --cache-sim=no`: repeatable on a noisy machine
# where wall time is not (benches/README.md). Each contender runs N and 2N cycles after
# the same warm-up; the difference divided by N is the cost of one cycle,
# free of start-up and warm-up.
#
#   bash benches/cachegrind.sh [N] [--mixed] [--threads T] [CONTENDER...]
#   bash benches/cachegrind.sh 200 [--make-only] s8-chunkpool s8-arrow-builders s8-malloc
#
# N defaults to 20000 cycles (per thread), the shape to S1's; the default
# contenders are all of them. With `--threads T`, T threads run N cycles
# each (valgrind serialises them: it counts the instructions of the
# multi-thread paths, not their timing) and the figure is per cycle of one
# thread. The `s8-` contenders are S8's (the Arrow hand-off: 1024-row
# batches made, run through the kernels, dropped; `--make-only` leaves out
# the kernels); they are not in the default list, and N of a few hundred
# is plenty.
#
# Builds the `compare` binary of the chunkpool-bench crate (benches/src/bin/)
# with the bench profile (optimised, with debug info; the profile is the root
# Cargo.toml's) into ${CARGO_TARGET_DIR:-target}. Per-line attribution for
# one contender:
#   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=cg.out \
#       target/release/compare --cachegrind chunkpool 40000
#   cg_annotate --auto=yes cg.out
set -euo pipefail
cd "$(dirname "$0")/.."
n=20000
flags=()
threads=1
contenders=()
while [ $# -gt 0 ]; do
    case "$1" in
        --mixed) flags+=(--mixed) ;;
        --make-only) flags+=(--make-only) ;;
        --threads) threads=$2; flags+=(--threads "$2"); shift ;;
        [0-9]*) n=$1 ;;
        *) contenders+=("$1") ;;
    esac
    shift
done
[ ${#contenders[@]} -gt 0 ] || contenders=(chunkpool tidb-mutex mutex-whole segqueue-whole \
    lockfree-object-pool object-pool malloc floor)
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
cargo build --quiet --profile bench -p chunkpool-bench --bin compare
bin="${CARGO_TARGET_DIR:-target}/release/compare"
refs() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$bin" --cachegrind "$1" "$2" "${flags[@]}" 2>&1 |
        awk '/I *refs:/ { gsub(",", "", $NF); print $NF }'
}
printf '%-22s %12s   (N=%s, threads=%s %s)\n' contender "instr/cycle" "$n" "$threads" "${flags[*]}"
for c in "${contenders[@]}"; do
    a=$(refs "$c" "$n")
    b=$(refs "$c" $((2 * n)))
    awk -v c="$c" -v a="$a" -v b="$b" -v n="$n" -v t="$threads" \
        'BEGIN { printf "%-22s %12.0f\n", c, (b - a) / n / t }'
done
