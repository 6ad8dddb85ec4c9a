#!/usr/bin/env bash
# Cost of one TDX quote verification, cold (full chain + signatures) and cached (SHA-256 of the quote
# + LRU hit), for the two real Intel quotes and a quote from the development CA.
# Usage: bench/attest/quote_verify.sh [iterations=300]   (CHRYSALIS_BIN overrides build/chrysalis)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${CHRYSALIS_BIN:-$ROOT/build/chrysalis}"
N="${1:-300}"
NOW="2026-06-01T00:00:00Z"  # inside both sample PCK leaves' validity
[[ -x "$BIN" ]] || { echo "build $BIN first" >&2; exit 2; }
for q in dcap-qvl_tdx_quote_v4.dat go-tdx-guest_quote_v5_sample.dat; do
  "$BIN" attest bench-verify --quote "$ROOT/tests/data/tdx/$q" --trust intel --now "$NOW" --iterations "$N"
  echo
done
