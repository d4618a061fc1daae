#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each one for
# FUZZ_SECONDS seconds (default 60), one after another, under
# AddressSanitizer (cargo-fuzz's default), with debug assertions and
# overflow checks on. Installs the nightly toolchain and cargo-fuzz when they
# are missing; fails loudly, never skips.
#
#   FUZZ_SECONDS=900 .ci/fuzz.sh                 # a long run
#   FUZZ_TARGETS="allocator_ops differential" .ci/fuzz.sh
#
# Each target's corpus grows in fuzz/corpus/<target> (git-ignored) and starts
# from the inputs kept in fuzz/regressions/<target>. A failing input is
# written to fuzz/artifacts/<target>/; minimize it and keep it:
#
#   cargo +nightly fuzz tmin <target> fuzz/artifacts/<target>/crash-...
#   cp <minimized> fuzz/regressions/<target>/<name>
#   FUZZ_REGRESSIONS_WRITE_DEBUG=1 cargo test --test fuzz_regressions
#
# The last line records the input's decoding (<name>.txt, the readable
# reproduction) beside it; plain `cargo test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${FUZZ_SECONDS:-60}
case "$SECS" in '' | *[!0-9]*) echo "FUZZ_SECONDS must be a number of seconds, got '$SECS'" >&2; exit 2 ;; esac

. .ci/lib.sh
start=$SECONDS

step "nightly toolchain and cargo-fuzz"
nightly
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
[ -n "$targets" ] || { echo "no fuzz targets found in fuzz/" >&2; exit 1; }

step "cargo +nightly fuzz build (every target)"
cargo +nightly fuzz build

summary=()
for t in $targets; do
    step "fuzz $t for ${SECS}s"
    mkdir -p "fuzz/corpus/$t"
    seeds=$(mktemp -d)
    if [ -d "fuzz/regressions/$t" ]; then
        find "fuzz/regressions/$t" -type f ! -name '*.txt' ! -name '*.md' -exec cp {} "$seeds/" \;
    fi
    log=$(mktemp)
    # -timeout: one input running 30 s is a hang (a deadlock in threaded_ops).
    set +e
    cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "$seeds" -- \
        -max_total_time="$SECS" -timeout=30 -print_final_stats=1 2>&1 | tee "$log" |
        grep -E --line-buffered 'DONE|pulse|ERROR|panicked|SUMMARY|Test unit written|deadly signal'
    status=${PIPESTATUS[0]}
    set -e
    rm -rf "$seeds"
    if [ "$status" -ne 0 ] || ! grep -q 'Done [0-9]* runs' "$log"; then
        echo "---- last lines of the $t run ----" >&2
        tail -n 60 "$log" >&2
        echo "FUZZ FAILURE in $t (exit $status): see fuzz/artifacts/$t/; minimize it into fuzz/regressions/$t/ (header of this script)" >&2
        exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    summary+=("$(printf '%-14s %6ss  execs %-10s cov %-6s ft %-7s corpus %-6s findings 0' "$t" "$SECS" "$execs" "$cov" "$ft" "$corp")")
    rm -f "$log"
done

step "fuzz summary"
printf '%s\n' "${summary[@]}"
printf '\nfuzz.sh finished in %ss\n' "$((SECONDS - start))"
