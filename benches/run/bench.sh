#!/usr/bin/env bash
# s2i-run against the alternatives, side by side in one run:
#  1. exec mode: start-to-exit overhead of `s2i-run -- /bin/true` over running
#     /bin/true directly, against a bash `run` script (#!/bin/bash, exec "$@");
#  2. supervisor mode (S2I_RUN_INIT=always): the same overhead against tini,
#     tini-static, dumb-init and catatonit;
#  3. the supervisor's resident memory (VmRSS) while a `sleep` child runs;
#  4. the size of the stripped static dist/s2i-run.
# Targets (issue 2): exec overhead <= 1/4 of the bash script's; supervisor
# overhead <= tini's; RSS <= tini-static's; size < 600 KB.
#
# Usage: benches/run/bench.sh [RUNS]   (default 1000 runs per command)
# Needs hyperfine, tini, dumb-init, catatonit (Debian packages; .ci/run
# installs them). Builds dist/ first with `cargo xtask dist`, so that the
# current code is measured; S2I_RUN=/path/to/s2i-run measures another build.
# Writes the report to stdout and to target/bench-run/report.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs=${1:-1000}

for tool in hyperfine tini dumb-init catatonit python3; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
tini_static=$(command -v tini-static || true)

if [ -z "${S2I_RUN:-}" ]; then
  echo "bench.sh: building dist/ (cargo xtask dist)" >&2
  cargo xtask dist >&2
fi
s2i_run=${S2I_RUN:-$root/dist/s2i-run}

out=$root/target/bench-run
mkdir -p "$out"
work=$(mktemp -d /tmp/s2i-bench-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The classic S2I run script, reduced to its exec.
run_script=$work/run
printf '#!/bin/bash\nexec "$@"\n' >"$run_script"
chmod +x "$run_script"

true_bin=$(command -v true)
unset S2I_RUN_INIT S2I_RUN_VERBOSE APP_ARGS

# Load from other work drifts over a run: measure in many short rounds, so
# that every command is sampled all along; the report pools the samples.
rounds=${ROUNDS:-20}
per_round=$(((runs + rounds - 1) / rounds))
supervisors=(-n direct "$true_bin"
  -n s2i-run "$s2i_run -- $true_bin"
  -n tini "tini -s -- $true_bin")
[ -n "$tini_static" ] && supervisors+=(-n tini-static "$tini_static -s -- $true_bin")
supervisors+=(-n dumb-init "dumb-init $true_bin"
  -n catatonit "catatonit -- $true_bin")
rm -f "$out"/exec-*.json "$out"/supervisor-*.json
for round in $(seq "$rounds"); do
  echo "bench.sh: round $round/$rounds: exec mode" >&2
  hyperfine -N --style none --warmup 20 --runs "$per_round" \
    --export-json "$out/exec-$round.json" \
    -n direct "$true_bin" \
    -n s2i-run "$s2i_run -- $true_bin" \
    -n "bash run script" "$run_script $true_bin" >/dev/null
  echo "bench.sh: round $round/$rounds: supervisor mode" >&2
  S2I_RUN_INIT=always hyperfine -N --style none --warmup 20 --runs "$per_round" \
    --export-json "$out/supervisor-$round.json" "${supervisors[@]}" >/dev/null
done

# Resident memory of a supervisor while its child sleeps.
rss_kb() {
  local pid child=""
  "$@" sleep 30 &
  pid=$!
  for _ in $(seq 500); do
    child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
    # The child counts once it has exec'd sleep (before, it is a copy of us).
    if [ -n "$child" ] && [ "$(readlink "/proc/${child%% *}/exe" 2>/dev/null)" != "$(readlink "/proc/$pid/exe")" ]; then
      break
    fi
    sleep 0.01
  done
  sleep 0.1
  awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
echo "bench.sh: resident memory" >&2
rss_s2i=$(S2I_RUN_INIT=always rss_kb "$s2i_run" --)
rss_tini=$(rss_kb tini -s --)
rss_tini_static=""
[ -n "$tini_static" ] && rss_tini_static=$(rss_kb "$tini_static" -s --)
rss_dumb=$(rss_kb dumb-init)
rss_cat=$(rss_kb catatonit --)

size=$(stat -c %s "$s2i_run")
stripped=$(file -b "$s2i_run" 2>/dev/null | grep -o 'not stripped\|stripped' || echo "stripped?")
load=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$out" "$size" "$stripped" "$rss_s2i" "$rss_tini" "$rss_tini_static" \
  "$rss_dumb" "$rss_cat" "$((per_round * rounds))" "$rounds" "$load" <<'PY' | tee "$out/report.md"
import glob, json, statistics, sys
(out, size, stripped, rss_s2i, rss_tini, rss_tini_static, rss_dumb, rss_cat,
 runs, rounds, load) = sys.argv[1:]

def pooled(kind):
    """Each command's samples over every round: median and minimum wall time,
    mean CPU time (user+sys, which other work on the machine hardly moves)."""
    acc = {}
    for path in sorted(glob.glob(f"{out}/{kind}-*.json")):
        for r in json.load(open(path))["results"]:
            a = acc.setdefault(r["command"], {"times": [], "cpu": 0.0})
            a["times"] += r["times"]
            a["cpu"] += (r["user"] + r["system"]) * len(r["times"])
    return {name: {"median": statistics.median(a["times"]), "min": min(a["times"]),
                   "cpu": a["cpu"] / len(a["times"])}
            for name, a in acc.items()}

def us(s):
    return f"{s * 1e6:.0f} µs"

def table(results):
    base = results["direct"]
    print("| command | median wall | overhead | min wall | overhead | CPU (user+sys) | overhead |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | " + " | ".join(
            f"{us(r[k])} | {us(r[k] - base[k])}" for k in ("median", "min", "cpu")) + " |")

def ratio(results, mine, other, target):
    base = results["direct"]
    parts = []
    for key, label in (("median", "median wall"), ("min", "min wall"), ("cpu", "CPU")):
        r = (results[mine][key] - base[key]) / (results[other][key] - base[key])
        parts.append(f"**{r:.2f}** by {label} ({'met' if r <= target else 'MISSED'})")
    print(f"- {mine}'s overhead / {other}'s: " + ", ".join(parts) + f"; target ≤ {target:g}")

exec_, sup = pooled("exec"), pooled("supervisor")
print(f"{runs} runs of each command (`hyperfine -N`, {rounds} interleaved rounds), "
      f"`/bin/true` as the program; load average at the end: {load}.\n")
print("**Exec mode** (not PID 1, `S2I_RUN_INIT` unset):\n")
table(exec_)
print()
ratio(exec_, "s2i-run", "bash run script", 0.25)
print("\n**Supervisor mode** (`S2I_RUN_INIT=always`; tini with `-s`, a subreaper like s2i-run):\n")
table(sup)
print()
for other in ("tini", "tini-static"):
    if other in sup:
        ratio(sup, "s2i-run", other, 1)

print("\n**Supervisor resident memory** (VmRSS while a `sleep` child runs):\n")
print("| supervisor | VmRSS |")
print("|---|---|")
for name, kb in (("s2i-run", rss_s2i), ("tini", rss_tini), ("tini-static", rss_tini_static),
                 ("dumb-init", rss_dumb), ("catatonit", rss_cat)):
    if kb:
        print(f"| {name} | {kb} kB |")
if rss_tini_static:
    r = int(rss_s2i) / int(rss_tini_static)
    print(f"\n- s2i-run / tini-static: **{r:.2f}** ({'met' if r <= 1 else 'MISSED'}; target ≤ 1)")

size = int(size)
print(f"\n**Size** of dist/s2i-run ({stripped}, static): {size} bytes = {size / 1024:.1f} KiB "
      f"(target < 600 KB: {'met' if size < 600 * 1024 else 'MISSED'} counting KB as 1024 bytes, "
      f"{'met' if size < 600_000 else 'missed'} counting 1000)")
PY
