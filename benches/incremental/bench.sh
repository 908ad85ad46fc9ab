#!/usr/bin/env bash
# Incremental builds, side by side in one hyperfine run on the generated app
# (a few hundred packages plus one module dependency from a file:// proxy),
# each in a fresh application root as the builder image has it (its
# pre-compiled standard library in GOCACHE, named by S2I_GO_BASE_CACHE, as
# image/Dockerfile does):
#   clean        s2i-assemble without artifacts (the image's first build);
#   incremental  s2i-assemble restoring the previous build's saved stream
#                (a tar file: extraction included), then s2i-save-artifacts;
#   floor        plain `go build` with an already-warm cache;
#   s2i-assemble alone, its caches in place (no restore, no save): what
#                assemble itself adds to the floor, for comparison.
# Every run first makes the same small code change (a new constant in the
# main package), so no command gets away with a no-op build.
# Then the size of the saved stream after 10 builds, each changing code and
# the dependency's version, against the classic images' approach (all of the
# module cache plus the whole build cache, never pruned).
#
#   benches/incremental/bench.sh     # PACKAGES=300 RUNS=5
#
# Needs hyperfine, python3 and a Go (PATH first, else `cargo xtask tools`).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

PACKAGES=${PACKAGES:-300}
RUNS=${RUNS:-5}
OUT=${OUT:-$root/target/bench-incremental}

. benches/go-env.sh
go_bench_tools

cargo build --quiet --release -p s2i-assemble -p s2i-save-artifacts
assemble=$root/target/release/s2i-assemble
save=$root/target/release/s2i-save-artifacts

go_bench_workdir incremental
mkdir -p "$OUT" "$work/floor"

cargo run --quiet -p s2i-assemble --example generate_app -- "$work/src" "$PACKAGES"

# Hermetic, offline Go; the dependency comes from a local proxy.
go_bench_hermetic_go
export GOPATH=$work/gopath HOME=$work/home
export GOPROXY=file://$work/proxy
unset APP_ROOT S2I_GO_BASE_CACHE
python3 benches/incremental/make_proxy.py "$work/proxy" 11

cat > "$work/src/dep.go" <<'GO'
package main

import "example.com/greeting"

var dependency = greeting.Hello()
GO
(cd "$work/src" && GOCACHE=$work/scratch-cache GOMODCACHE=$work/scratch-mod GOFLAGS=-mod=mod go get example.com/greeting@v1.0.0 >/dev/null 2>&1)
# The small code change each run makes: a new constant in the main package.
cat > "$work/edit.sh" <<SH
#!/bin/sh
printf 'package main\n\nconst edit = %s\n' "\$(date +%s%N)" > "$work/src/edit.go"
SH
chmod +x "$work/edit.sh"
edit=$work/edit.sh
$edit

app=$work/app
s2i="$assemble --src $work/src --app-root $app"
# A fresh application root as the builder image ships it: the standard
# library pre-compiled, hard-linked from the base cache. The previous one is
# moved aside, not deleted (all are deleted at the end): on a file system
# without a journal (this machine's ext4), creating files within a minute of
# deleting thousands near them is several times slower (ext4's
# recently_deleted() check on every new inode; seen with perf), which would
# time the benchmark's own clean-up instead of the build. A real build runs
# in a fresh container, with nothing deleted just before.
mkdir -p "$work/trash"
fresh_app="if [ -e $app ]; then mv $app $work/trash/\$(date +%s%N); fi; mkdir -p $app/.cache && cp -al $work/base $app/.cache/go-build"

# The image's base cache, the previous image's saved stream, and the floor's
# warm caches.
GOCACHE=$work/base GOMODCACHE=$work/scratch-mod go build -trimpath std
export S2I_GO_BASE_CACHE=$work/base
eval "$fresh_app"
$s2i --artifacts "$work/none" >/dev/null
APP_ROOT=$app $save > "$work/saved.tar"
mkdir -p "$work/warm" && cp -a "$work/base" "$work/warm/go-build"
export GOCACHE=$work/warm/go-build GOMODCACHE=$work/warm/go-mod
(cd "$work/src" && go build -trimpath -o "$work/floor/app" .)
unset GOCACHE GOMODCACHE

echo "== $(go version); $PACKAGES packages + 1 module dependency; $(nproc) cores"
echo "== saved stream of the previous build: $(du -h "$work/saved.tar" | cut -f1)"
hyperfine --style basic --runs "$RUNS" \
  --export-markdown "$OUT/builds.md" --export-json "$OUT/builds.json" \
  --command-name "clean (s2i-assemble, no artifacts)" \
  --prepare "$fresh_app; $edit" \
  "$s2i --artifacts $work/none" \
  --command-name "incremental (restore + s2i-assemble + s2i-save-artifacts)" \
  --prepare "$fresh_app; cp $work/saved.tar $work/in.tar; $edit" \
  "$s2i --artifacts $work/in.tar && APP_ROOT=$app $save > $work/out.tar" \
  --command-name "floor (go build, warm cache)" \
  --prepare "$edit" \
  "cd $work/src && GOCACHE=$work/warm/go-build GOMODCACHE=$work/warm/go-mod go build -trimpath -o $work/floor/app ." \
  --command-name "s2i-assemble alone (its caches already in place)" \
  --prepare "$edit" \
  "$s2i --artifacts $work/none"

# Both built a program (not run: the generated app computes for minutes).
test -x "$app/gobinary" && test -x "$work/floor/app"

python3 - "$OUT/builds.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
clean, inc, floor, alone = (r[k] for k in sorted(r, key=lambda k: ["clean", "incremental", "floor", "s2i-assemble"].index(k.split()[0])))
print(f"incremental {inc:.2f}s = {inc/floor:.2f}x the floor ({floor:.2f}s; target <= 1.25x), "
      f"{clean/inc:.1f}x faster than clean ({clean:.2f}s; target >= 5x); "
      f"s2i-assemble alone {alone:.2f}s = {alone/floor:.2f}x the floor")
PY

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
