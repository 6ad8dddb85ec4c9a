#!/usr/bin/env bash
# Builds the TDX quote parser fuzz target (CMake target quote_parser_fuzz: clang++, libFuzzer +
# AddressSanitizer + UBSan, only the sources it needs) in its own build dir, then runs it for a
# bounded time with the real sample quotes as seed corpus. Usage: tests/fuzz/run.sh [seconds=30].
# Needs clang (Debian: clang-14, which ships libclang_rt.fuzzer) and libssl-dev, nlohmann-json3-dev.
set -euo pipefail
SECONDS_TO_RUN="${1:-30}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${FUZZ_OUT:-$ROOT/build-fuzz}"
CC_FUZZ="${FUZZ_CC:-clang}"
CXX="${FUZZ_CXX:-clang++}"
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (apt-get install clang)" >&2; exit 2; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
cp "$ROOT"/tests/data/tdx/*.dat "$OUT/corpus/"

if ! grep -qs '^CHRYSALIS_FUZZ:BOOL=ON' "$OUT/CMakeCache.txt"; then
  CC="$CC_FUZZ" CXX="$CXX" cmake -S "$ROOT" -B "$OUT" -G Ninja -DCHRYSALIS_FUZZ=ON >/dev/null
fi
ninja -C "$OUT" -j "${JOBS:-$(nproc)}" quote_parser_fuzz
BIN="$OUT/quote_parser_fuzz"
echo "fuzz: running for ${SECONDS_TO_RUN}s"
# The seed corpus is copied, so new inputs libFuzzer keeps never touch tests/data.
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus" 2>&1 | tail -20
echo "fuzz: no crash in ${SECONDS_TO_RUN}s"
