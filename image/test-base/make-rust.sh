#!/bin/sh
# make-rust.sh IMAGE: a local Rust image for image/Dockerfile's build stage
# (--build-arg RUST_IMAGE=IMAGE), for machines with no registry to pull
# docker.io/library/rust from, but with Debian's mirror and a rustup
# toolchain (the tests' machines). It mimics rust:1-slim-bookworm, the
# stage's default:
#
#   Debian 12           debootstrap (minbase) from $DEBIAN_MIRROR, with gcc and
#                       libc6-dev (cargo links through cc) and ca-certificates
#                       (crates.io over TLS)
#   the host's CAs      its /etc/ssl/certs/ca-certificates.crt (or $CA_BUNDLE)
#                       replaces Debian's, so crates.io is reached as the host
#                       reaches it (through a TLS-inspecting proxy, on some machines)
#   rustup's layout     RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo,
#                       /usr/local/cargo/bin on PATH (rustup, cargo, rustc)
#   the toolchain       the host's active one (`rustc --print sysroot`), with
#                       the targets it has (the build stage needs
#                       <arch>-unknown-linux-musl), without its HTML docs
#
# Needs root, debootstrap, podman and rustup (`apt-get install debootstrap podman`).
# Usage:  image/test-base/make-rust.sh localhost/rust
#         podman build --build-arg RUST_IMAGE=localhost/rust ... -t gobuilder .
set -eu

name=${1:?"usage: $0 IMAGE-NAME  (builds a local Debian + Rust image with podman)"}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-bookworm}

for tool in debootstrap podman rustup rustc; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is not on PATH" >&2; exit 1; }
done
sysroot=$(rustc --print sysroot)
toolchain=$(basename "$sysroot")
target="$(uname -m)-unknown-linux-musl"
[ -d "$sysroot/lib/rustlib/$target" ] ||
    { echo "$0: the toolchain $toolchain lacks $target: rustup target add $target" >&2; exit 1; }
# The rustup binary itself, not a proxy link to it.
rustup_bin=$(readlink -f "$(command -v rustup)")

staging=$(mktemp -d)
cleanup() { rm -rf "$staging"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

root="$staging/root"
debootstrap --variant=minbase --include=gcc,libc6-dev,ca-certificates \
    "$suite" "$root" "$mirror" >"$staging/debootstrap.log" 2>&1 || {
    tail -20 "$staging/debootstrap.log" >&2
    echo "$0: debootstrap $suite from $mirror failed" >&2
    exit 1
}
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ ! -f "$ca_bundle" ] || cp "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"

mkdir -p "$root/usr/local/rustup/toolchains" "$root/usr/local/cargo/bin"
tar -C "$(dirname "$sysroot")" --exclude="$toolchain/share/doc" -cf - "$toolchain" |
    tar -C "$root/usr/local/rustup/toolchains" -xf -
cat >"$root/usr/local/rustup/settings.toml" <<SETTINGS
version = "12"
default_toolchain = "$toolchain"
profile = "minimal"
auto_self_update = "disable"
SETTINGS
cp "$rustup_bin" "$root/usr/local/cargo/bin/rustup"
for proxy in cargo rustc rustdoc; do
    ln -s rustup "$root/usr/local/cargo/bin/$proxy"
done

tar -C "$root" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . |
    podman import \
        --change 'ENV RUSTUP_HOME=/usr/local/rustup' \
        --change 'ENV CARGO_HOME=/usr/local/cargo' \
        --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' \
        --change "LABEL summary=\"Local Debian $suite + Rust ($toolchain) image for tests\"" \
        - "$name" >/dev/null
echo "$name"
