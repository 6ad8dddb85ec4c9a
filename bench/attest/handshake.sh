#!/usr/bin/env bash
# Cost of one RA-TLS handshake vs a plain TLS 1.3 handshake, in one run on this machine: mutual
# TLS 1.3 over loopback with self-signed Ed25519 certificates (plain), then the worker<->proxy hop
# with simulated-TEE quotes verified on both sides, cached and cold. Prints a table and, as its
# last line, the JSON of `chrysalis attest bench-handshake`.
# Usage: bench/attest/handshake.sh [iterations=300]   (CHRYSALIS_BIN overrides build/chrysalis)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${CHRYSALIS_BIN:-$ROOT/build/chrysalis}"
N="${1:-300}"
[[ -x "$BIN" ]] || { echo "build $BIN first" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN" attest dev-ca --out "$WORK/devca" >/dev/null
"$BIN" attest bench-handshake --dev-ca "$WORK/devca" --iterations "$N" >"$WORK/out.json"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const base = r.results[0].mean_ms;
console.log("| variant | handshakes | mean ms | p50 ms | p95 ms | vs plain |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const v of r.results)
  console.log(`| ${v.variant} | ${v.iterations} | ${v.mean_ms.toFixed(3)} | ${v.p50_ms.toFixed(3)} | ${v.p95_ms.toFixed(3)} | ${(v.mean_ms / base).toFixed(2)}x |`);
console.log(`certificates: plain ${r.certificates.plain_cert_pem_bytes} B PEM, RA-TLS ${r.certificates.ra_tls_cert_pem_bytes} B PEM`);
console.log(JSON.stringify(r));
' "$WORK/out.json"
