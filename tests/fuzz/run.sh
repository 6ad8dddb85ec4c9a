#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_targets.cmake: clang, libFuzzer + ASan + UBSan, each
# linking only the objects it needs from one shared instrumented library) in build-fuzz, then runs each for a bounded time, one after another,
# seeded with its corpus under tests/fuzz/corpus/<target>/. Fails when any target crashes, and prints
# where the reproducer is. Usage: tests/fuzz/run.sh [seconds per target=15] [target...].
set -euo pipefail
SECONDS_PER_TARGET="${1:-15}"
shift || true
# shellcheck source=tests/fuzz/lib.sh
source "$(dirname "$0")/lib.sh"
build_fuzz_targets

failed=()
while read -r name max_len seeds; do
  work="$OUT/work/$name"
  # What libFuzzer adds goes to the build dir: the committed seed dirs are only read.
  mkdir -p "$work/corpus" "$work/artifacts"
  log="$work/run.log"
  # shellcheck disable=SC2086  # the seed dirs are separate arguments
  if "$OUT/$name" -max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" $seeds >"$log" 2>&1; then
    printf 'fuzz: %-20s ok   %9s runs %7s exec/s  cov %-5s ft %-6s corpus %s\n' "$name" \
      "$(final_stat "$log" number_of_executed_units)" "$(final_stat "$log" average_exec_per_sec)" \
      "$(status_field "$log" cov)" "$(status_field "$log" ft)" "$(status_field "$log" corp)"
  else
    report_crash "$name" "$log"
    failed+=("$name")
  fi
done < <(manifest_lines "$@")

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no crash, ${SECONDS_PER_TARGET}s per target"
