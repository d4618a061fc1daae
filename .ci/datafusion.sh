#!/usr/bin/env bash
# The DataFusion integration and arrow 59 (issue 21):
#
#  1. examples/datafusion/, a workspace of its own (DataFusion 55 with
#     arrow 59, locked by its Cargo.lock): rustfmt, its tests, which run SQL
#     over pooled batches and check the answer, DataFusion's memory
#     accounting and that every batch comes home, and clippy over every
#     target and feature (the `bench` binaries included), warnings denied;
#  2. the library's own tests with the `arrow` feature on arrow 59 (the
#     root workspace's Cargo.lock has 60, which the other steps test): in
#     a copy of the tracked files whose Cargo.toml pins every arrow crate to
#     the version examples/datafusion/Cargo.lock holds. Nothing tracked is
#     changed.
#
#   bash .ci/datafusion.sh
#
# Uses the default target directory unless CARGO_TARGET_DIR is set; builds
# in <target>/datafusion (step 1) and <target>/arrow59 (step 2), with the
# copy in <target>/arrow59-src.
#
# Run by .ci/run. Its cost, measured from an empty target directory on
# the 2-core machine while other builds shared it (load 9 to 13), with
# clippy on the crate: 2587 s wall, 739 s user + 98 s system CPU, 1.2 GB
# peak RSS (clippy checked DataFusion once and the tests built it again;
# step 2 builds the library's tests a second time, on arrow 59).
# The clippy step alone (issue 21), 2026-12-07: from nothing (a profile
# of its own, so nothing shared with the tests' build: an upper bound)
# 163 s wall, 164 s user + 19 s system CPU, 0.8 GB peak RSS, load 1.7 to
# 3.6; warm, under a second (the whole script warm: 110 s, against 113 s
# without the step). CI's last full run took 2063 s of its 3600 s without
# it, so about 2230 s with it.
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
start=$SECONDS

crate_target_and_version "$(cargo metadata --no-deps --format-version 1)"
df=examples/datafusion

step "examples/datafusion: cargo fmt --check"
cargo fmt --manifest-path "$df/Cargo.toml" --all --check

step "examples/datafusion: cargo test (SQL over pooled batches)"
CARGO_TARGET_DIR="$target/datafusion" \
    cargo test --manifest-path "$df/Cargo.toml" --locked

# After the tests and in their target directory, so it reuses what check
# and build share (build scripts, proc macros); the rest is a check-only
# pass over DataFusion. --all-features lints the `bench` binaries
# (`bench`, `bench-glibc`: scenario DF of benches/README.md) too.
step "examples/datafusion: cargo clippy --all-targets --all-features -- -D warnings"
CARGO_TARGET_DIR="$target/datafusion" \
    cargo clippy --manifest-path "$df/Cargo.toml" --locked --all-targets --all-features -- -D warnings

# The arrow version DataFusion's lockfile holds (all arrow crates share it).
arrow59=$(sed -n '/^name = "arrow-array"$/{n;s/^version = "\(.*\)"$/\1/p;}' "$df/Cargo.lock")
case "$arrow59" in
59.*) ;;
*)
    echo "examples/datafusion/Cargo.lock has arrow-array '$arrow59', expected 59.x" >&2
    exit 1
    ;;
esac

step "cargo test -p chunkpool --features arrow and -p chunkpool-arrow-example on arrow $arrow59"
src="$target/arrow59-src"
rm -rf "$src"
mkdir -p "$src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$src"
# The arrow requirements (the library's, the arrow tests' and the fuzz
# harness's) are ">=59, <61"; in the copy they become "=$arrow59".
for manifest in "$src/Cargo.toml" "$src/examples/arrow/Cargo.toml" "$src/fuzz/harness/Cargo.toml"; do
    grep -q '">=59, <61"' "$manifest"
    sed -i "s/\">=59, <61\"/\"=$arrow59\"/" "$manifest"
done
(
    cd "$src"
    export CARGO_TARGET_DIR="$target/arrow59"
    # Cargo re-resolves only what the pins changed; check it did.
    arrow=$(cargo tree -p chunkpool --features arrow -e normal,dev --depth 1 --prefix none |
        grep '^arrow-' | sort -u)
    printf '%s\n' "$arrow"
    if [ -z "$arrow" ] || printf '%s\n' "$arrow" | grep -v " v$arrow59" >/dev/null; then
        echo "the copy's arrow crates are not all at $arrow59" >&2
        exit 1
    fi
    cargo test -p chunkpool --features arrow
    # The export, import, kernel and property tests (examples/arrow/).
    cargo test -p chunkpool-arrow-example
)

printf '\nDataFusion and arrow 59 checks finished in %ss\n' "$((SECONDS - start))"
