#!/usr/bin/env bash
# `make fuzz-long`: every fuzz target, one per core at a time (FUZZ_LONG_JOBS), for 10 million executions, each from its
# committed seeds only (a fresh corpus in build-fuzz/long/<target>/), then a table of what each run
# did in bench/results/fuzz.md. A target that would need longer than FUZZ_LONG_MAX_SECONDS (default
# 2700 s) is stopped there and the table says how far it got. Fails when any target crashes.
# Usage: tests/fuzz/long.sh [executions=10000000] [target...]
# Environment: FUZZ_LONG_MAX_SECONDS, FUZZ_RESULTS (the table's file; empty: print only).
set -euo pipefail
RUNS="${1:-10000000}"
shift || true
# shellcheck source=tests/fuzz/lib.sh
source "$(dirname "$0")/lib.sh"
MAX_SECONDS="${FUZZ_LONG_MAX_SECONDS:-2700}"
RESULTS="${FUZZ_RESULTS-$ROOT/bench/results/fuzz.md}"
build_fuzz_targets

# One target: its run, then its table row in $OUT/long/<name>/row (and CRASH in .../crashed).
run_one() {
  local name="$1" max_len="$2" seeds="$3"
  local work="$OUT/long/$name"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  local log="$work/run.log"
  echo "fuzz-long: $name (up to $RUNS executions or ${MAX_SECONDS}s)"
  local start end status=ok
  start=$(date +%s.%N)
  # shellcheck disable=SC2086  # the seed dirs are separate arguments
  "$OUT/$name" -runs="$RUNS" -max_total_time="$MAX_SECONDS" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" $seeds >"$log" 2>&1 || status=CRASH
  end=$(date +%s.%N)
  local execs wall rate corpus
  execs="$(final_stat "$log" number_of_executed_units)"
  wall="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
  rate="$(awk -v n="${execs:-0}" -v s="$wall" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')"
  corpus="$(status_field "$log" corp)"
  if [ "$status" = CRASH ]; then
    report_crash "$name" "$log"
    touch "$work/crashed"
  elif [ "${execs:-0}" -lt "$RUNS" ]; then
    status="stopped at ${MAX_SECONDS}s"
  fi
  local line="| \`$name\` | ${execs:-?} | $wall | $rate | ${corpus%%/*} (${corpus#*/}) | $(status_field "$log" cov) | $(status_field "$log" ft) | $status |"
  echo "$line"
  echo "$line" >"$work/row"
}

# FUZZ_LONG_JOBS targets at a time (default: one per core); each is one libFuzzer process.
JOBS_AT_ONCE="${FUZZ_LONG_JOBS:-$(nproc)}"
names=()
while read -r name max_len seeds; do
  names+=("$name")
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS_AT_ONCE" ]; do wait -n || true; done
  run_one "$name" "$max_len" "$seeds" &
done < <(manifest_lines "$@")
wait

rows=""
failed=()
for name in "${names[@]}"; do
  rows+="$(cat "$OUT/long/$name/row" 2>/dev/null || echo "| \`$name\` | ? | ? | ? | ? | ? | ? | no result |")"$'\n'
  [ -e "$OUT/long/$name/crashed" ] && failed+=("$name")
done

cpu="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
table="# Fuzzing: ${RUNS} executions per target

\`make fuzz-long\` (tests/fuzz/long.sh), $(date -u +%Y-%m-%d), $(nproc) cores of ${cpu}, one target at a
time per core (FUZZ_LONG_JOBS: ${JOBS_AT_ONCE}), each from its committed seeds (tests/fuzz/corpus/<target>/) with libFuzzer, ASan and UBSan
(clang $(clang --version | sed -n 's/.*clang version \([0-9.]*\).*/\1/p'), -O1). A target is stopped after ${MAX_SECONDS} s if it has not reached
${RUNS} executions by then. What each target feeds: tests/fuzz/README.md.

- **executions:** inputs run, seeds included; **exec/s** over the wall time, start-up included.
- **corpus:** inputs libFuzzer kept (and their total size): the seeds plus every input that reached new coverage.
- **cov / ft:** libFuzzer's final counts of covered code edges and of features (edges with hit-count buckets,
  and so on) in the target's own instrumented code; system libraries (OpenSSL, protobuf, toml++) are not counted.

| target | executions | wall s | exec/s | corpus (size) | cov | ft | result |
|---|---:|---:|---:|---|---:|---:|---|
${rows}"
if [ -n "$RESULTS" ]; then
  printf '%s' "$table" >"$RESULTS"
  echo "fuzz-long: wrote $RESULTS"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-long: crashes in: ${failed[*]}" >&2
  exit 1
fi
