#!/usr/bin/env bash
# Incremental builds, side by side in one hyperfine run, on one of two
# fixtures (FIXTURE): `generated`, the generated app (a few hundred packages
# plus one module dependency from a file:// proxy), or `large`, a large real
# module: the s2i CLI's own (github.com/openshift/source-to-image, vendored,
# a library at its root and the program under cmd/s2i; see
# go_bench_large_module in benches/go-env.sh). Each command runs in a fresh application root as the builder image has it (its
# pre-compiled standard library in GOCACHE, named by S2I_GO_BASE_CACHE, as
# image/Dockerfile does):
#   incremental  s2i-assemble restoring the previous build's saved stream as
#                s2i hands it over (extracted into an artifacts directory
#                before assemble starts), then s2i-save-artifacts;
#   incremental from a tar file
#                the same, restoring from the stream as a tar file: the
#                extraction s2i does is timed too;
#   floor        plain `go build` with an already-warm cache;
#   s2i-assemble alone, its caches in place (no restore, no save): what
#                assemble itself adds to the floor, for comparison;
#   clean        s2i-assemble without artifacts (the image's first build).
# The previous build is itself incremental (the steady state of a
# BuildConfig with `incremental: true`). Every run first makes the same small
# code change (a new constant in the main package), so no command gets away
# with a no-op build.
# Then, for the generated app, the size of the saved stream after 10 builds,
# each changing code and the dependency's version, against the classic images' approach (all of the
# module cache plus the whole build cache, never pruned).
#
#   benches/incremental/bench.sh     # FIXTURE=generated PACKAGES=300 ROUNDS=8 RUNS=2 CLEAN_RUNS=3 [S2I_BIN=dir]
#   FIXTURE=large benches/incremental/bench.sh
#
# Needs hyperfine, python3 and a Go (PATH first, else `cargo xtask tools`);
# FIXTURE=large the Go module proxy the first time. Start it on an idle
# machine and leave five minutes after another run: its clean-up deletes
# about 250,000 entries, and on ext4 creating files near recently deleted
# inodes is slower for minutes (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

FIXTURE=${FIXTURE:-generated}
PACKAGES=${PACKAGES:-300}
ROUNDS=${ROUNDS:-8}
RUNS=${RUNS:-2}
CLEAN_RUNS=${CLEAN_RUNS:-3}
OUT=${OUT:-$root/target/bench-incremental/$FIXTURE}

. benches/go-env.sh
go_bench_tools

# S2I_BIN: another build's binaries (say, a worktree of an older commit's
# dist/), to compare code in the same benchmark.
if [ -z "${S2I_BIN:-}" ]; then
  # The binaries the image ships: static, musl (cargo xtask dist).
  cargo xtask dist >/dev/null
  S2I_BIN=$root/dist
fi
assemble=$S2I_BIN/s2i-assemble
save=$S2I_BIN/s2i-save-artifacts

go_bench_workdir incremental
mkdir -p "$OUT" "$work/floor"

# main: the main package's directory; program: what the floor builds.
case $FIXTURE in
  generated)
    cargo run --quiet -p s2i-assemble --example generate_app -- "$work/src" "$PACKAGES"
    main=$work/src program=. ;;
  large)
    go_bench_large_module "$work/src"
    main=$work/src/cmd/s2i program=./cmd/s2i ;;
  *) echo "bench.sh: FIXTURE must be generated or large" >&2; exit 2 ;;
esac

# Hermetic, offline Go; the generated app's dependency comes from a local
# proxy (the large module is vendored).
go_bench_hermetic_go
export GOPATH=$work/gopath HOME=$work/home
export GOPROXY=file://$work/proxy
unset APP_ROOT S2I_GO_BASE_CACHE
if [ "$FIXTURE" = generated ]; then
  python3 benches/incremental/make_proxy.py "$work/proxy" 11
  cat > "$work/src/dep.go" <<'GO'
package main

import "example.com/greeting"

var dependency = greeting.Hello()
GO
  (cd "$work/src" && GOCACHE=$work/scratch-cache GOMODCACHE=$work/scratch-mod GOFLAGS=-mod=mod go get example.com/greeting@v1.0.0 >/dev/null 2>&1)
fi
# The small code change each run makes: a new constant in the main package.
cat > "$work/edit.sh" <<SH
#!/bin/sh
printf 'package main\n\nconst edit = %s\n' "\$(date +%s%N)" > "$main/edit.go"
SH
chmod +x "$work/edit.sh"
edit=$work/edit.sh
$edit

app=$work/app
s2i="$assemble --src $work/src --app-root $app"
# A fresh application root as the builder image ships it: the standard
# library pre-compiled, hard-linked from the base cache. Nothing is deleted
# while the benchmark runs (the previous root and artifacts are moved aside;
# all goes at the end), and the clean command runs last: on a file system
# without a journal (this machine's ext4), creating files within minutes of
# deleting thousands near them is several times slower (ext4's
# recently_deleted() check on every new inode; seen with perf). A clean
# build's go deletes thousands of temporary files, so running it first made
# the restores that followed pay for its clean-up. A real build runs in a
# fresh container, with nothing deleted just before.
mkdir -p "$work/trash"
aside="$work/trash/\$(date +%s%N)"
fresh_app="if [ -e $app ]; then mv $app $aside; fi; mkdir -p $app/.cache && cp -al $work/base $app/.cache/go-build"
# /tmp/artifacts as s2i hands it over: the stream extracted into a directory.
fresh_artifacts="if [ -e $work/artifacts ]; then mv $work/artifacts $aside; fi; mkdir $work/artifacts && tar -xf $work/saved.tar -C $work/artifacts"

# The image's base cache; the previous image's saved stream, from an
# incremental build; the floor's warm caches.
GOCACHE=$work/base GOMODCACHE=$work/scratch-mod go build -trimpath std
export S2I_GO_BASE_CACHE=$work/base
eval "$fresh_app"
$s2i --artifacts "$work/none" >/dev/null
APP_ROOT=$app $save > "$work/first.tar"
eval "$fresh_app"; $edit
$s2i --artifacts "$work/first.tar" >/dev/null
APP_ROOT=$app $save > "$work/saved.tar"
mkdir -p "$work/warm" && cp -a "$work/base" "$work/warm/go-build"
export GOCACHE=$work/warm/go-build GOMODCACHE=$work/warm/go-mod
(cd "$work/src" && go build -trimpath -o "$work/floor/app" "$program")
unset GOCACHE GOMODCACHE

case $FIXTURE in
  generated) echo "== $(go version); $PACKAGES packages + 1 module dependency; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" ;;
  large) echo "== $(go version); $LARGE_MODULE@$LARGE_MODULE_VERSION, vendored, ./cmd/s2i; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" ;;
esac
echo "== saved stream of the previous build: $(du -h "$work/saved.tar" | cut -f1)"
# hyperfine runs one command's runs, then the next's: on a shared machine
# the load moves in between. So the incremental builds and the floor run in
# short rounds, each round all of them, and the verdict is the median of the
# rounds' ratios.
rm -f "$OUT"/round-*.json
for n in $(seq "$ROUNDS"); do
  hyperfine --style basic --runs "$RUNS" --export-json "$OUT/round-$n.json" \
    --command-name "incremental (restore + s2i-assemble + s2i-save-artifacts)" \
    --prepare "$fresh_app; $fresh_artifacts; rm -f $work/out.tar; $edit" \
    "$s2i --artifacts $work/artifacts && APP_ROOT=$app $save > $work/out.tar" \
    --command-name "incremental from a tar file (extraction included)" \
    --prepare "$fresh_app; cp $work/saved.tar $work/in.tar; rm -f $work/out.tar; $edit" \
    "$s2i --artifacts $work/in.tar && APP_ROOT=$app $save > $work/out.tar" \
    --command-name "floor (go build, warm cache)" \
    --prepare "$edit" \
    "cd $work/src && GOCACHE=$work/warm/go-build GOMODCACHE=$work/warm/go-mod go build -trimpath -o $work/floor/app $program" \
    --command-name "s2i-assemble alone (its caches already in place)" \
    --prepare "$edit" \
    "$s2i --artifacts $work/none" | grep -E '^(Benchmark|  Time)'
done
# Last: a clean build's go deletes thousands of temporary files (see above).
hyperfine --style basic --runs "$CLEAN_RUNS" --export-json "$OUT/clean.json" \
  --command-name "clean (s2i-assemble, no artifacts)" \
  --prepare "$fresh_app; $edit" \
  "$s2i --artifacts $work/none" | grep -E '^(Benchmark|  Time)'

# Both built a program (not run: the generated app computes for minutes).
test -x "$app/gobinary" && test -x "$work/floor/app"

python3 - "$OUT" "$ROUNDS" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY' | tee "$OUT/builds.md"
import json, statistics, sys
out, rounds, runs, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
names = ["incremental", "from a tar file", "floor", "s2i-assemble alone"]
rows = [[r["mean"] for r in json.load(open(f"{out}/round-{n}.json"))["results"]]
        for n in range(1, rounds + 1)]
clean = json.load(open(f"{out}/clean.json"))["results"][0]["mean"]
mean = {name: statistics.mean(r[i] for r in rows) for i, name in enumerate(names)}
ratio = lambda i: [r[i] / r[2] for r in rows]
median = lambda i: statistics.median(ratio(i))
print(f"{rounds} rounds of {runs} runs each; mean times: "
      + ", ".join(f"{name} {mean[name]:.3f} s" for name in names)
      + f"; clean {clean:.2f} s")
print(f"load average at the end: {load}")
print(f"incremental / floor, median of rounds: **{median(0):.2f}x** (target <= 1.15x; "
      f"rounds {', '.join(f'{x:.2f}' for x in ratio(0))})")
print(f"clean / incremental: **{clean / mean['incremental']:.1f}x** faster (target >= 5x)")
print(f"from a tar file / floor: {median(1):.2f}x (rounds {', '.join(f'{x:.2f}' for x in ratio(1))}); "
      f"s2i-assemble alone / floor: {median(3):.2f}x")
# CPU time (user+sys of the whole process tree) moves less than wall time
# on a loaded machine.
cpu = [[r["user"] + r["system"] for r in json.load(open(f"{out}/round-{n}.json"))["results"]]
       for n in range(1, rounds + 1)]
cpu_ratio = lambda i: [r[i] / r[2] for r in cpu]
print("by CPU time, medians of rounds: "
      + "; ".join(f"{name} / floor {statistics.median(cpu_ratio(i)):.2f}x "
                  f"(rounds {', '.join(f'{x:.2f}' for x in cpu_ratio(i))})"
                  for i, name in enumerate(names) if i != 2))
PY

[ "$FIXTURE" = generated ] || exit 0
echo "== saved size over 10 builds, each changing code and greeting's version"
bump() { (cd "$work/src" && GOCACHE=$work/scratch-cache GOMODCACHE=$work/scratch-mod GOFLAGS=-mod=mod go get "example.com/greeting@$1" >/dev/null 2>&1); }
bump v1.0.0; $edit
eval "$fresh_app"; $s2i --artifacts "$work/none" >/dev/null
APP_ROOT=$app $save > "$work/s2i-1.tar" 2>/dev/null
classic=$work/classic
export GOCACHE=$classic/go-build GOMODCACHE=$classic/go-mod
(cd "$work/src" && go build -trimpath -o "$work/floor/app" .)
tar -C "$classic" -cf - go-build go-mod | wc -c > "$work/classic-1.size"
cp "$work/s2i-1.tar" "$work/s2i.tar"
for n in 1 2 3 4 5 6 7 8 9 10; do
  bump "v1.$n.0"; $edit
  (cd "$work/src" && go build -trimpath -o "$work/floor/app" .)
  unset GOCACHE GOMODCACHE
  eval "$fresh_app"; mv "$work/s2i.tar" "$work/in.tar"
  $s2i --artifacts "$work/in.tar" >/dev/null
  APP_ROOT=$app $save > "$work/s2i.tar" 2>/dev/null
  export GOCACHE=$classic/go-build GOMODCACHE=$classic/go-mod
done
s2i_1=$(stat -c %s "$work/s2i-1.tar"); s2i_10=$(stat -c %s "$work/s2i.tar")
classic_1=$(cat "$work/classic-1.size"); classic_10=$(tar -C "$classic" -cf - go-build go-mod | wc -c)
python3 - "$s2i_1" "$s2i_10" "$classic_1" "$classic_10" <<'PY' | tee "$OUT/sizes.md"
import sys
s1, s10, c1, c10 = (int(x) for x in sys.argv[1:])
mb = lambda b: f"{b / 1e6:.1f} MB"
print("| saved caches | after 1 build | after 10 more | growth |")
print("|---|---|---|---|")
print(f"| s2i-save-artifacts (pruned) | {mb(s1)} | {mb(s10)} | {s10 / s1:.2f}x (target <= 1.2x) |")
print(f"| classic (all of the module cache + the whole build cache) | {mb(c1)} | {mb(c10)} | {c10 / c1:.2f}x |")
print(f"\nAfter 10 builds the classic approach saves {c10 / s10:.1f}x more than s2i-save-artifacts.")
PY
