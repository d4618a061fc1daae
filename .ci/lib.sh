# Shared by the .ci/ scripts (sourced after they cd to the repository root):
# step headings, and the nightly toolchain the fuzz, sanitizer and Miri
# steps need, installed through rustup when missing.

step() { printf '\n==> %s\n' "$*"; }

# nightly [COMPONENT...]: installs the nightly toolchain (minimal profile)
# if it is missing, adds the components, and prints its version.
nightly() {
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        rustup toolchain install nightly --profile minimal
    fi
    if [ $# -gt 0 ]; then
        rustup component add --toolchain nightly "$@"
    fi
    rustup run nightly rustc --version
}

# crate_target_and_version METADATA: sets `target` (the workspace's target
# directory) and `version` (the chunkpool package's) from `cargo metadata
# --no-deps` output, or fails.
crate_target_and_version() {
    target=$(printf '%s' "$1" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    local pkgid
    pkgid=$(cargo pkgid -p chunkpool)
    version=${pkgid##*[#@]}
    [ -n "$target" ] && [ -n "$version" ] || {
        echo "could not read the target directory ('$target') or version ('$version') from cargo" >&2
        exit 1
    }
}
