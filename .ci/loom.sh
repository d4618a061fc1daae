#!/usr/bin/env bash
# loom model checking of chunkpool's concurrent protocols (issue 3).
#
#  1. every model in loom-tests/tests/*.rs (one file per subject; shared
#     helpers in loom-tests/tests/common/) at LOOM_MAX_PREEMPTIONS=2;
#  2. the central model (TiDB issue 46282, session slot, tests/session.rs)
#     at LOOM_MAX_PREEMPTIONS=3;
#  3. the mutant check: rebuilt with `--cfg chunkpool_loom_mutant` (a
#     check-then-add bound reservation planted in src/alloc/lockfree/credits.rs), the
#     bound model (tests/alloc_return.rs) MUST fail with "BOUND VIOLATED";
#     this script fails if it passes, so a model that silently checks
#     nothing is caught.
#
# Each loom build has its own target dir (target/loom, target/loom-mutant),
# so it does not thrash the normal build. Prints, per model, the number of
# interleavings loom explored and the time it took. Runs on stable Rust from
# a clean clone; about 4 minutes on 2 cores, builds included.
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
start=$SECONDS

loom_cfg="--cfg chunkpool_loom --cfg crossbeam_loom"
# Debug assertions on: the credit types and the hot path's debug_assert!s
# check the invariants in every interleaving loom explores.
export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true
target=${LOOM_TARGET_DIR:-target/loom}
mutant_target=${LOOM_MUTANT_TARGET_DIR:-target/loom-mutant}
logs=${LOOM_LOG_DIR:-target/loom-logs}
mkdir -p "$logs"
# Exhaustive runs only: a duration or permutation cap would make a model
# pass without exploring everything.
unset LOOM_MAX_DURATION LOOM_MAX_PERMUTATIONS LOOM_CHECKPOINT_FILE

# models LIMIT_S TARGET_DIR PREEMPTIONS EXTRA_RUSTFLAGS TESTS [libtest args...]
# TESTS: `--tests` (every model file) or `--test=FILE` (one, by its stem).
models() {
    local limit=$1 dir=$2 preemptions=$3 extra=$4 tests=$5
    shift 5
    timeout "$limit" env RUSTFLAGS="$loom_cfg $extra" CARGO_TARGET_DIR="$dir" \
        LOOM_MAX_PREEMPTIONS="$preemptions" \
        cargo test -p loom-tests --release "$tests" -- --nocapture --test-threads=1 "$@"
}

step "build loom models ($target)"
RUSTFLAGS="$loom_cfg" CARGO_TARGET_DIR="$target" cargo test -p loom-tests --release --no-run

step "all loom models, LOOM_MAX_PREEMPTIONS=2"
t=$SECONDS
models 900 "$target" 2 "" --tests 2>&1 | tee "$logs/models-p2.log"
echo "(all models at 2 preemptions: $((SECONDS - t))s)"

step "central model session_46282, LOOM_MAX_PREEMPTIONS=3"
t=$SECONDS
models 600 "$target" 3 "" --test=session --exact session_46282 2>&1 | tee "$logs/central-p3.log"
echo "(central model at 3 preemptions: $((SECONDS - t))s)"

step "build the mutant ($mutant_target, --cfg chunkpool_loom_mutant)"
RUSTFLAGS="$loom_cfg --cfg chunkpool_loom_mutant" CARGO_TARGET_DIR="$mutant_target" \
    cargo test -p loom-tests --release --no-run

step "mutant: alloc_return_limit_1 must FAIL"
t=$SECONDS
mutant_rc=0
models 600 "$mutant_target" 2 "--cfg chunkpool_loom_mutant" --test=alloc_return --exact alloc_return_limit_1 \
    >"$logs/mutant.log" 2>&1 || mutant_rc=$?
if [ "$mutant_rc" -eq 0 ]; then
    tail -n 20 "$logs/mutant.log"
    echo "FAIL: the mutant passed alloc_return_limit_1; the bound model checks nothing" >&2
    exit 1
fi
if [ "$mutant_rc" -eq 124 ]; then
    echo "FAIL: the mutant run timed out instead of failing" >&2
    exit 1
fi
if ! grep -q "BOUND VIOLATED" "$logs/mutant.log"; then
    tail -n 40 "$logs/mutant.log"
    echo "FAIL: the mutant run failed (rc $mutant_rc), but not on the bound assertion" >&2
    exit 1
fi
grep -m1 "BOUND VIOLATED" "$logs/mutant.log" | cut -c1-240
echo "ok: the mutant was caught (rc $mutant_rc, $((SECONDS - t))s; log: $logs/mutant.log)"

step "summary"
grep -ho "loom model .*" "$logs/models-p2.log" "$logs/central-p3.log" | sed "s/^/  /"
echo "  mutant (check-then-add reservation): alloc_return_limit_1 failed with BOUND VIOLATED, as required"
printf '\nloom step finished in %ss\n' "$((SECONDS - start))"
