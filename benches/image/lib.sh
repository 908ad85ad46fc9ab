# Shared by the builder-image benchmarks (warm-start.sh, warm-set.sh): build
# the builder image from dist/ on a local Go base image, age it, start
# containers of it, and remove everything made on exit. Source it from the
# repository root after `set -euo pipefail`.
#
# Every image made is added to `made`, every container to `containers`;
# bench_cleanup (set as the EXIT trap here) removes them all.

made=()
containers=()
bench_cleanup() {
    for ctr in "${containers[@]}"; do podman rm -f -t 0 "$ctr" >/dev/null 2>&1 || true; done
    for image in "${made[@]}"; do podman rmi -f "$image" >/dev/null 2>&1 || true; done
}
trap bench_cleanup EXIT

# bench_go_base NAME: the local Go base image (image/test-base/make-base.sh,
# the go on PATH), made once per run.
bench_go_base() {
    image/test-base/make-base.sh "$1" >/dev/null
    made+=("$1")
}

# bench_builder GO_BASE NAME [BUILDAH BUD ARGUMENTS...]: the builder image
# as image/prebuilt/Dockerfile makes it (the base stage of image/Dockerfile,
# built here with the extra arguments, e.g. --build-arg GO_WARM_PACKAGES=...,
# then the dist/ binaries).
bench_builder() {
    local go_base=$1 name=$2
    shift 2
    buildah bud --isolation chroot --quiet -f image/Dockerfile --target base "$@" \
        --build-arg BASE_IMAGE="$go_base" -t "$name-base" . >/dev/null
    made+=("$name-base")
    buildah bud --isolation chroot --quiet -f image/prebuilt/Dockerfile \
        --build-arg BUILDER_BASE="$name-base" -t "$name" dist >/dev/null
    made+=("$name")
}

# bench_app_root IMAGE: the image's APP_ROOT.
bench_app_root() {
    local app_root
    app_root=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$1" |
        sed -n 's/^APP_ROOT=//p')
    echo "${app_root:-/opt/app-root}"
}

# bench_age IMAGE NAME DAYS: a derived image in which every file of the
# application root dated within the last day is dated DAYS back, as the
# clock would have it days after the image was built; files dated later
# (ahead of the clock) keep their date. An image used minutes after its
# build hides what go does with day-old cache entries in a new container: it
# re-dates each entry it uses (copying it up into the container's layer) and
# trims the cache.
bench_age() {
    local image=$1 name=$2 days=$3 app_root aging mnt then trim
    app_root=$(bench_app_root "$image")
    aging=$(buildah from --quiet "$image")
    mnt=$(buildah mount "$aging")
    then=$(date -d "$days days ago" +%s)
    find "$mnt$app_root" -type f -newermt '1 day ago' ! -newermt 'now' -exec touch -h -d "@$then" {} +
    # Go's record of its last cache trim holds the time as text.
    for trim in "$mnt$app_root"/.cache/*/trim.txt; do
        [ -f "$trim" ] && [ "$(cat "$trim")" -le "$(date +%s)" ] && printf %s "$then" >"$trim"
    done
    buildah umount "$aging" >/dev/null
    buildah commit --quiet --rm "$aging" "$name" >/dev/null
    made+=("$name")
}

# bench_cache_bytes IMAGE: the bytes of the build cache the image ships
# ($APP_ROOT/.cache/go-build; the base cache beside it is hard links to the
# same files), as du counts them.
bench_cache_bytes() {
    local ctr mnt kib
    ctr=$(buildah from --quiet "$1")
    mnt=$(buildah mount "$ctr")
    kib=$(du -sk "$mnt$(bench_app_root "$1")/.cache/go-build" | cut -f1)
    buildah umount "$ctr" >/dev/null
    buildah rm "$ctr" >/dev/null
    echo $((kib * 1024))
}

# podman run, as this machine needs it (runc; limits below the host's), for
# a container that sleeps until removed: "${bench_podman_run[@]}" [ARGS...] IMAGE infinity
runc=$(command -v runc || true)
bench_podman_run=(podman ${runc:+--runtime "$runc"} run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
    --entrypoint sleep)

# bench_exec CONTAINER SCRIPT: the command line hyperfine runs.
bench_exec() { echo "podman exec $1 sh -c '$2'"; }
