#!/usr/bin/env bash
# The crate as crates.io would get it (issue 13):
#
#  1. `cargo package --list`: the files the package holds, into the log
#     (the whitelist is `include` in Cargo.toml);
#  2. `cargo package`: builds the packaged library, with every cargo warning
#     an error (a target left out of the package, a missing metadata field,
#     ...) except the two expected ones below;
#  3. the packaged crate's own tests build: `cargo test --no-run` in the
#     unpacked crate, which has no workspace and only the registry
#     dev-dependencies (cargo strips path-only ones).
#
#   bash .ci/package.sh
#
# A clean clone needs no flag. `cargo package` refuses uncommitted changes to
# packaged files; to try this on a working tree with such changes, set
# PACKAGE_ALLOW_DIRTY=1 (passes --allow-dirty). CI leaves it unset: a dirty
# tree there means an earlier step wrote into a packaged file (Cargo.lock,
# say), which is worth failing on.
#
# Uses the default target directory unless CARGO_TARGET_DIR is set; the
# unpacked crate's test build goes to <target>/package-tests.
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
start=$SECONDS

# Warnings `cargo package` may print without failing this step, as regular
# expressions (grep -E). Only these: the root tests that need the fuzz
# harness (a path-only dev-dependency, stripped from the package) are left
# out of the package on purpose, and cargo says so.
expected_warnings=(
    '^warning: ignoring test `(allocator|fuzz_regressions)` as `tests/[a-z_]+\.rs` is not included in the published package$'
)

dirty=()
if [ "${PACKAGE_ALLOW_DIRTY:-}" = 1 ]; then
    dirty=(--allow-dirty)
fi

metadata=$(cargo metadata --format-version 1 --no-deps)
crate_target_and_version "$metadata"

step "cargo package --list (the files crates.io would get)"
cargo package --list ${dirty[@]+"${dirty[@]}"}

step "cargo package (builds the packaged crate; warnings fail the step)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# cargo's stderr goes to the terminal and to the log (pipefail keeps
# cargo's exit status; the pipeline waits for tee, so the log is complete).
{ cargo package ${dirty[@]+"${dirty[@]}"} 2>&1 1>&3 | tee "$log" >&2; } 3>&1
unexpected=$(grep '^warning:' "$log" || true)
for re in "${expected_warnings[@]}"; do
    unexpected=$(printf '%s\n' "$unexpected" | grep -Ev "$re" || true)
done
if [ -n "$unexpected" ]; then
    printf '\ncargo package warned:\n%s\n' "$unexpected" >&2
    exit 1
fi

step "the packaged crate's tests build (chunkpool-$version, on its own)"
unpacked=$target/package/chunkpool-$version
[ -f "$unpacked/Cargo.toml" ] || { echo "no unpacked crate at $unpacked" >&2; exit 1; }
(cd "$unpacked" && CARGO_TARGET_DIR="$target/package-tests" cargo test --no-run)

printf '\npackage check finished in %ss\n' "$((SECONDS - start))"
