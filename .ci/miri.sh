#!/usr/bin/env bash
# Miri over the unit and integration tests, under Tree Borrows (Stacked
# Borrows flags a known pattern inside crossbeam-epoch's own code, not ours),
# with small sizes: the tests shrink their loops under `cfg(miri)`.
# Installs the nightly toolchain and the miri and rust-src components when
# missing; any undefined behaviour fails the run.
#
#   MIRI_TESTS="--lib" .ci/miri.sh          # a subset
#   MIRI_SEEDS=4 .ci/miri.sh                # more interleavings / seeds
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
start=$SECONDS

step "nightly toolchain with miri and rust-src"
nightly miri rust-src
cargo +nightly miri --version
CARGO_TARGET_DIR=target/miri cargo +nightly miri setup

# -Zmiri-ignore-leaks: the thread-local caches of threads still running
#   when a test binary exits are never dropped, and neither is what they
#   hold; LeakSanitizer (sanitizers.sh), tests/leak.rs and
#   tests/memory_back.rs check leaks instead.
# -Zmiri-address-reuse-rate=0: a freed allocation's address is never handed
#   out again. Tests that check "this freed buffer never came back" by
#   comparing data_ptr (tests/allocator.rs) are only meaningful then; Miri's
#   use-after-free detection does not depend on addresses.
# -Zmiri-many-seeds: each test runs under several schedulers' seeds, so the
#   threaded tests see more interleavings.
flags="-Zmiri-tree-borrows -Zmiri-ignore-leaks -Zmiri-address-reuse-rate=0"
seeds=${MIRI_SEEDS:-1}
if [ "$seeds" -gt 1 ]; then flags="$flags -Zmiri-many-seeds=0..$seeds"; fi

# Skipped under Miri: tests/leak.rs measures live heap bytes with a counting
# global allocator over thousands of allocations (minutes under Miri, and
# leaks are ignored here); it runs natively in `cargo test`, and
# LeakSanitizer covers leaks in sanitizers.sh.
skip=(--skip nothing_leaks_once_everything_is_dropped)

# Which tests: the unit tests and the single-purpose integration tests. Not
# tests/stress.rs and tests/fuzz_regressions.rs: thousands of threaded
# operations take well over ten minutes under Miri, and ThreadSanitizer and
# AddressSanitizer (sanitizers.sh) run both natively sized.
tests=${MIRI_TESTS:---lib --test allocator --test column --test session --test thread_cache}
step "cargo miri test $tests (target/miri; MIRIFLAGS=$flags)"
# shellcheck disable=SC2086 # the test list is a list of cargo arguments
MIRIFLAGS="$flags ${MIRIFLAGS:-}" CARGO_TARGET_DIR=target/miri \
    cargo +nightly miri test --no-fail-fast $tests -- "${skip[@]}"

# tests/returns.rs on one thread, narrow layouts, lock-free allocator:
# every safe way to change a chunk (replace, swap, clone, retype) through
# the check-and-reset return path and the hand-out that moves the checked
# list into a new chunk (about 40 s a test). The mutex allocator's, the
# cross-thread and the wide variants run natively and under the sanitizers.
if [ -z "${MIRI_TESTS:-}" ]; then
    step "cargo miri test -p chunkpool-arrow-example --test export (target/miri): the export's unsafe"
    MIRIFLAGS="$flags ${MIRIFLAGS:-}" CARGO_TARGET_DIR=target/miri \
        cargo +nightly miri test --no-fail-fast -p chunkpool-arrow-example --test export

    step "cargo miri test --test returns -- narrow_one_thread --skip mutex:: (target/miri)"
    MIRIFLAGS="$flags ${MIRIFLAGS:-}" CARGO_TARGET_DIR=target/miri \
        cargo +nightly miri test --no-fail-fast --test returns -- narrow_one_thread --skip mutex::
fi

printf '\nmiri.sh finished in %ss\n' "$((SECONDS - start))"
