#!/bin/sh
# make-base.sh IMAGE: a minimal local Go base image, for machines with no
# registry to pull Red Hat's UBI Go toolset from (the tests' machines, and
# air-gapped hosts). It mimics the conventions of
# registry.access.redhat.com/ubi9/go-toolset that image/Dockerfile relies on:
#
#   /bin/sh, tar and friends   a static busybox (the s2i CLI's Dockerfiles run
#                              `RUN`/`CMD` through /bin/sh; incremental builds untar)
#   Go                         the toolchain of the `go` on PATH (or $GOROOT_SRC),
#                              at /usr/local/go, on PATH
#   user 1001, group 0         /etc/passwd and /etc/group entries; HOME and the
#                              working directory /opt/app-root/src, owned 1001:0
#   /tmp                       mode 1777
#   the host's CAs             /etc/ssl/certs/ca-certificates.crt (or $CA_BUNDLE),
#                              for go's module downloads (through a TLS-inspecting
#                              proxy, on some machines)
#
# Needs root, buildah and busybox-static (`apt-get install buildah busybox-static`).
# Usage:  image/test-base/make-base.sh localhost/go-base
#         podman build --build-arg BASE_IMAGE=localhost/go-base -t gobuilder .
#         (with a Rust image too: make-rust.sh; or the binaries from dist/:
#         image/prebuilt/Dockerfile)
set -eu

name=${1:?"usage: $0 IMAGE-NAME  (builds a local Go base image with buildah)"}

goroot=${GOROOT_SRC:-}
if [ -z "$goroot" ]; then
    command -v go >/dev/null || { echo "$0: no go on PATH; put one there or set GOROOT_SRC" >&2; exit 1; }
    goroot=$(go env GOROOT)
fi
[ -x "$goroot/bin/go" ] || { echo "$0: $goroot/bin/go is missing: GOROOT_SRC must name a Go toolchain folder" >&2; exit 1; }

busybox=${BUSYBOX:-$(command -v busybox || true)}
[ -n "$busybox" ] || { echo "$0: no busybox on PATH (apt-get install busybox-static)" >&2; exit 1; }
# A dynamic busybox would not start in an image without a libc.
if ldd "$busybox" >/dev/null 2>&1; then
    echo "$0: $busybox is dynamically linked; install busybox-static or set BUSYBOX" >&2
    exit 1
fi

staging=$(mktemp -d)
ctr=
cleanup() {
    rm -rf "$staging"
    [ -z "$ctr" ] || buildah rm "$ctr" >/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The root file system, apart from Go.
mkdir -p "$staging/bin" "$staging/usr/bin" "$staging/etc" "$staging/tmp" \
    "$staging/root" "$staging/opt/app-root/src"
cp "$busybox" "$staging/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$staging/bin/$applet"
done
ln -s ../../bin/env "$staging/usr/bin/env"
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$ca_bundle" ]; then
    mkdir -p "$staging/etc/ssl/certs"
    cp "$ca_bundle" "$staging/etc/ssl/certs/ca-certificates.crt"
fi
cat >"$staging/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
default:x:1001:0:Default Application User:/opt/app-root/src:/bin/sh
nobody:x:65534:65534:nobody:/:/bin/false
PASSWD
cat >"$staging/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
GROUP

ctr=$(buildah from scratch)
buildah copy --quiet "$ctr" "$staging" / >/dev/null
buildah copy --quiet "$ctr" "$goroot" /usr/local/go >/dev/null
buildah run --isolation chroot "$ctr" -- /bin/sh -c \
    'chmod 1777 /tmp && chmod 700 /root && chown -R 1001:0 /opt/app-root && chmod -R g=u /opt/app-root'
buildah config \
    --env PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env APP_ROOT=/opt/app-root \
    --env HOME=/opt/app-root/src \
    --env GOTOOLCHAIN=local \
    --workingdir /opt/app-root/src \
    --user 1001 \
    --cmd /bin/sh \
    --label "summary=Local Go base image (busybox + Go $("$goroot/bin/go" env GOVERSION)) for tests" \
    "$ctr"
buildah commit --quiet --rm "$ctr" "$name" >/dev/null
ctr=
echo "$name"
