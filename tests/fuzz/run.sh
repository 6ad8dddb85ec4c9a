#!/usr/bin/env bash
# Builds the TDX quote parser fuzz target standalone with clang++ (libFuzzer + AddressSanitizer +
# UBSan) against only the sources it needs, then runs it for a bounded time with the real sample
# quotes as seed corpus. Usage: tests/fuzz/run.sh [seconds=30]. Needs clang (Debian: clang-14, which
# ships libclang_rt.fuzzer) and libssl-dev, nlohmann-json3-dev.
set -euo pipefail
SECONDS_TO_RUN="${1:-30}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${FUZZ_OUT:-$ROOT/build-fuzz}"
CXX="${FUZZ_CXX:-clang++}"
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (apt-get install clang)" >&2; exit 2; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
cp "$ROOT"/tests/data/tdx/*.dat "$OUT/corpus/"

SOURCES=(tdx_quote quote_bytes quote_json quote_verifier quote_chain quote_crypto quote_trust_anchors
         intel_root_ca sgx_extension collateral_eval collateral_json)
SRC_PATHS=()
for s in "${SOURCES[@]}"; do SRC_PATHS+=("$ROOT/src/attest/quote/$s.cpp"); done

BIN="$OUT/quote_parser_fuzz"
if [[ ! -x "$BIN" || -n "$(find "$ROOT/src/attest" "$ROOT/tests/fuzz" -newer "$BIN" -name '*.[ch]*' | head -1)" ]]; then
  echo "fuzz: building $BIN"
  "$CXX" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT/src" "$ROOT/tests/fuzz/quote_parser_fuzz.cpp" "${SRC_PATHS[@]}" -lssl -lcrypto -o "$BIN"
fi
echo "fuzz: running for ${SECONDS_TO_RUN}s"
# The seed corpus is copied, so new inputs libFuzzer keeps never touch tests/data.
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus" 2>&1 | tail -20
echo "fuzz: no crash in ${SECONDS_TO_RUN}s"
