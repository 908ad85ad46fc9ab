#!/usr/bin/env bash
# The builder image's warm start: the first, non-incremental build of a
# one-file net/http app (tests/fixtures/module-http) in our image, whose build
# cache already holds the standard library, against the classic image's
# `go build -o` with an empty cache, and both against a fully warm rebuild.
# All four side by side in one hyperfine run, inside one container of the
# builder image (podman exec), so container start-up is not measured:
#
#   classic, cold   go build -o gobinary .            empty GOCACHE (the seed's assemble)
#   classic, warm   the same, GOCACHE holding everything
#   ours, first     /usr/libexec/s2i/assemble         GOCACHE = the image's cache (std only)
#   ours, warm      the same, GOCACHE holding everything
#
# Target: "ours, first" within 2x of "classic, warm".
#
#   benches/image/warm-start.sh [BUILDER_IMAGE]   # RUNS=5; default image: built here (prebuilt, local base)
#
# Needs root, podman, buildah, hyperfine, busybox-static and a Go on PATH
# (for the local base image when no BUILDER_IMAGE is given; `cargo xtask dist` first).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RUNS=${RUNS:-5}
OUT=${OUT:-$root/target/bench-image}
mkdir -p "$OUT"

tag=s2i-bench-$$
made=()
ctr=
cleanup() {
    [ -z "$ctr" ] || podman rm -f -t 0 "$ctr" >/dev/null 2>&1 || true
    for image in "${made[@]}"; do podman rmi -f "$image" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

builder=${1:-}
if [ -z "$builder" ]; then
    image/test-base/make-base.sh "localhost/$tag-base" >/dev/null
    made+=("localhost/$tag-base")
    buildah bud --isolation chroot --quiet -f image/Dockerfile --target prebuilt \
        --build-arg BASE_IMAGE="localhost/$tag-base" -t "localhost/$tag-builder" . >/dev/null
    made+=("localhost/$tag-builder")
    builder=localhost/$tag-builder
fi

runc=$(command -v runc || true)
podman_run=(podman ${runc:+--runtime "$runc"} run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
ctr=$("${podman_run[@]}" -v "$root/tests/fixtures/module-http:/tmp/src:ro,Z" --entrypoint sleep "$builder" infinity)
x() { echo "podman exec $ctr sh -c '$*'"; }

app_env='GOTOOLCHAIN=local GOPROXY=off'
classic="cd /tmp/src && GOCACHE=/tmp/classic-cache $app_env go build -o /tmp/gobinary ."
ours="GOCACHE=/tmp/our-cache /usr/libexec/s2i/assemble >/dev/null"
# The image's own cache, as a fresh container of the image has it (hard links: instant).
reset_ours='rm -rf /tmp/our-cache && cp -al "$S2I_GO_BASE_CACHE" /tmp/our-cache'

podman exec "$ctr" sh -c "$reset_ours && $ours && $classic" # warm both up once

hyperfine --style basic --export-markdown "$OUT/warm-start.md" --runs "$RUNS" \
    --command-name "podman exec overhead" --prepare "$(x true)" "$(x true)" \
    --command-name "classic, cold (empty GOCACHE)" --prepare "$(x 'rm -rf /tmp/classic-cache')" "$(x "$classic")" \
    --command-name "ours, first build (image cache)" --prepare "$(x "$reset_ours")" "$(x "$ours")" \
    --command-name "classic, warm" --prepare "$(x true)" "$(x "$classic")" \
    --command-name "ours, warm" --prepare "$(x true)" "$(x "$ours")"
cat "$OUT/warm-start.md"
echo "image: $builder ($(podman image inspect --format '{{.Size}}' "$builder") bytes)"
