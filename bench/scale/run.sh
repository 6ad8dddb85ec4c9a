#!/usr/bin/env bash
# Scale benchmark (`make bench-scale`, not part of `make test`): one real proxy (`chrysalis proxy`,
# simulated attestation) with SCALE_WORKERS simulated workers and SCALE_STREAMS concurrent client
# streams, all real RA-TLS connections from one load process (build target scale_load,
# bench/scale/*.cpp). Reports the proxy's RSS (after every worker connected, and peak), its CPU per
# request, worker-selection time p50/p99 (from its /stats, routing.selection), requests/s and
# frames/s; prints a table and, as its last line, one JSON object; writes both to
# bench/results/scale.md. Goals: RSS under 1 GiB, selection p99 under 100 µs.
#
# Settings (environment): SCALE_WORKERS (10000), SCALE_STREAMS (1000), SCALE_CONNECTIONS (client
# connections; default: streams / 50 rounded up, the proxy allows 64 streams per connection),
# SCALE_DURATION (s of measured steady load, 30), SCALE_STREAM_RAMP (streams started per second,
# 200), SCALE_WARMUP (s of load after the last stream started, before the measured window, 5),
# SCALE_SETTLE (s between the last worker's connection and the first client's, 5),
# SCALE_DIAL_RATE (worker connections per second, 300), SCALE_SLOTS (max_concurrent each worker
# announces, 4), SCALE_PARTS (ResponseParts per answer, 16), SCALE_PART_BYTES (64),
# SCALE_MARKET_S (each worker also asks the proxy for its market, a ModelsQuery, every this many
# seconds, as a real worker does; default 10; 0: never),
# SCALE_POW_DIFFICULTY (the proxy's listeners' proof of work, 8; the
# default 18 would cost the load process minutes of CPU for 10,000 dials), SCALE_FD_LIMIT (65536),
# SCALE_LOG_LEVEL (the proxy's, info), SCALE_RESULTS (output file; empty: none), SCALE_KEEP=1 (keep
# the work directory), SCALE_PROXY_WRAP (a command the proxy runs under, e.g. "heaptrack -o /tmp/h":
# the RSS figures are then the wrapper's). CHRYSALIS_BIN (build/chrysalis) and SCALE_LOAD (scale_load next to it).
# Quick check: SCALE_WORKERS=500 SCALE_STREAMS=50 SCALE_DURATION=5 SCALE_RESULTS= bash bench/scale/run.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN=${CHRYSALIS_BIN:-build/chrysalis}
LOAD=${SCALE_LOAD:-$(dirname "$BIN")/scale_load}
WORKERS=${SCALE_WORKERS:-10000}
STREAMS=${SCALE_STREAMS:-1000}
CONNECTIONS=${SCALE_CONNECTIONS:-$(((STREAMS + 49) / 50))}
DURATION=${SCALE_DURATION:-30}
WARMUP=${SCALE_WARMUP:-5}
STREAM_RAMP=${SCALE_STREAM_RAMP:-200}
SETTLE=${SCALE_SETTLE:-5}
DIAL_RATE=${SCALE_DIAL_RATE:-300}
SLOTS=${SCALE_SLOTS:-4}
PARTS=${SCALE_PARTS:-16}
PART_BYTES=${SCALE_PART_BYTES:-64}
MARKET_S=${SCALE_MARKET_S:-10}
POW=${SCALE_POW_DIFFICULTY:-8}
FD_LIMIT=${SCALE_FD_LIMIT:-65536}
LOG_LEVEL=${SCALE_LOG_LEVEL:-info}
RESULTS=${SCALE_RESULTS-bench/results/scale.md}
MODEL=scale-model

log() { printf '[bench-scale] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in node curl; do command -v "$tool" >/dev/null || die "'$tool' is not installed"; done
[[ -x $BIN ]] || die "$BIN is missing: run 'make build' first"
[[ -x $LOAD ]] || die "$LOAD is missing: run 'make build' first (target scale_load)"
((CONNECTIONS >= 1 && STREAMS >= CONNECTIONS)) || die "SCALE_CONNECTIONS must be between 1 and SCALE_STREAMS"
(((STREAMS + CONNECTIONS - 1) / CONNECTIONS <= 64)) ||
  die "$STREAMS streams over $CONNECTIONS connections exceed the proxy's 64 streams per client connection"

# File descriptors: the proxy holds one per worker and client connection, the load process the
# same. Raised here, for this script and its children only (a non-root user can raise the soft
# limit up to the hard one).
ulimit -Hn "$FD_LIMIT" 2>/dev/null || true
HARD=$(ulimit -Hn)
[[ $HARD == unlimited ]] && HARD=$FD_LIMIT
ulimit -Sn "$((HARD < FD_LIMIT ? HARD : FD_LIMIT))"
NEED=$((WORKERS + CONNECTIONS + 512))
(($(ulimit -Sn) >= NEED)) || die "open-file limit $(ulimit -Sn) is below the $NEED this run needs (hard limit $(ulimit -Hn))"

WORK=$(mktemp -d /tmp/chrysalis-scale.XXXXXX)
declare -a PIDS=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local pid i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((status != 0)); then
    for f in "$WORK"/proxy.log "$WORK"/load.log "$WORK"/load.jsonl; do
      [[ -f $f ]] || continue
      log "--- last lines of $(basename "$f")"
      tail -n 15 "$f" >&2 || true
    done
  fi
  if [[ ${SCALE_KEEP:-0} == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r -a PORTS <<<"$(node -e '
const net = require("net");
(async () => {
  const servers = [];
  for (let i = 0; i < 3; i++) {
    const s = net.createServer();
    await new Promise((r) => s.listen(0, "127.0.0.1", r));
    servers.push(s);
  }
  console.log(servers.map((s) => s.address().port).join(" "));
  servers.forEach((s) => s.close());
})();')"
PROXY_HTTP=${PORTS[0]} PROXY_WORKERS=${PORTS[1]} PROXY_CLIENTS=${PORTS[2]}
STATS_URL=http://127.0.0.1:$PROXY_HTTP/stats

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS
log "work directory $WORK; $WORKERS workers, $STREAMS streams over $CONNECTIONS client connections; open files $(ulimit -Sn); load average $LOAD_START"

# Attestation as in bench/run.sh: a development CA made for this run; the proxy allows this
# binary's worker image, the client this binary's proxy image. The simulated workers measure
# themselves from worker.toml exactly as `chrysalis worker` would, so their quotes carry that image.
"$BIN" attest dev-ca --out "$WORK/devca" >"$WORK/devca.log" 2>&1 || die "attest dev-ca failed: $(cat "$WORK/devca.log")"
MODEL_HASH=$(printf %s "$MODEL" | sha256sum | cut -d' ' -f1)
MODELS_LINE="models = { \"$MODEL\" = \"$MODEL_HASH\" }"
printf '[attestation]\nprovider = "sim"\ndev_ca = "%s"\ntrust = ["dev:%s"]\n%s\n' "$WORK/devca" "$WORK/devca" "$MODELS_LINE" \
  >"$WORK/attest-probe.toml"
WORKER_IMAGE=$("$BIN" attest image-hash --config "$WORK/attest-probe.toml" --role worker)
printf 'allowed_worker_images = ["%s"]\n' "$WORKER_IMAGE" >>"$WORK/attest-probe.toml"
PROXY_IMAGE=$("$BIN" attest image-hash --config "$WORK/attest-probe.toml" --role proxy)
attestation() { # $1: provider
  printf '[attestation]\nprovider = "%s"\n' "$1"
  [[ $1 == sim ]] && printf 'dev_ca = "%s"\n' "$WORK/devca"
  printf 'trust = ["dev:%s"]\n%s\nallowed_proxy_images = ["%s"]\nallowed_worker_images = ["%s"]\n' \
    "$WORK/devca" "$MODELS_LINE" "$PROXY_IMAGE" "$WORKER_IMAGE"
}
# The proxy as shipped, but for one flood guard: the proof of work its listeners demand (not
# measured into its image, so the allow-lists stay as they are). Every other limit keeps its
# default: max_clients 1024, max_streams_per_client 64, client_frames_per_s 20000,
# worker_frames_per_s 200000, queues, timeouts.
cat >"$WORK/proxy.toml" <<EOF
[proxy]
id = "scale-proxy"
http = "127.0.0.1:$PROXY_HTTP"
worker_listen = "127.0.0.1:$PROXY_WORKERS"
client_listen = "127.0.0.1:$PROXY_CLIENTS"
[tls]
dir = "$WORK/proxy"
[log]
level = "$LOG_LEVEL"
$(attestation sim)
pow_difficulty = $POW
EOF
# What every simulated worker is: an external engine on loopback (never contacted: the load
# answers from memory), the model above.
cat >"$WORK/worker.toml" <<EOF
[worker]
id = "scale-worker"
model = "$MODEL"
coefficient = 1000
max_concurrent = $SLOTS
proxies = ["127.0.0.1:$PROXY_WORKERS"]
[engine]
kind = "external"
url = "http://127.0.0.1:9"
model_sha256 = "$MODEL_HASH"
[tls]
dir = "$WORK/worker"
$(attestation sim)
EOF
cat >"$WORK/client.toml" <<EOF
[client]
id = "scale-client"
proxies = ["127.0.0.1:$PROXY_CLIENTS"]
e2e = "off"
[tls]
dir = "$WORK/client"
$(attestation none)
EOF

${SCALE_PROXY_WRAP:-} "$BIN" proxy --config "$WORK/proxy.toml" >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
for _ in $(seq 150); do
  curl -fsS -o /dev/null --max-time 2 "$STATS_URL" 2>/dev/null && break
  kill -0 "$PROXY_PID" 2>/dev/null || die "the proxy exited at start (log: $WORK/proxy.log)"
  sleep 0.2
done
curl -fsS -o /dev/null --max-time 2 "$STATS_URL" || die "the proxy's /stats does not answer"
grep -s VmRSS "/proc/$PROXY_PID/status" | awk '{print $2}' >"$WORK/rss-idle.txt"

# The proxy's resident memory every half second, for the peak as seen from outside (VmHWM too).
(
  while kill -0 "$PROXY_PID" 2>/dev/null; do
    awk -v t="$SECONDS" '/^VmRSS:/ {print t, $2}' "/proc/$PROXY_PID/status" 2>/dev/null || true
    sleep 0.5
  done
) >"$WORK/rss.log" &
PIDS+=("$!")

log "proxy up (pid $PROXY_PID); dialing $WORKERS workers at $DIAL_RATE/s"
"$LOAD" --worker-config "$WORK/worker.toml" --client-config "$WORK/client.toml" \
  --workers-at "127.0.0.1:$PROXY_WORKERS" --clients-at "127.0.0.1:$PROXY_CLIENTS" --chrysalis "$BIN" \
  --workers "$WORKERS" --streams "$STREAMS" --connections "$CONNECTIONS" --dial-rate "$DIAL_RATE" \
  --slots "$SLOTS" --parts "$PARTS" --part-bytes "$PART_BYTES" --market-s "$MARKET_S" \
  --stream-ramp "$STREAM_RAMP" --settle-s "$SETTLE" --warmup-s "$WARMUP" --duration-s "$DURATION" \
  --proxy-pid "$PROXY_PID" --sync-file "$WORK/measure.go" >"$WORK/load.jsonl" 2>"$WORK/load.log" &
LOAD_PID=$!
PIDS+=("$LOAD_PID")

event() { grep -m1 "\"event\":\"$1\"" "$WORK/load.jsonl" 2>/dev/null; }
# A proxy that stalls or drops everyone is a result too: the run then stops early (ABORTED says
# why) and the report still shows what was measured up to there.
ABORTED=""
abort() { [[ -n $ABORTED ]] || ABORTED=$1; log "run cut short: $1"; }
wait_event() { # name, seconds: returns 1 (and sets ABORTED) when the event cannot come any more
  [[ -z $ABORTED ]] || return 1
  local deadline=$((SECONDS + $2))
  until event "$1" >/dev/null; do
    if event failed >/dev/null; then abort "the load failed: $(event failed)"; return 1; fi
    if ! kill -0 "$LOAD_PID" 2>/dev/null; then
      sleep 0.3
      event "$1" >/dev/null && return 0
      abort "the load exited before '$1' (log: load.log)"
      return 1
    fi
    kill -0 "$PROXY_PID" 2>/dev/null || { abort "the proxy exited (log: proxy.log)"; return 1; }
    ((SECONDS < deadline)) || { abort "timed out after $2 s waiting for '$1'"; return 1; }
    sleep 0.1
  done
}
stats_to() { # file [seconds, 60]: the proxy's /stats and how long it took; one not answered is noted
  local limit=${2:-60}
  if ! curl -fsS --max-time "$limit" -o "$1" -w '%{time_total}\n' "$STATS_URL" >"$1.time" 2>"$1.error"; then
    echo '{}' >"$1"
    echo "$limit" >"$1.time"
    log "the proxy's /stats did not answer in $limit s: $(cat "$1.error")"
  fi
}

if wait_event workers_connected $((WORKERS / (DIAL_RATE > 0 ? DIAL_RATE : 1) + 300)); then
  log "workers: $(event workers_connected | node -e 'const e = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`${e.connected} connected, ${e.failed} failed in ${e.seconds.toFixed(1)} s (certificates: ${(e.identity_ms_total / 1000).toFixed(1)} s)${e.last_error ? "; last error: " + e.last_error : ""}`)')"
fi
wait_event settled $((SETTLE + 60)) && stats_to "$WORK/stats-connected.json"
if wait_event ready_to_measure $((WARMUP + STREAMS / (STREAM_RAMP > 0 ? STREAM_RAMP : 1) + 120)); then
  log "measuring ${DURATION}s of steady load"
  stats_to "$WORK/stats-start.json"
fi
touch "$WORK/measure.go"
wait_event steady_end $((DURATION + 120)) && stats_to "$WORK/stats-end.json"
touch "$WORK/measure.go.end"
if wait_event done 60; then wait "$LOAD_PID" || abort "the load exited with an error (log: load.log)"; fi
if [[ -n $ABORTED ]] && kill -0 "$PROXY_PID" 2>/dev/null; then
  # The proxy's own account of the run (selection times) once the load is gone and it caught up.
  kill -TERM "$LOAD_PID" 2>/dev/null || true
  wait "$LOAD_PID" 2>/dev/null || true
  stats_to "$WORK/stats-final.json" 120
fi
grep -s '^VmHWM' "/proc/$PROXY_PID/status" | awk '{print $2}' >"$WORK/hwm.txt" || true
kill -0 "$PROXY_PID" 2>/dev/null || abort "the proxy exited during the run (log: proxy.log)"
printf '%s\n' "$ABORTED" >"$WORK/aborted.txt"

cat >"$WORK/meta.json" <<EOF
{"date":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","cores":$(nproc),
 "cpu":$(node -p 'JSON.stringify(require("os").cpus()[0]?.model?.trim() ?? "unknown")'),
 "memory_gib":$(node -p '(require("os").totalmem() / 2 ** 30).toFixed(1)'),
 "kernel":"$(uname -r)","commit":"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "binary_built":"$(date -u -r "$BIN" +%Y-%m-%dT%H:%M:%SZ)",
 "loadavg_start":"$LOAD_START","loadavg_end":"$(cut -d' ' -f1-3 /proc/loadavg)",
 "clk_tck":$(getconf CLK_TCK),"elapsed_s":$((SECONDS - T0)),"open_files_limit":$(ulimit -Sn),
 "params":{"workers":$WORKERS,"streams":$STREAMS,"connections":$CONNECTIONS,"duration_s":$DURATION,
   "warmup_s":$WARMUP,"stream_ramp":$STREAM_RAMP,"dial_rate":$DIAL_RATE,"slots":$SLOTS,"parts":$PARTS,"part_bytes":$PART_BYTES,
   "market_query_s":$MARKET_S,"pow_difficulty":$POW,"log_level":"$LOG_LEVEL"}}
EOF
node bench/scale/report.mjs "$WORK" "$RESULTS"
