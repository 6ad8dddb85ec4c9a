#!/usr/bin/env bash
# Where each node's CPU goes under load (`make bench-profile`): the mock engine, one proxy, one
# worker, one client (e2e sealed, the default), wrk at concurrency 30 on the client, and
# `perf record` on each node meanwhile. Prints each node's CPU ms per request and the top of its
# profile (self time by symbol); writes them to $PROFILE_RESULTS (default: none).
# Settings: PROFILE_SECONDS (10), PROFILE_CONCURRENCY (30), PROFILE_TOP (25), PROFILE_PROXY,
# PROFILE_WORKER, PROFILE_CLIENT (extra TOML lines for that node's config, at the end of its first
# section, e.g. PROFILE_CLIENT='e2e = "off"' for a before/after), PROFILE_ENGINE (the same for the
# worker's [engine]).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=${CHRYSALIS_BIN:-build/chrysalis}
MOCK_ENGINE=${BENCH_MOCK_ENGINE:-$(dirname "$BIN")/mock_engine}
SECONDS_LOAD=${PROFILE_SECONDS:-10}
C=${PROFILE_CONCURRENCY:-30}
TOP=${PROFILE_TOP:-25}
RESULTS=${PROFILE_RESULTS:-}
for tool in wrk perf curl; do command -v "$tool" >/dev/null || { echo "'$tool' is not installed" >&2; exit 1; }; done
[[ -x $BIN && -x $MOCK_ENGINE ]] || { echo "run 'make build' first" >&2; exit 1; }

WORK=$(mktemp -d /tmp/chrysalis-profile.XXXXXX)
declare -A PID=()
cleanup() {
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ ${PROFILE_KEEP:-0} == 1 ]] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
read -r -a P <<<"$(python3 -c '
import socket
ss=[socket.socket() for _ in range(7)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
MOCK=${P[0]} PHTTP=${P[1]} PW=${P[2]} PC=${P[3]} WHTTP=${P[4]} CHTTP=${P[5]}

"$BIN" attest dev-ca --out "$WORK/devca" >/dev/null
MODEL=mock-model
HASH=$(printf %s "$MODEL" | sha256sum | cut -d' ' -f1)
probe() { printf '[attestation]\nprovider = "sim"\ndev_ca = "%s"\ntrust = ["dev:%s"]\nmodels = { "%s" = "%s" }\n' \
  "$WORK/devca" "$WORK/devca" "$MODEL" "$HASH"; }
probe >"$WORK/probe.toml"
WIMG=$("$BIN" attest image-hash --config "$WORK/probe.toml" --role worker)
printf 'allowed_worker_images = ["%s"]\n' "$WIMG" >>"$WORK/probe.toml"
PIMG=$("$BIN" attest image-hash --config "$WORK/probe.toml" --role proxy)
attestation() { probe | sed "s|provider = \"sim\"|provider = \"$1\"|" | { [[ $1 == sim ]] && cat || grep -v '^dev_ca'; }
  printf 'allowed_proxy_images = ["%s"]\nallowed_worker_images = ["%s"]\n' "$PIMG" "$WIMG"; }
cat >"$WORK/proxy.toml" <<EOF
[proxy]
id = "profile-proxy"
http = "127.0.0.1:$PHTTP"
worker_listen = "127.0.0.1:$PW"
client_listen = "127.0.0.1:$PC"
${PROFILE_PROXY:-}
[tls]
dir = "$WORK/proxy"
$(attestation sim)
EOF
cat >"$WORK/worker.toml" <<EOF
[worker]
id = "profile-worker"
model = "$MODEL"
max_concurrent = 256
proxies = ["127.0.0.1:$PW"]
http = "127.0.0.1:$WHTTP"
${PROFILE_WORKER:-}
[engine]
kind = "external"
url = "http://127.0.0.1:$MOCK"
model_sha256 = "$HASH"
${PROFILE_ENGINE:-}
[tls]
dir = "$WORK/worker"
$(attestation sim)
EOF
cat >"$WORK/client.toml" <<EOF
[client]
http = "127.0.0.1:$CHTTP"
proxies = ["127.0.0.1:$PC"]
${PROFILE_CLIENT:-}
[tls]
dir = "$WORK/client"
$(attestation none)
EOF
"$MOCK_ENGINE" --port "$MOCK" --chunks 50 --bytes 128 --model "$MODEL" >"$WORK/mock.log" 2>&1 & PID[mock]=$!
for n in proxy worker client; do "$BIN" "$n" --config "$WORK/$n.toml" >"$WORK/$n.log" 2>&1 & PID[$n]=$!; done
ok() { curl -sfN --max-time 5 "http://127.0.0.1:$CHTTP/v1/chat/completions" -H 'Content-Type: application/json' \
  -d "{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true}" | grep -q 'data: \[DONE\]'; }
for _ in $(seq 150); do ok && break; sleep 0.2; done
ok || { echo "the network did not come up; logs in $WORK" >&2; PROFILE_KEEP=1; exit 1; }
BENCH_MODEL=$MODEL wrk -t1 -c"$C" -d3s -s bench/chat-stream.lua "http://127.0.0.1:$CHTTP/v1/chat/completions" >/dev/null

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
declare -A T0=()
for n in "${!PID[@]}"; do T0[$n]=$(ticks "${PID[$n]}"); done
PERFS=()
for n in proxy worker client; do
  [[ ${PROFILE_PERF:-1} == 0 ]] && break  # CPU per request alone, without perf's own overhead
  perf record -F 499 ${PROFILE_CALLGRAPH:--g} -p "${PID[$n]}" -o "$WORK/$n.perf" -- sleep "$SECONDS_LOAD" >/dev/null 2>&1 & PERFS+=($!)
  perf stat -x, -e raw_syscalls:sys_enter,context-switches -p "${PID[$n]}" -o "$WORK/$n.stat" -- sleep "$SECONDS_LOAD" \
    >/dev/null 2>&1 & PERFS+=($!)
done
BENCH_MODEL=$MODEL wrk -t1 -c"$C" -d"${SECONDS_LOAD}s" -s bench/chat-stream.lua \
  "http://127.0.0.1:$CHTTP/v1/chat/completions" >"$WORK/wrk.txt"
((${#PERFS[@]})) && { wait "${PERFS[@]}" || true; }
REQ=$(grep '^WRK_JSON ' "$WORK/wrk.txt" | tail -1 | cut -d' ' -f2- | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
HZ=$(getconf CLK_TCK)
{
  echo "profile: wrk -c$C ${SECONDS_LOAD}s through client -> proxy -> worker -> mock (50 chunks x 128 B); $REQ requests"
  for v in PROFILE_PROXY PROFILE_WORKER PROFILE_ENGINE PROFILE_CLIENT; do
    [[ -n ${!v:-} ]] && echo "config: $v: ${!v}"
  done
  for n in client proxy worker mock; do
    t=$(( $(ticks "${PID[$n]}") - T0[$n] ))
    awk -v n="$n" -v t="$t" -v hz="$HZ" -v r="$REQ" 'BEGIN { printf "%-7s CPU ms per request: %.3f", n, t * 1000 / hz / r }'
    if [[ -f $WORK/$n.stat ]]; then
      awk -F, -v r="$REQ" '$3 == "raw_syscalls:sys_enter" { s = $1 } $3 == "context-switches" { c = $1 }
        END { printf "   syscalls per request: %.1f   context switches per request: %.1f", s / r, c / r }' "$WORK/$n.stat"
    fi
    echo
  done
  for n in client proxy worker; do
    [[ -f $WORK/$n.perf ]] || continue
    echo
    echo "== $n: top $TOP symbols by self time"
    perf report -i "$WORK/$n.perf" --no-children --sort symbol --stdio 2>/dev/null | grep -E "^ +[0-9.]+%" | sed -E "s/ +-? *-? *$//" | cut -c1-150 | awk -v n="$TOP" 'NR <= n'  # reads to the end: head would cut the pipe (SIGPIPE, exit 141 under pipefail)
  done
} | tee "${RESULTS:-/dev/null}"
