#!/usr/bin/env bash
# ThreadSanitizer over the threaded tests, then AddressSanitizer (with
# LeakSanitizer) over the unit and integration tests. Both rebuild std with
# the sanitizer (-Zbuild-std: without it TSan reports false races inside an
# uninstrumented std), each in its own CARGO_TARGET_DIR. Installs the nightly
# toolchain and rust-src when missing; any report fails the run.
#
#   SANITIZERS="thread" .ci/sanitizers.sh      # only one of them
#   CHUNKPOOL_STRESS_SCALE=1 .ci/sanitizers.sh  # full-size stress tests
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
start=$SECONDS

step "nightly toolchain with rust-src"
nightly rust-src
host=$(rustup run nightly rustc -vV | sed -n 's/^host: //p')
case "$host" in
    x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu) ;;
    *) echo "sanitizers.sh: no TSan/ASan runtime for $host" >&2; exit 1 ;;
esac

# The stress tests read this; sanitizers slow everything 5-20x.
export CHUNKPOOL_STRESS_SCALE=${CHUNKPOOL_STRESS_SCALE:-0.25}
# `--cfg crossbeam_sanitize` makes crossbeam-epoch collect garbage far more
# often (small bags), so a use-after-free in reclamation shows up sooner.
common_flags="--cfg crossbeam_sanitize -Cforce-frame-pointers=yes"

# The tests that run real threads against the allocators; every other test
# file is single-threaded and is covered by ASan and Miri.
tsan_tests=()
for t in stress thread_cache session leak fuzz_regressions returns memory_back; do
    if [ -f "tests/$t.rs" ]; then tsan_tests+=(--test "$t"); else echo "note: tests/$t.rs not found" >&2; fi
done
[ ${#tsan_tests[@]} -gt 0 ] || { echo "no threaded test files found" >&2; exit 1; }

for san in ${SANITIZERS:-thread address}; do
    case "$san" in
        thread)
            step "ThreadSanitizer: ${tsan_tests[*]} (target/tsan)"
            t0=$SECONDS
            RUSTFLAGS="-Zsanitizer=thread $common_flags" \
                RUSTDOCFLAGS="-Zsanitizer=thread" \
                TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
                CARGO_TARGET_DIR=target/tsan \
                cargo +nightly test -Zbuild-std --target "$host" --lib "${tsan_tests[@]}"
            echo "ThreadSanitizer: no reports ($((SECONDS - t0))s)"
            ;;
        address)
            step "AddressSanitizer + LeakSanitizer: unit and integration tests (target/asan)"
            t0=$SECONDS
            RUSTFLAGS="-Zsanitizer=address $common_flags" \
                RUSTDOCFLAGS="-Zsanitizer=address" \
                ASAN_OPTIONS="detect_leaks=1 detect_stack_use_after_return=1 strict_init_order=1 ${ASAN_OPTIONS:-}" \
                CARGO_TARGET_DIR=target/asan \
                cargo +nightly test -Zbuild-std --target "$host" --lib --tests
            echo "AddressSanitizer: no reports ($((SECONDS - t0))s)"
            ;;
        *)
            echo "unknown sanitizer '$san' (thread, address)" >&2
            exit 2
            ;;
    esac
done

printf '\nsanitizers.sh finished in %ss\n' "$((SECONDS - start))"
