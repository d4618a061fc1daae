#!/usr/bin/env bash
# Smoke test of the performance tooling (issue 5): every bench compiles, and
# the side-by-side comparison runs end to end in its quick mode and writes its
# report. No assertion on speed: CI machines are shared and noisy, and the
# comparison prints its own validity check (floor scaling) with the numbers.
#
#   bash .ci/bench-smoke.sh
#
# Uses the default target directory unless CARGO_TARGET_DIR is set; the
# report lands in chunkpool-report/ in that target directory (compare's
# default without --out), which the checks below rely on.
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
start=$SECONDS

# Everything here is the chunkpool-bench crate (benches/), which
# `cargo test --workspace` does not build.
# The library is `test = false` (so `cargo test --workspace` skips this
# crate); naming it runs its unit tests anyway.
step "cargo test -p chunkpool-bench --lib (S5 operators vs the copiers they replaced, report format)"
cargo test -p chunkpool-bench --lib

step "cargo bench -p chunkpool-bench --no-run (criterion benches, incl. the mimalloc binary)"
cargo bench -p chunkpool-bench --no-run

step "build the bench binaries (compare, executor)"
cargo build --release -p chunkpool-bench --bins

# Every scenario, S8 (the Arrow hand-off, the crate's default `arrow`
# feature) and S9 (engine batches under glibc and mimalloc: jemalloc is the
# opt-in feature `jemalloc`, whose C build would cost CI 1–2 minutes),
# S10 and S11 included; S8–S11 exit non-zero on a wrong checksum.
step "cargo run --release -p chunkpool-bench --bin compare -- --quick"
t0=$SECONDS
cargo run --release -p chunkpool-bench --bin compare -- --quick
echo "compare --quick took $((SECONDS - t0))s"

report="${CARGO_TARGET_DIR:-target}/chunkpool-report"
for f in report.md report.json throughput.svg engine_batches.svg; do
    if [ ! -s "$report/$f" ]; then
        echo "missing or empty: $report/$f" >&2
        exit 1
    fi
done
if ! grep -q '"rows_per_batch"' "$report/report.json"; then
    echo "S8 (arrow_handoff) missing from $report/report.json" >&2
    exit 1
fi
if ! grep -q '"engine_batches": {' "$report/report.json"; then
    echo "S9 (engine_batches) missing from $report/report.json" >&2
    exit 1
fi
# S10 (exchange, 1x1) and S11 (2 MiB and 32 MiB columns), glibc and
# mimalloc, in their quick form; both exit non-zero on a wrong sum.
if ! grep -q '"exchange": {' "$report/report.json" || ! grep -q '^## S10: exchange' "$report/report.md"; then
    echo "S10 (exchange) missing from $report/report.{json,md}" >&2
    exit 1
fi
if ! grep -q '"large_columns": {' "$report/report.json" || ! grep -q '^## S11: large columns' "$report/report.md"; then
    echo "S11 (large_columns) missing from $report/report.{json,md}" >&2
    exit 1
fi
# DF (the DataFusion benchmark, a binary CI does not build in release):
# its section is there, saying "not run" and how to build it.
if ! grep -q '"datafusion": {' "$report/report.json" || ! grep -q '^## DF: DataFusion' "$report/report.md"; then
    echo "DF (datafusion) missing from $report/report.{json,md}" >&2
    exit 1
fi
echo "report written: $report/{report.md,report.json,throughput.svg,engine_batches.svg}"

step "executor (S5 pipeline, small)"
cargo run --release -p chunkpool-bench --bin executor -- --rows 8192 --statements 4

printf '\nbench smoke finished in %ss\n' "$((SECONDS - start))"
