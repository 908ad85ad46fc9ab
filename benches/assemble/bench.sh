#!/usr/bin/env bash
# s2i-assemble against the classic one-line assemble (`go build -o ...`),
# side by side in one hyperfine run, cold and warm, on a generated Go app of
# a few hundred packages. Both get the same flags (-trimpath, CGO_ENABLED=0,
# GOTOOLCHAIN=local) and the same caches (GOCACHE/GOMODCACHE in the work dir).
#
#   benches/assemble/bench.sh   # PACKAGES=300 COLD_RUNS=3 WARM_ROUNDS=5 WARM_RUNS=3
#
# Needs hyperfine and a Go (PATH first, else `cargo xtask tools`' .tools/).
# Results go to BENCHMARKS.md by hand; each round's JSON and summary.md land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

PACKAGES=${PACKAGES:-300}
COLD_RUNS=${COLD_RUNS:-3}
WARM_ROUNDS=${WARM_ROUNDS:-5}
WARM_RUNS=${WARM_RUNS:-3}
OUT=${OUT:-$root/target/bench-assemble}

. benches/go-env.sh
go_bench_tools

cargo build --quiet --release -p s2i-assemble
assemble=$root/target/release/s2i-assemble

go_bench_workdir assemble
mkdir -p "$OUT" "$work/classic"
rm -f "$OUT"/cold-*.json "$OUT"/warm-*.json
cargo run --quiet -p s2i-assemble --example generate_app -- "$work/src" "$PACKAGES"

# One environment for both: hermetic, offline, the same caches.
go_bench_hermetic_go
export GOCACHE=$work/cache/go-build GOMODCACHE=$work/cache/go-mod GOPATH=$work/gopath
export GOPROXY=off
export GOROOT=$(go env GOROOT)

classic="cd $work/src && go build -trimpath -o $work/classic/gobinary ."
s2i="$assemble --src $work/src --app-root $work/app --artifacts $work/no-artifacts"

echo "== $(go version); $PACKAGES packages; $(nproc) cores"
# hyperfine runs one command's runs, then the other's: on a shared machine
# the load moves in between. So each is a few short rounds, each round both
# commands, and the verdict is the median of the rounds' ratios.
round() { # round NAME N PREPARE_EXTRA RUNS WARMUP
  local name=$1 n=$2 prepare=$3 runs=$4 warmup=$5
  hyperfine --style basic --runs "$runs" --warmup "$warmup" \
    --prepare "$prepare" \
    --export-json "$OUT/$name-$n.json" \
    -n "go build (classic assemble), $name" "$classic" \
    -n "s2i-assemble, $name" "$s2i" | grep -E '^(Benchmark|  Time)'
}
echo "== cold: the build cache is emptied before every run"
for n in $(seq "$COLD_RUNS"); do
  round cold "$n" "chmod -R u+w $work/cache 2>/dev/null; rm -rf $work/cache $work/app $work/classic/gobinary" 1 0
done
# Warm is an incremental S2I build: a new build container whose caches were
# restored, so neither command finds its previous output (go build would
# otherwise skip the link of an up-to-date binary).
echo "== warm: the caches are full, the outputs are gone (a new build container)"
for n in $(seq "$WARM_ROUNDS"); do
  round warm "$n" "rm -rf $work/app $work/classic/gobinary" "$WARM_RUNS" 1
done

# Both built the same program (not run: the generated app computes for
# minutes): the same main package and module, by the binaries' build info.
(eval "$classic") && $s2i >/dev/null
main_of() { go version -m "$1" | awk '$1 == "path" || $1 == "mod" { print $1, $2 }'; }
[ "$(main_of "$work/classic/gobinary")" = "$(main_of "$work/app/gobinary")" ] \
  || { echo "bench.sh: the two builds differ" >&2; exit 1; }

python3 - "$OUT" <<'PY' | tee "$OUT/summary.md"
import glob, json, statistics, sys
out = sys.argv[1]
for run in ("cold", "warm"):
    rows = []
    for path in sorted(glob.glob(f"{out}/{run}-*.json")):
        go, s2i = json.load(open(path))["results"]
        cpu = lambda x: x["user"] + x["system"]
        rows.append((go["mean"], s2i["mean"], cpu(go), cpu(s2i)))
    if not rows:
        continue
    wall = [s / g for g, s, _, _ in rows]
    cpus = [s / g for _, _, g, s in rows]
    mean = lambda i: statistics.mean(r[i] for r in rows)
    print(f"{run}, {len(rows)} rounds: go build {mean(0):.3f} s wall, {mean(2):.3f} s CPU; "
          f"s2i-assemble {mean(1):.3f} s wall, {mean(3):.3f} s CPU")
    print(f"  ratio s2i-assemble / go build, median of rounds: wall {statistics.median(wall):.3f}x, "
          f"CPU {statistics.median(cpus):.3f}x (target <= 1.03x); "
          f"rounds by CPU: {', '.join(f'{c:.3f}' for c in cpus)}")
PY
