#!/usr/bin/env bash
# Builds the Debian package: target/debian/teleprobe_VERSION-1_ARCH.deb.
#   packaging/deb.sh [PROFILE]   release (default), dist, or dev (the
#                                debug build the tests made: CI's install test)
# Installs cargo-deb when missing, builds the binary for PROFILE unless it
# exists, makes the manual page and shell completions from it, then
# packages (metadata: [package.metadata.deb] in Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-release}"
dir="$profile"
[ "$profile" = dev ] && dir=debug

if ! cargo deb --version >/dev/null 2>&1; then
    echo "deb.sh: installing cargo-deb" >&2
    cargo install --locked --quiet cargo-deb --version 3.7.0
fi
binary="target/$dir/teleprobe"
if [ "$profile" != dev ] || [ ! -x "$binary" ]; then
    cargo build --locked --quiet --profile "$profile" --features tables --bin teleprobe
fi

assets=target/package-assets
mkdir -p "$assets"
"$binary" man | gzip -9n > "$assets/teleprobe.1.gz"
"$binary" completions bash > "$assets/teleprobe.bash"
"$binary" completions zsh > "$assets/_teleprobe"
"$binary" completions fish > "$assets/teleprobe.fish"

cargo deb --no-build --profile "$profile" --quiet
ls target/debian/*.deb
