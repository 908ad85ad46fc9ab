#!/usr/bin/env bash
# s2i-save-artifacts against `cat` of the same files to the same sink, side
# by side in interleaved hyperfine rounds: what streaming the caches costs
# over copying their bytes. The caches are those of one s2i-assemble build
# of the fixture in an application root as the builder image has it (the
# standard library pre-compiled in the base cache, left out of the stream).
# Two sinks: a file on the same file system (`> out.tar`, s2i's
# --as-dockerfile flow and the benchmark's), and a pipe (`| cat > /dev/null`,
# what s2i reads from a container).
#
#   benches/save-artifacts/bench.sh   # FIXTURE=large ROUNDS=8 RUNS=3 [S2I_BIN=dir] [BEFORE_BIN=dir]
#   APP=dir S2I_GO_BASE_CACHE=dir benches/save-artifacts/bench.sh   # an application root already built
#
# FIXTURE=large is the s2i CLI's module (go_bench_large_module in
# benches/go-env.sh: needs the Go module proxy the first time);
# FIXTURE=generated the generated app of PACKAGES packages. S2I_BIN: the
# binaries to measure (default: this tree's dist/, as the image ships them); BEFORE_BIN:
# another build's s2i-save-artifacts, measured too, and its stream compared
# byte for byte. Needs hyperfine, python3 and a Go (PATH first, else
# `cargo xtask tools`).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

FIXTURE=${FIXTURE:-large}
PACKAGES=${PACKAGES:-300}
ROUNDS=${ROUNDS:-8}
RUNS=${RUNS:-3}
OUT=${OUT:-$root/target/bench-save-artifacts}

. benches/go-env.sh
go_bench_tools
if [ -z "${S2I_BIN:-}" ]; then
  # The binaries the image ships: static, musl (cargo xtask dist).
  cargo xtask dist >/dev/null
  S2I_BIN=$root/dist
fi
save=$S2I_BIN/s2i-save-artifacts

go_bench_workdir save-artifacts
mkdir -p "$OUT"
unset S2I_SAVE_ARTIFACTS_PATHS
if [ -n "${APP:-}" ]; then
  FIXTURE="the application root $APP"
  export APP_ROOT=$APP
else
  case $FIXTURE in
    large) go_bench_large_module "$work/src" ;;
    generated) cargo run --quiet -p s2i-assemble --example generate_app -- "$work/src" "$PACKAGES" ;;
    *) echo "bench.sh: FIXTURE must be large or generated" >&2; exit 2 ;;
  esac
  go_bench_hermetic_go
  export GOPATH=$work/gopath HOME=$work/home GOPROXY=off
  unset S2I_GO_BASE_CACHE
  # The image's base cache, and an application root after one build.
  GOCACHE=$work/base GOMODCACHE=$work/scratch-mod go build -trimpath std
  export S2I_GO_BASE_CACHE=$work/base APP_ROOT=$work/app
  mkdir -p "$work/app/.cache" && cp -al "$work/base" "$work/app/.cache/go-build"
  "$S2I_BIN/s2i-assemble" --src "$work/src" --app-root "$work/app" --artifacts "$work/none" >/dev/null
fi

# Dated three hours back: the stream dates newer build-cache entries two
# hours before now, so two runs a second apart would differ in their headers.
find "$APP_ROOT/.cache" -exec touch -h -d '3 hours ago' {} +

# The files of the stream, in its order, as paths on disk: what cat copies.
"$save" > "$work/saved.tar"
python3 - "$work/saved.tar" "$APP_ROOT/.cache" > "$work/files" <<'PY'
import sys, tarfile
stream, caches = sys.argv[1:]
dirs = {"go-build": "go-build", "go-mod": "go-mod"}
for member in tarfile.open(stream):
    if member.isfile():
        top, _, rest = member.name.partition("/")
        sys.stdout.write(f"{caches}/{dirs[top]}/{rest}\0")
PY
cat_files="xargs -0 -s $(( $(getconf ARG_MAX) - 65536 )) cat -- < $work/files"
files=$(tr -cd '\0' < "$work/files" | wc -c)
bytes=$(xargs -0 -s $(( $(getconf ARG_MAX) - 65536 )) stat -c %s -- < "$work/files" | paste -sd+ | bc)
# cat copies the very bytes of the stream's files.
cmp <(eval "$cat_files") <(python3 -c '
import shutil, sys, tarfile
with tarfile.open(sys.argv[1]) as stream:
    for member in stream:
        if member.isfile():
            shutil.copyfileobj(stream.extractfile(member), sys.stdout.buffer)
' "$work/saved.tar")
if [ -n "${BEFORE_BIN:-}" ]; then
  "$BEFORE_BIN/s2i-save-artifacts" > "$work/before.tar"
  cmp "$work/saved.tar" "$work/before.tar" && echo "== the stream is byte for byte that of $BEFORE_BIN"
fi

echo "== fixture: $FIXTURE; $files files, $bytes bytes in the stream ($(stat -c %s "$work/saved.tar") bytes); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
commands=(
  -n "s2i-save-artifacts to a file" --prepare "rm -f $work/out.tar" "$save > $work/out.tar"
  -n "cat to a file" --prepare "rm -f $work/out.tar" "$cat_files > $work/out.tar"
  -n "s2i-save-artifacts to a pipe" --prepare "true" "$save | cat > /dev/null"
  -n "cat to a pipe" --prepare "true" "$cat_files | cat > /dev/null"
)
if [ -n "${BEFORE_BIN:-}" ]; then
  commands+=(
    -n "before to a file" --prepare "rm -f $work/out.tar" "$BEFORE_BIN/s2i-save-artifacts > $work/out.tar"
    -n "before to a pipe" --prepare "true" "$BEFORE_BIN/s2i-save-artifacts | cat > /dev/null"
  )
fi
rm -f "$OUT"/round-*.json
for n in $(seq "$ROUNDS"); do
  hyperfine --style basic --runs "$RUNS" --warmup 1 --export-json "$OUT/round-$n.json" \
    "${commands[@]}" 2>/dev/null | grep -E '^(Benchmark|  Time)'
done

python3 - "$OUT" "$ROUNDS" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY' | tee "$OUT/summary.md"
import json, statistics, sys
out, rounds, runs, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
results = [json.load(open(f"{out}/round-{n}.json"))["results"] for n in range(1, rounds + 1)]
names = [r["command"] for r in results[0]]
cpu = lambda r: r["user"] + r["system"]
print(f"{rounds} rounds of {runs} runs; load at the end {load}")
print("| command | mean wall | mean CPU (user+sys) |")
print("|---|---:|---:|")
for i, name in enumerate(names):
    wall = statistics.mean(r[i]["mean"] for r in results)
    print(f"| {name} | {wall:.3f} s | {statistics.mean(cpu(r[i]) for r in results):.3f} s |")
def ratio(a, b, by):
    values = [by(r[a]) / by(r[b]) for r in results]
    return statistics.median(values), values
pairs = [(0, 1), (2, 3)]
if len(names) > 4:
    pairs += [(4, 1), (5, 3)]
for a, b in pairs:
    wall, rounds_wall = ratio(a, b, lambda r: r["mean"])
    c, _ = ratio(a, b, cpu)
    print(f"- {names[a]} / {names[b]}: **{wall:.2f}x** by wall (rounds "
          + ", ".join(f"{x:.2f}" for x in rounds_wall) + f"), {c:.2f}x by CPU (target <= 1.2x)")
PY
