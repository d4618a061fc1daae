#!/usr/bin/env bash
# The minimum supported Rust version, checked (issue 13): builds the library
# alone with the toolchain Cargo.toml's `rust-version` names, installing it
# through rustup (minimal profile) when missing.
#
#   bash .ci/msrv.sh
#
# What is built is the crate as published (`cargo package`, unpacked), with
# its dev-dependencies removed: a user on the MSRV builds the library, never
# our tests, benches or their dependencies. The workspace's Cargo.lock cannot
# be used: it is version 4, which cargo before 1.78 cannot read, and it locks
# the newest dependency versions, some of which need a newer rustc. So a
# lockfile is made for the copy by the current cargo (1.84 or later) with the
# MSRV-aware resolver, which picks the newest versions whose own
# `rust-version` the MSRV meets: what `cargo update` gives a user on the MSRV
# with cargo 1.84 or later. The MSRV's cargo then builds with `--locked`.
#
# clippy's `incompatible_msrv` lint (reads the same `rust-version`) catches
# std APIs newer than the MSRV on every clippy run; this build also catches
# language features and dependencies.
#
# Uses the default target directory unless CARGO_TARGET_DIR is set; works in
# <target>/msrv-src (the unpacked copy) and <target>/msrv (its build).
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
start=$SECONDS

# The first literal `rust-version = "..."`: [package]'s, or the workspace's
# when the package inherits it. Cross-checked against cargo's view below.
msrv=$(sed -n 's/^rust-version *= *"\([0-9][0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)
[ -n "$msrv" ] || { echo "no rust-version in Cargo.toml" >&2; exit 1; }
metadata=$(cargo metadata --format-version 1 --no-deps)
case "$metadata" in
    *"\"rust_version\":\"$msrv\""*) ;;
    *) echo "cargo metadata does not report rust_version $msrv" >&2; exit 1 ;;
esac
crate_target_and_version "$metadata"

step "Rust $msrv (rust-version in Cargo.toml)"
if ! rustup run "$msrv" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$msrv" --profile minimal
fi
rustup run "$msrv" rustc --version
rustup run "$msrv" cargo --version

step "the crate as published, without dev-dependencies"
# --allow-dirty: this checks the working tree as it is, and publishes
# nothing. --no-verify: the build below is the one that matters.
cargo package --no-verify --allow-dirty --quiet
work=$target/msrv-src
rm -rf "$work"
mkdir -p "$work"
tar -xzf "$target/package/chunkpool-$version.crate" -C "$work" --strip-components=1
# Drop [dev-dependencies] and [target.'...'.dev-dependencies] tables (and
# their [dev-dependencies.NAME] subtables); cargo's normalized manifest
# writes every table under its own header. The empty [workspace] makes the
# copy its own workspace, whatever directory above it holds.
awk '
    /^\[/ { drop = ($0 ~ /^\[(target\.[^]]*\.)?dev-dependencies([].]|$)/) }
    !drop { print }
    END { print ""; print "[workspace]" }
' "$work/Cargo.toml" > "$work/Cargo.toml.msrv"
mv "$work/Cargo.toml.msrv" "$work/Cargo.toml"
rm -f "$work/Cargo.lock"
if grep -q 'dev-dependencies' "$work/Cargo.toml"; then
    echo "dev-dependencies left in $work/Cargo.toml" >&2
    exit 1
fi

step "lockfile for Rust $msrv (MSRV-aware resolver)"
(cd "$work" && CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback cargo generate-lockfile)
# Cargo 1.83+ already writes version 3 for a rust-version below 1.78. Should
# it write 4, the two differ only in how git sources are encoded; with
# registry dependencies alone, the older cargo reads it as version 3.
if grep -q '^version = 4$' "$work/Cargo.lock"; then
    if grep -q 'source = "git+' "$work/Cargo.lock"; then
        echo "Cargo.lock v4 with git sources: cannot be downgraded for cargo $msrv" >&2
        exit 1
    fi
    sed -i 's/^version = 4$/version = 3/' "$work/Cargo.lock"
fi
echo "locked:"
sed -n '/^name = /{N;s/^name = "\(.*\)"\nversion = "\(.*\)"$/  \1 \2/p;}' "$work/Cargo.lock"

step "cargo +$msrv build --lib --locked"
# An older cargo may warn about keys of the normalized manifest it does not
# know (`autolib`): a user on the MSRV sees the same, and it is harmless.
(cd "$work" && CARGO_TARGET_DIR="$target/msrv" rustup run "$msrv" cargo build --lib --locked)

printf '\nMSRV %s check finished in %ss\n' "$msrv" "$((SECONDS - start))"
