#!/usr/bin/env bash
# The builder image's warm start: the first, non-incremental build of a
# one-file net/http app (tests/fixtures/module-http) in our image, whose build
# cache already holds the standard-library packages it uses (image/Dockerfile's
# GO_WARM_PACKAGES; warm-set.sh compares warm sets), against the classic
# image's `go build -o` with an empty cache, and both against fully warm
# rebuilds.
# All side by side in one hyperfine run, through `podman exec` (container
# start-up is not measured; the exec itself is the first row, so ratios can be
# given with and without it):
#
#   podman exec            true
#   classic: cold          go build -o /tmp/gobinary .     empty GOCACHE, no binary: the seed's assemble
#   ours: first build      /usr/libexec/s2i/assemble       in a new container of the image each run,
#                                                          its cache exactly as the image ships it
#   classic: warm          go build -o /tmp/gobinary .     GOCACHE holding everything, no binary
#   go build with          CGO_ENABLED=0 go build -trimpath -buildvcs=false -o DIR/ .
#     assemble's flags:                                    what assemble runs; GOCACHE holding
#     warm                                                 everything, no binary
#   ours: warm             /usr/libexec/s2i/assemble       again in the same container
#
# Every build starts with no output binary, as in a new build container: with
# the binary already there and up to date, go skips the link, which is most of
# a warm build's time. Target: "ours, first build" within 2x of the warm plain
# builds.
#
# The image is aged first (AGE_DAYS, default 8): a derived image in which every
# file of the application root dated within the last day is dated AGE_DAYS
# back, as the clock would have it days after the image was built; files dated
# later (ahead of the clock) keep their date. An image used minutes after its
# build hides what go does with day-old cache entries in a new container: it
# re-dates each entry it uses (copying it up into the container's layer) and
# trims the cache.
#
#   benches/image/warm-start.sh [BUILDER_IMAGE]   # RUNS=5 AGE_DAYS=8; default image: built here (dist/ binaries, local base)
#
# Needs root, podman, buildah, hyperfine, busybox-static and a Go on PATH
# (for the local base image when no BUILDER_IMAGE is given; `cargo xtask dist` first).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RUNS=${RUNS:-5}
AGE_DAYS=${AGE_DAYS:-8}
OUT=${OUT:-$root/target/bench-image}
mkdir -p "$OUT"

tag=s2i-bench-$$
first=$tag-first
. benches/image/lib.sh
containers+=("$first")

builder=${1:-}
if [ -z "$builder" ]; then
    bench_go_base "localhost/$tag-base"
    bench_builder "localhost/$tag-base" "localhost/$tag-builder"
    builder=localhost/$tag-builder
fi
size=$(podman image inspect --format '{{.Size}}' "$builder")

if [ "$AGE_DAYS" -gt 0 ]; then
    bench_age "$builder" "localhost/$tag-aged" "$AGE_DAYS"
    builder=localhost/$tag-aged
fi

podman_run=("${bench_podman_run[@]}" -v "$root/tests/fixtures/module-http:/tmp/src:ro,Z")
ctr=$("${podman_run[@]}" "$builder" infinity)
containers+=("$ctr")
x() { bench_exec "$@"; }

app_env='GOTOOLCHAIN=local GOPROXY=off'
classic="cd /tmp/src && GOCACHE=/tmp/classic-cache $app_env go build -o /tmp/gobinary ."
plain="cd /tmp/src && GOCACHE=\$APP_ROOT/.cache/go-build $app_env CGO_ENABLED=0 go build -trimpath -buildvcs=false -o /tmp/plain/ ."
ours="/usr/libexec/s2i/assemble >/dev/null"
new_first="podman rm -f -t 0 $first >/dev/null 2>&1; ${podman_run[*]} --name $first $builder infinity >/dev/null"

# Warm up the long-lived container's caches (and the host's page cache).
podman exec "$ctr" sh -c "$ours && $classic && $plain"

names=("podman exec" "classic: cold" "ours: first build" "classic: warm" "go build with assemble's flags: warm" "ours: warm")
hyperfine --style basic --export-markdown "$OUT/warm-start.md" --export-csv "$OUT/warm-start.csv" --runs "$RUNS" \
    --command-name "${names[0]}" --prepare true "$(x "$ctr" true)" \
    --command-name "${names[1]}" --prepare "$(x "$ctr" 'rm -rf /tmp/classic-cache /tmp/gobinary')" "$(x "$ctr" "$classic")" \
    --command-name "${names[2]}" --prepare "$new_first" "$(x "$first" "$ours")" \
    --command-name "${names[3]}" --prepare "$(x "$ctr" 'rm -f /tmp/gobinary')" "$(x "$ctr" "$classic")" \
    --command-name "${names[4]}" --prepare "$(x "$ctr" 'rm -rf /tmp/plain')" "$(x "$ctr" "$plain")" \
    --command-name "${names[5]}" --prepare true "$(x "$ctr" "$ours")"
cat "$OUT/warm-start.md"

# The means with the exec's own cost taken off, and the ratios the target is about.
declare -A mean
while IFS=, read -r name value _; do mean[$name]=$value; done < <(tail -n +2 "$OUT/warm-start.csv")
exec_mean=${mean[${names[0]}]}
echo
echo "without the podman exec overhead ($(awk -v e="$exec_mean" 'BEGIN { printf "%.2f", e }') s):"
for name in "${names[@]:1}"; do
    awk -v n="$name" -v m="${mean[$name]}" -v e="$exec_mean" 'BEGIN { printf "  %s: %.2f s\n", n, m - e }'
done
ratio() { # ratio A B: A's mean over B's, with and without the exec
    awk -v a="${mean[$1]}" -v b="${mean[$2]}" -v e="$exec_mean" -v what="$1 / $2" \
        'BEGIN { printf "%s: %.2fx with the exec, %.2fx without\n", what, a / b, (a - e) / (b - e) }'
}
ratio "${names[2]}" "${names[4]}"
ratio "${names[2]}" "${names[3]}"
ratio "${names[2]}" "${names[5]}"
ratio "${names[1]}" "${names[2]}"
echo "image: ${1:-image/prebuilt/Dockerfile (dist/) on the local base} ($size bytes), aged $AGE_DAYS days for the run"
