# shellcheck shell=bash
# Shared by run.sh and long.sh (sourced): configures and builds build-fuzz, and reads the manifest
# CMake writes there (fuzz_targets.txt: "name max_len seed_dir..." per target, see fuzz_targets.cmake).
# Needs clang (Debian: clang-14, which ships libclang_rt.fuzzer), libssl-dev, nlohmann-json3-dev,
# libprotobuf-dev, libboost-dev, libtomlplusplus-dev, libspdlog-dev.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${FUZZ_OUT:-$ROOT/build-fuzz}"
MANIFEST="$OUT/fuzz_targets.txt"

build_fuzz_targets() {
  local cc="${FUZZ_CC:-clang}" cxx="${FUZZ_CXX:-clang++}"
  command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (apt-get install clang)" >&2; exit 2; }
  if ! grep -qs '^CHRYSALIS_FUZZ:BOOL=ON' "$OUT/CMakeCache.txt"; then
    CC="$cc" CXX="$cxx" cmake -S "$ROOT" -B "$OUT" -G Ninja -DCHRYSALIS_FUZZ=ON >/dev/null
  fi
  if ! ninja -C "$OUT" -j "${JOBS:-$(nproc)}" >"$OUT/build.log" 2>&1; then
    tail -40 "$OUT/build.log" >&2
    echo "fuzz: building the targets failed (whole log: $OUT/build.log)" >&2
    exit 2
  fi
}

# Prints the manifest lines of the named targets (all when none is named), in manifest order,
# without seed dirs that do not exist (libFuzzer would refuse to start).
manifest_lines() {
  local name max_len dirs dir line
  while read -r name max_len dirs; do
    if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
    line="$name $max_len"
    for dir in $dirs; do
      if [ -d "$dir" ]; then line+=" $dir"; fi
    done
    echo "$line"
  done <"$MANIFEST"
}

# The last value libFuzzer printed for a status field ("cov", "ft", "corp") or a final stat.
status_field() { grep -o " $2: [0-9/a-zA-Z]*" "$1" | tail -1 | awk '{print $2}'; }
final_stat() { grep "^stat::$2:" "$1" | awk '{print $2}'; }

# After a failed run: the log's end and the reproducer libFuzzer wrote.
report_crash() {
  local name="$1" log="$2"
  echo "fuzz: $name FAILED; the end of its log ($log):" >&2
  tail -40 "$log" >&2
  local unit
  unit="$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //')"
  if [ -n "$unit" ]; then
    echo "fuzz: $name reproducer: $unit  (rerun: $OUT/$name $unit)" >&2
  fi
}
