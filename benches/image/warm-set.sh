#!/usr/bin/env bash
# The builder image's warm set: how much of Go's standard library to compile
# into the image's build cache (build argument GO_WARM_PACKAGES), as image
# size against the first build of three kinds of application.
#
# For each warm set (all of std, the curated set that is image/Dockerfile's
# default, none)
# the builder image is built from dist/ on one local Go base image, its size
# and its build cache's size recorded, and it is aged AGE_DAYS (as
# warm-start.sh does: see lib.sh). Then one hyperfine run per set measures,
# side by side, for each application:
#
#   first build   /usr/libexec/s2i/assemble in a new container of the image
#                 each run: the cache exactly as the image ships it
#   warm build    assemble again in a container that has built the same
#                 application before: everything cached (assemble builds into
#                 a new directory each time, so no build starts with its
#                 output binary there)
#
# every command through `podman exec` (container start-up is not measured;
# the exec's own cost is a row of its own). The applications, all built
# offline (GOPROXY=off):
#
#   http   tests/fixtures/module-http: a one-file net/http service
#   cli    benches/image/apps/cli: cobra, viper, color, logrus, yaml (42
#          packages from modules), vendored
#   grpc   benches/image/apps/grpc: a gRPC server with the generated health
#          service and reflection (121 packages from modules), vendored
#
# The vendored copies are made in $OUT/apps with `go mod vendor`, through
# the GOPROXY of the host, at the versions of the apps' go.mod and go.sum.
#
#   benches/image/warm-set.sh        # RUNS=3 AGE_DAYS=8 SETS="std curated none" APPS="http cli grpc"
#                                    # CURATED="<packages>" to try another curated set
#
# Results: $OUT/summary.md (the curve), each set's hyperfine tables beside it.
# Needs root, podman, buildah, hyperfine, busybox-static, a Go on PATH (the
# image's Go; go 1.26 or later for the apps) and dist/ (`cargo xtask dist`).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RUNS=${RUNS:-3}
AGE_DAYS=${AGE_DAYS:-8}
SETS=${SETS:-std curated none}
OUT=${OUT:-$root/target/bench-warmset}
mkdir -p "$OUT"
tag=s2i-warmset-$$
. benches/image/lib.sh

# The curated set: image/Dockerfile's default, built as the Dockerfile has it
# (no --build-arg), unless CURATED names other packages to try.
default=$(sed -n 's/^ARG GO_WARM_PACKAGES="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' image/Dockerfile)
curated=${CURATED:-$default}
warm_arg() { # the bud arguments for a warm set
    case $1 in
    std) echo "--build-arg=GO_WARM_PACKAGES=std" ;;
    curated) [ "$curated" = "$default" ] || echo "--build-arg=GO_WARM_PACKAGES=$curated" ;;
    none) echo "--build-arg=GO_WARM_PACKAGES=" ;;
    *) echo "$0: unknown warm set $1 (std, curated or none)" >&2; return 1 ;;
    esac
}

# --- the applications --------------------------------------------------------
read -ra apps <<<"${APPS:-http cli grpc}"
declare -A src
src[http]=$root/tests/fixtures/module-http
for app in "${apps[@]}"; do
    case $app in
    http) continue ;;
    cli | grpc) ;;
    *) echo "$0: unknown application $app (http, cli or grpc)" >&2; exit 1 ;;
    esac
    rm -rf "$OUT/apps/$app"
    mkdir -p "$OUT/apps/$app"
    cp benches/image/apps/$app/main.go benches/image/apps/$app/go.mod benches/image/apps/$app/go.sum "$OUT/apps/$app/"
    (cd "$OUT/apps/$app" && GOFLAGS= GOTOOLCHAIN=local go mod vendor)
    src[$app]=$OUT/apps/$app
done
for app in "${apps[@]}"; do
    n=$(cd "${src[$app]}" && GOFLAGS= GOTOOLCHAIN=local go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' . | grep -c .)
    s=$(cd "${src[$app]}" && GOFLAGS= GOTOOLCHAIN=local go list -deps -f '{{if .Standard}}{{.ImportPath}}{{end}}' . | grep -c .)
    echo "app $app: $((n - 1)) packages from modules, $s from std"
done

# --- the images and the runs -------------------------------------------------
bench_go_base "localhost/$tag-go"
ours="/usr/libexec/s2i/assemble >/dev/null"
summary=$OUT/summary.md
rm -f "$OUT/sizes.txt" "$OUT/http-ratios.txt"
{
    printf '| warm set | image | build cache | podman exec |'
    printf ' %s first | %s warm | %s first/warm |' $(for app in "${apps[@]}"; do echo "$app $app $app"; done)
    printf '\n|---|---:|---:|---:|'
    printf -- '---:|---:|---:|%.0s' "${apps[@]}"
    echo
} >"$summary"
mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }
for set in $SETS; do
    arg=$(warm_arg "$set")
    echo "== warm set $set: ${arg:-the default of image/Dockerfile}"
    builder=localhost/$tag-$set
    bench_builder "localhost/$tag-go" "$builder" ${arg:+"$arg"}
    size=$(podman image inspect --format '{{.Size}}' "$builder")
    cache=$(bench_cache_bytes "$builder")
    image=$builder
    if [ "$AGE_DAYS" -gt 0 ]; then
        bench_age "$builder" "$builder-aged" "$AGE_DAYS"
        image=$builder-aged
    fi

    app_args=()
    declare -A warm=()
    for app in "${apps[@]}"; do
        run=("${bench_podman_run[@]}" -e GOPROXY=off -v "${src[$app]}:/tmp/src:ro,Z")
        warm[$app]=$("${run[@]}" "$image" infinity)
        containers+=("${warm[$app]}")
        # The warm container builds the app once, unmeasured.
        podman exec "${warm[$app]}" sh -c "$ours"
        first=$tag-$set-first-$app
        containers+=("$first")
        new_first="podman rm -f -t 0 $first >/dev/null 2>&1; ${run[*]} --name $first $image infinity >/dev/null"
        app_args+=(--command-name "$app first" --prepare "$new_first" "$(bench_exec "$first" "$ours")"
            --command-name "$app warm" --prepare true "$(bench_exec "${warm[$app]}" "$ours")")
    done
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    hyperfine --style basic --export-markdown "$OUT/$set.md" --export-csv "$OUT/$set.csv" --runs "$RUNS" \
        --command-name "podman exec" --prepare true "$(bench_exec "${warm[${apps[0]}]}" true)" "${app_args[@]}"

    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    # Medians: on a busy machine one slow run moves a mean of a few by 20%.
    declare -A median=()
    while IFS=, read -r name _ _ value _; do median[$name]=$value; done < <(tail -n +2 "$OUT/$set.csv")
    row="| $set | $(mb "$size") | $(mb "$cache") | $(printf '%.2f s' "${median[podman exec]}")"
    for app in "${apps[@]}"; do
        row+=$(awk -v f="${median[$app first]}" -v w="${median[$app warm]}" \
            'BEGIN { printf " | %.2f s | %.2f s | %.2fx", f, w, f / w }')
    done
    echo "$row |" >>"$summary"
    [ -z "${median[http first]:-}" ] ||
        echo "$set $size $(awk -v f="${median[http first]}" -v w="${median[http warm]}" 'BEGIN { print f / w }')" >>"$OUT/http-ratios.txt"
    echo "set=$set ${arg:-default} image_bytes=$size cache_bytes=$cache" >>"$OUT/sizes.txt"

    # This set's containers and images go now: the disk is shared.
    for app in "${apps[@]}"; do podman rm -f -t 0 "${warm[$app]}" "$tag-$set-first-$app" >/dev/null 2>&1 || true; done
    podman rmi -f "$image" "$builder" "$builder-base" >/dev/null 2>&1 || true
done

echo
echo "GO_WARM_PACKAGES: std = all of std; curated = \"$curated\"; none = \"\". Images aged $AGE_DAYS days, RUNS=$RUNS, medians, with the exec."
cat "$summary"
if [ -f "$OUT/http-ratios.txt" ]; then
    # The issue's rule for the default: the smallest image whose net/http
    # service's first build is within 1.2x of its warm build.
    pick=$(awk '$3 <= 1.2' "$OUT/http-ratios.txt" | sort -k2,2n | head -n 1)
    echo "smallest image with the http first build within 1.2x of warm: ${pick:-none of them} (set, image bytes, ratio)"
fi
