#!/usr/bin/env bash
# Network-overhead benchmark (`make bench`): the same streaming requests sent (a) straight to an
# engine and (b) through client -> proxy -> worker -> engine, on this machine, in this run.
#   1. mock engine (bench/mock-engine): wrk at concurrency 1 and 30, direct vs network:
#      requests/s, latency p50/p99 (whole stream), CPU time per request of each process;
#   2. mock engine: time to first chunk, sequential requests, direct and network interleaved;
#   3. embedded engine (engine/server.mjs on a generated test model): completion tokens/s,
#      sequential requests at temperature 0, direct and network interleaved;
#   4. billing on / off (bench/billing/overhead.mjs: a devnet and three networks; BENCH_BILLING=0 skips);
#   5. the cost of end-to-end encryption: the network runs of 1 and 2 again through a second
#      client with `e2e = "off"` (the first one seals every request, the default).
#   5. a reference for 1 and 2: a chain of three nginx (plain HTTP in, mutual TLS 1.3 between
#      hops, keep-alive upstreams, no buffering) in front of the same mock engine.
# Prints a table and, as its last line, one JSON object; writes both to bench/results/network-overhead.md.
# Assumes `make build` (build/chrysalis), the engine's npm packages (`make node`) and nginx and openssl
# (scripts/install-deps.sh) are in place.
# Settings (environment): BENCH_DURATION (s per wrk run, 12), BENCH_CONCURRENCY ("1 30"),
# BENCH_TTFC_REQUESTS (200), BENCH_TOKEN_REQUESTS (20), BENCH_MAX_TOKENS (128), BENCH_CHUNKS (50),
# BENCH_BYTES (128), BENCH_DELAY_MS (0), BENCH_BURST=1 (the mock writes each answer at once),
# BENCH_LOG_LEVEL (info), BENCH_RESULTS (output file; empty: none), BENCH_KEEP=1 (keep the work
# directory with configs and logs). The mock engine is the build's mock_engine target (next to $BIN;
# BENCH_MOCK_ENGINE overrides). BENCH_NGINX: the nginx binary (default: nginx on PATH, else /usr/sbin/nginx).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=${CHRYSALIS_BIN:-build/chrysalis}
MOCK_ENGINE=${BENCH_MOCK_ENGINE:-$(dirname "$BIN")/mock_engine}
DURATION=${BENCH_DURATION:-12}
CONCURRENCY=${BENCH_CONCURRENCY:-"1 30"}
TTFC_REQUESTS=${BENCH_TTFC_REQUESTS:-200}
TOKEN_REQUESTS=${BENCH_TOKEN_REQUESTS:-20}
MAX_TOKENS=${BENCH_MAX_TOKENS:-128}
CHUNKS=${BENCH_CHUNKS:-50}
BYTES=${BENCH_BYTES:-128}
DELAY_MS=${BENCH_DELAY_MS:-0}
BURST=${BENCH_BURST:-0}
LOG_LEVEL=${BENCH_LOG_LEVEL:-info}
RESULTS=${BENCH_RESULTS-bench/results/network-overhead.md}
MOCK_MODEL=mock-model
TEST_MODEL=chrysalis-test

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in wrk node curl g++ openssl; do command -v "$tool" >/dev/null || die "'$tool' is not installed (apt-get install $tool)"; done
# Debian installs nginx in /usr/sbin, which is not on an ordinary user's PATH.
NGINX=${BENCH_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x $NGINX ]] || die "nginx is not installed (apt-get install nginx; scripts/install-deps.sh does)"
[[ -x $BIN ]] || die "$BIN is missing: run 'make build' first"
[[ -x $MOCK_ENGINE ]] || die "$MOCK_ENGINE is missing: run 'make build' first"
[[ -d engine/node_modules ]] || die "engine/node_modules is missing: run 'make node' (or 'make bench') first"

WORK=$(mktemp -d /tmp/chrysalis-bench.XXXXXX)
declare -a PIDS=()     # every process this script started, in start order
declare -A NODE_PID=() # name -> pid, for CPU accounting
CURRENT=""             # the measuring command running now (wrk, probe)

# Stop everything we started, newest first: SIGTERM, up to 5 s, then SIGKILL. The embedded worker's
# engine (its child) is collected first so it cannot outlive a worker that had to be killed.
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local all=() pid i
  [[ -n $CURRENT ]] && all+=("$CURRENT")
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    all+=("$pid")
    if [[ -r /proc/$pid/task/$pid/children ]]; then
      local children=()
      read -r -a children <"/proc/$pid/task/$pid/children" 2>/dev/null || true
      all+=("${children[@]}")
    fi
  done
  for pid in "${all[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${all[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((status != 0)); then
    for f in "$WORK"/*.log; do
      [[ -f $f ]] || continue
      log "--- last lines of $(basename "$f")"
      tail -n 15 "$f" >&2 || true
    done
  fi
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free loopback ports, all taken at once so that none is handed out twice.
read -r -a PORTS <<<"$(node -e '
const net = require("net");
(async () => {
  const servers = [];
  for (let i = 0; i < Number(process.argv[1]); i++) {
    const s = net.createServer();
    await new Promise((r) => s.listen(0, "127.0.0.1", r));
    servers.push(s);
  }
  console.log(servers.map((s) => s.address().port).join(" "));
  servers.forEach((s) => s.close());
})();' 17)"
MOCK_PORT=${PORTS[0]} PROXY_HTTP=${PORTS[1]} PROXY_WORKERS=${PORTS[2]} PROXY_CLIENTS=${PORTS[3]}
WORKER_HTTP=${PORTS[4]} CLIENT_HTTP=${PORTS[5]} EMB_WORKER_HTTP=${PORTS[6]} EMB_ENGINE_PORT=${PORTS[7]}
PLAIN_CLIENT_HTTP=${PORTS[8]}
BARE_PROXY_HTTP=${PORTS[9]} BARE_PROXY_WORKERS=${PORTS[10]} BARE_PROXY_CLIENTS=${PORTS[11]}
BARE_CLIENT_HTTP=${PORTS[12]} WORKER2_HTTP=${PORTS[13]}
NGINX_A_PORT=${PORTS[14]} NGINX_B_PORT=${PORTS[15]} NGINX_C_PORT=${PORTS[16]}
NGINX_URL=http://127.0.0.1:$NGINX_A_PORT
BARE_CLIENT_URL=http://127.0.0.1:$BARE_CLIENT_HTTP
MOCK_URL=http://127.0.0.1:$MOCK_PORT
CLIENT_URL=http://127.0.0.1:$CLIENT_HTTP
PLAIN_CLIENT_URL=http://127.0.0.1:$PLAIN_CLIENT_HTTP
ENGINE_URL=http://127.0.0.1:$EMB_ENGINE_PORT

# Runs a command in the background and waits for it, so that a signal reaches our trap at once
# instead of after the command (bash runs traps only between foreground commands).
run_fg() {
  local rc=0
  "$@" &
  CURRENT=$!
  wait "$CURRENT" || rc=$?
  CURRENT=""
  return "$rc"
}

start() { # name, command...: background it, logging to $WORK/name.log
  local name=$1
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  NODE_PID[$name]=$!
}

alive_or_die() { # name
  kill -0 "${NODE_PID[$1]}" 2>/dev/null || die "$1 exited early (log: $WORK/$1.log)"
}

wait_until() { # what, seconds, command...: poll every 0.2 s
  local what=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    for n in "${!NODE_PID[@]}"; do alive_or_die "$n"; done
    ((SECONDS < deadline)) || die "timed out after ${limit}s waiting for $what"
    sleep 0.2
  done
}

# A streaming chat request that must come back complete, ending in data: [DONE].
stream_ok() { # base url, model
  curl -sfN --max-time 30 "$1/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$2\",\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}],\"max_tokens\":8,\"stream\":true}" |
    grep -q '^data: \[DONE\]'
}

# The client at $1 answers with X-Chrysalis-E2E: $2 (on: sealed to the worker; off: plaintext).
e2e_is() { # base url, on|off
  local headers  # read whole first: grep -q quitting early would fail curl's write (pipefail)
  headers=$(curl -sf -D - -o /dev/null --max-time 30 "$1/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$MOCK_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}],\"max_tokens\":8}") || return 1
  tr -d '\r' <<<"$headers" | grep -qix "x-chrysalis-e2e: $2"
}

cpu_snapshot() { # file: {"name": cpu ticks (user+system), ...} of every process we started
  local sep="" n
  {
    printf '{'
    for n in "${!NODE_PID[@]}"; do
      # Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
      local ticks
      ticks=$(sed 's/.*) //' "/proc/${NODE_PID[$n]}/stat" 2>/dev/null | awk '{print $12 + $13}') || ticks=0
      printf '%s"%s":%s' "$sep" "$n" "${ticks:-0}"
      sep=","
    done
    printf '}\n'
  } >"$1"
}

run_wrk() { # label, url, concurrency, seconds
  local label=$1 url=$2 c=$3 d=$4
  cpu_snapshot "$WORK/cpu-$label.before.json"
  BENCH_MODEL=$MOCK_MODEL run_fg wrk -t1 -c"$c" -d"${d}s" --timeout 10s -s bench/chat-stream.lua \
    "$url/v1/chat/completions" >"$WORK/wrk-$label.txt" 2>&1 || die "wrk failed: $(tail -3 "$WORK/wrk-$label.txt")"
  cpu_snapshot "$WORK/cpu-$label.after.json"
  grep '^WRK_JSON ' "$WORK/wrk-$label.txt" | tail -1 | cut -d' ' -f2- >"$WORK/wrk-$label.json"
  [[ -s $WORK/wrk-$label.json ]] || die "no figures from wrk ($label): $(tail -3 "$WORK/wrk-$label.txt")"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS
log "work directory $WORK; load average at start: $LOAD_START"

# --- the network on the mock engine ------------------------------------------------------------
MOCK_ARGS=(--port "$MOCK_PORT" --chunks "$CHUNKS" --bytes "$BYTES" --delay-ms "$DELAY_MS" --model "$MOCK_MODEL")
[[ $BURST == 1 ]] && MOCK_ARGS+=(--burst)
# Attestation as in the demo: simulated TEE under a development CA made for this run, this
# binary's proxy and worker images allowed (so the handshakes do the real RA-TLS work).
"$BIN" attest dev-ca --out "$WORK/devca" >"$WORK/devca.log" 2>&1 || die "attest dev-ca failed: $(cat "$WORK/devca.log")"
"$BIN" model make-test --out "$WORK/model.gguf" >"$WORK/make-test.log" 2>&1 || die "model make-test failed"
MOCK_MODEL_HASH=$(printf %s "$MOCK_MODEL" | sha256sum | cut -d' ' -f1)  # what the mock stands for
TEST_MODEL_HASH=$(sha256sum "$WORK/model.gguf" | cut -d' ' -f1)
# The network serves only models it names with their hashes; the proxy measures this list.
MODELS_LINE="models = { \"$MOCK_MODEL\" = \"$MOCK_MODEL_HASH\", \"$TEST_MODEL\" = \"$TEST_MODEL_HASH\" }"
printf '[attestation]\nprovider = "sim"\ndev_ca = "%s"\ntrust = ["dev:%s"]\n%s\n' "$WORK/devca" "$WORK/devca" "$MODELS_LINE" \
  >"$WORK/attest-probe.toml"
# A proxy measures its worker allow-list too, so its image follows from the worker's.
WORKER_IMAGE=$("$BIN" attest image-hash --config "$WORK/attest-probe.toml" --role worker)
printf 'allowed_worker_images = ["%s"]\n' "$WORKER_IMAGE" >>"$WORK/attest-probe.toml"
PROXY_IMAGE=$("$BIN" attest image-hash --config "$WORK/attest-probe.toml" --role proxy)
attestation() {  # $1: provider
  printf '[attestation]\nprovider = "%s"\n' "$1"
  [[ $1 == sim ]] && printf 'dev_ca = "%s"\n' "$WORK/devca"
  printf 'trust = ["dev:%s"]\n%s\nallowed_proxy_images = ["%s"]\nallowed_worker_images = ["%s"]\n' \
    "$WORK/devca" "$MODELS_LINE" "$PROXY_IMAGE" "$WORKER_IMAGE"
}
cat >"$WORK/proxy.toml" <<EOF
[proxy]
id = "bench-proxy"
http = "127.0.0.1:$PROXY_HTTP"
worker_listen = "127.0.0.1:$PROXY_WORKERS"
client_listen = "127.0.0.1:$PROXY_CLIENTS"
[tls]
dir = "$WORK/proxy"
[log]
level = "$LOG_LEVEL"
$(attestation sim)
EOF
# The dependability mechanisms' cost: a second proxy with every one of them off (first-token
# retry, hedging, spot checks, affinity, trial share), the same two mock workers behind both.
sed -e "s|bench-proxy|bench-proxy-bare|" -e "s|127.0.0.1:$PROXY_HTTP|127.0.0.1:$BARE_PROXY_HTTP|" \
  -e "s|127.0.0.1:$PROXY_WORKERS|127.0.0.1:$BARE_PROXY_WORKERS|" -e "s|127.0.0.1:$PROXY_CLIENTS|127.0.0.1:$BARE_PROXY_CLIENTS|" \
  -e "s|$WORK/proxy\"|$WORK/proxy-bare\"|" "$WORK/proxy.toml" >"$WORK/proxy-bare.toml"
printf '[routing]\nfirst_token_timeout_ms = 0\nhedge_after_ms = 0\nspot_check_rate = 0\naffinity_prefix_chars = 0\ntrial_share = 0\n' \
  >>"$WORK/proxy-bare.toml"
cat >"$WORK/worker-mock.toml" <<EOF
[worker]
id = "bench-worker-mock"
model = "$MOCK_MODEL"
coefficient = 1000
max_concurrent = 256
proxies = ["127.0.0.1:$PROXY_WORKERS", "127.0.0.1:$BARE_PROXY_WORKERS"]
http = "127.0.0.1:$WORKER_HTTP"
[engine]
kind = "external"
url = "$MOCK_URL"
model_sha256 = "$MOCK_MODEL_HASH"
[tls]
dir = "$WORK/worker-mock"
[log]
level = "$LOG_LEVEL"
$(attestation sim)
EOF
cat >"$WORK/client.toml" <<EOF
[client]
http = "127.0.0.1:$CLIENT_HTTP"
proxies = ["127.0.0.1:$PROXY_CLIENTS"]
[tls]
dir = "$WORK/client"
[log]
level = "$LOG_LEVEL"
$(attestation none)
EOF
sed -e "s|127.0.0.1:$CLIENT_HTTP|127.0.0.1:$PLAIN_CLIENT_HTTP|" -e "s|$WORK/client\"|$WORK/client-plain\"|" \
  -e '/^proxies = /a e2e = "off"' "$WORK/client.toml" >"$WORK/client-plain.toml"
sed -e "s|127.0.0.1:$CLIENT_HTTP|127.0.0.1:$BARE_CLIENT_HTTP|" -e "s|$WORK/client\"|$WORK/client-bare\"|" \
  -e "s|127.0.0.1:$PROXY_CLIENTS|127.0.0.1:$BARE_PROXY_CLIENTS|" "$WORK/client.toml" >"$WORK/client-bare.toml"
sed -e "s|bench-worker-mock|bench-worker-mock-2|" -e "s|127.0.0.1:$WORKER_HTTP|127.0.0.1:$WORKER2_HTTP|" \
  -e "s|$WORK/worker-mock\"|$WORK/worker-mock-2\"|" "$WORK/worker-mock.toml" >"$WORK/worker-mock-2.toml"

# --- the reference: a chain of three nginx in front of the same mock ----------------------------
# A (plain HTTP in, what wrk hits) -> B -> C over TLS 1.3 with mutual TLS (each side's certificate
# verified against a CA made for this run) -> the mock over plain HTTP: three hops, as
# client -> proxy -> worker -> engine, done by a mature reverse proxy. Keep-alive upstreams on every
# hop, no buffering either way (the answer streams through as it comes). nginx only relays bytes:
# it does not parse the SSE, meter, seal or attest anything.
mkdir -p "$WORK/nginx-pki"
(
  cd "$WORK/nginx-pki"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)  # ECDSA P-256
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=chrysalis bench nginx CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  for n in a b c; do  # one identity each: A is only a TLS client, C only a server, B both
    openssl req -new "${ec[@]}" -keyout "nginx-$n.key" -out "nginx-$n.csr" -subj "/CN=nginx-$n"
    printf 'subjectAltName=DNS:nginx-%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n' \
      "$n" >"nginx-$n.ext"
    openssl x509 -req -in "nginx-$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile "nginx-$n.ext" -out "nginx-$n.pem"
  done
) >"$WORK/nginx-pki.log" 2>&1 || die "openssl failed to make the nginx chain's certificates: $(tail -5 "$WORK/nginx-pki.log")"

nginx_conf() { # name, listen port, tls in (on|off), upstream host:port, upstream's name (empty: plain HTTP)
  local name=$1 port=$2 tls_in=$3 up=$4 up_name=$5 dir=$WORK/$1 pki=$WORK/nginx-pki
  mkdir -p "$dir"
  # One worker, run by the process `start` starts (master_process off here, daemon off on the
  # command line), so that the pid we account CPU time to is the one doing the work. One worker
  # each also because the machine this was set up on has 2 cores, shared with wrk and the mock.
  cat <<EOF
worker_processes 1;
master_process off;
error_log stderr warn;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;  # like the nodes: no connection is closed after N requests
  upstream next {
    server $up;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
EOF
  if [[ $tls_in == on ]]; then
    cat <<EOF
    listen 127.0.0.1:$port ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate $pki/$name.pem;
    ssl_certificate_key $pki/$name.key;
    ssl_verify_client on;
    ssl_client_certificate $pki/ca.pem;
EOF
  else
    printf '    listen 127.0.0.1:%s;\n' "$port"
  fi
  cat <<EOF
    location / {
      proxy_pass $([[ -n $up_name ]] && echo https || echo http)://next;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
EOF
  if [[ -n $up_name ]]; then
    cat <<EOF
      proxy_ssl_protocols TLSv1.3;
      proxy_ssl_certificate $pki/$name.pem;
      proxy_ssl_certificate_key $pki/$name.key;
      proxy_ssl_trusted_certificate $pki/ca.pem;
      proxy_ssl_verify on;
      proxy_ssl_name $up_name;
      proxy_ssl_session_reuse on;
EOF
  fi
  printf '    }\n  }\n}\n'
}
nginx_conf nginx-a "$NGINX_A_PORT" off "127.0.0.1:$NGINX_B_PORT" nginx-b >"$WORK/nginx-a.conf"
nginx_conf nginx-b "$NGINX_B_PORT" on "127.0.0.1:$NGINX_C_PORT" nginx-c >"$WORK/nginx-b.conf"
nginx_conf nginx-c "$NGINX_C_PORT" on "127.0.0.1:$MOCK_PORT" "" >"$WORK/nginx-c.conf"

# B and C must refuse a TLS client without a certificate (nginx answers 400 "No required SSL
# certificate was sent"; 000: the handshake failed) and anything below TLS 1.3.
nginx_hop_strict() { # port, name
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$WORK/nginx-pki/ca.pem" \
    --resolve "$2:$1:127.0.0.1" "https://$2:$1/v1/models") || true
  [[ $code == 400 || $code == 000 ]] || return 1
  ! curl -s -o /dev/null --max-time 5 --tls-max 1.2 --cacert "$WORK/nginx-pki/ca.pem" \
    --cert "$WORK/nginx-pki/nginx-a.pem" --key "$WORK/nginx-pki/nginx-a.key" \
    --resolve "$2:$1:127.0.0.1" "https://$2:$1/v1/models"
}

log "starting mock engine ($CHUNKS chunks x $BYTES B, delay ${DELAY_MS} ms, burst $BURST), proxy, worker, client, nginx chain"
start mock "$MOCK_ENGINE" "${MOCK_ARGS[@]}"
for n in nginx-a nginx-b nginx-c; do
  start "$n" "$NGINX" -e stderr -c "$WORK/$n.conf" -p "$WORK/$n/" -g 'daemon off;'
done
start proxy "$BIN" proxy --config "$WORK/proxy.toml"
start proxy-bare "$BIN" proxy --config "$WORK/proxy-bare.toml"
start worker "$BIN" worker --config "$WORK/worker-mock.toml"
start worker-2 "$BIN" worker --config "$WORK/worker-mock-2.toml"
start client "$BIN" client --config "$WORK/client.toml"
start client-plain "$BIN" client --config "$WORK/client-plain.toml"
start client-bare "$BIN" client --config "$WORK/client-bare.toml"
wait_until "the mock engine" 20 stream_ok "$MOCK_URL" "$MOCK_MODEL"
wait_until "the network to serve $MOCK_MODEL" 60 stream_ok "$CLIENT_URL" "$MOCK_MODEL"
wait_until "the plaintext client to serve $MOCK_MODEL" 60 stream_ok "$PLAIN_CLIENT_URL" "$MOCK_MODEL"
wait_until "the mechanisms-off network to serve $MOCK_MODEL" 60 stream_ok "$BARE_CLIENT_URL" "$MOCK_MODEL"
e2e_is "$CLIENT_URL" on || die "the client does not seal its requests end to end"
e2e_is "$PLAIN_CLIENT_URL" off || die "the e2e = off client still seals"
wait_until "the nginx chain to serve $MOCK_MODEL" 20 stream_ok "$NGINX_URL" "$MOCK_MODEL"
nginx_hop_strict "$NGINX_B_PORT" nginx-b || die "nginx B accepts a client without a certificate or below TLS 1.3"
nginx_hop_strict "$NGINX_C_PORT" nginx-c || die "nginx C accepts a client without a certificate or below TLS 1.3"

log "warm-up (2 s each path)"
run_wrk warmup-direct "$MOCK_URL" 30 2
run_wrk warmup-network "$CLIENT_URL" 30 2
run_wrk warmup-plain "$PLAIN_CLIENT_URL" 30 2
run_wrk warmup-bare "$BARE_CLIENT_URL" 30 2
run_wrk warmup-nginx "$NGINX_URL" 30 2

for c in $CONCURRENCY; do
  log "wrk c=$c ${DURATION}s: direct"
  run_wrk "direct-c$c" "$MOCK_URL" "$c" "$DURATION"
  # Unmeasured: the first network run after the direct one came out up to 20 % slower whichever
  # network it was (seen swapping the order of the three), so every network run follows a warm one.
  run_wrk "rewarm-c$c" "$CLIENT_URL" "$c" 3
  log "wrk c=$c ${DURATION}s: network"
  run_wrk "network-c$c" "$CLIENT_URL" "$c" "$DURATION"
  log "wrk c=$c ${DURATION}s: nginx chain"
  run_wrk "nginx-c$c" "$NGINX_URL" "$c" "$DURATION"
  log "wrk c=$c ${DURATION}s: network without e2e"
  run_wrk "plain-c$c" "$PLAIN_CLIENT_URL" "$c" "$DURATION"
  log "wrk c=$c ${DURATION}s: network with the dependability mechanisms off"
  run_wrk "bare-c$c" "$BARE_CLIENT_URL" "$c" "$DURATION"
done
# What the mechanisms did meanwhile (spot-check reruns, hedges, first-token retries).
curl -fsS "http://127.0.0.1:$PROXY_HTTP/stats" >"$WORK/stats-proxy.json" || die "no /stats from the proxy"

log "time to first chunk: $TTFC_REQUESTS sequential requests per path, interleaved"
run_fg node bench/probe.mjs --target "direct=$MOCK_URL" --target "network=$CLIENT_URL" \
  --target "plain=$PLAIN_CLIENT_URL" --target "nginx=$NGINX_URL" --model "$MOCK_MODEL" \
  --requests "$TTFC_REQUESTS" --warmup 5 >"$WORK/ttfc.json" 2>"$WORK/probe-ttfc.log" ||
  die "TTFC probe failed: $(cat "$WORK/probe-ttfc.log")"

# --- the embedded engine -----------------------------------------------------------------------
cat >"$WORK/worker-embedded.toml" <<EOF
[worker]
id = "bench-worker-embedded"
model = "$TEST_MODEL"
coefficient = 1000
max_concurrent = 4
proxies = ["127.0.0.1:$PROXY_WORKERS"]
http = "127.0.0.1:$EMB_WORKER_HTTP"
[engine]
kind = "embedded"
model = "$WORK/model.gguf"
port = $EMB_ENGINE_PORT
threads = 2
[tls]
dir = "$WORK/worker-embedded"
[log]
level = "$LOG_LEVEL"
$(attestation sim)
EOF
log "starting a worker with the embedded engine on a generated test model"
start worker-embedded "$BIN" worker --config "$WORK/worker-embedded.toml"
wait_until "the embedded engine" 180 stream_ok "$ENGINE_URL" "$TEST_MODEL"
wait_until "the network to serve $TEST_MODEL" 60 stream_ok "$CLIENT_URL" "$TEST_MODEL"

log "embedded engine: $TOKEN_REQUESTS sequential requests per path (max_tokens $MAX_TOKENS, temperature 0), interleaved"
run_fg node bench/probe.mjs --target "direct=$ENGINE_URL" --target "network=$CLIENT_URL" --model "$TEST_MODEL" \
  --requests "$TOKEN_REQUESTS" --warmup 2 --max-tokens "$MAX_TOKENS" --temperature 0 \
  --prompt "Write a long story about a dragon who learns to paint." >"$WORK/tokens.json" 2>"$WORK/probe-tokens.log" ||
  die "token probe failed: $(cat "$WORK/probe-tokens.log")"

# --- billing on / off --------------------------------------------------------------------------
# Three networks on one devnet, identical but for billing (bench/billing/overhead.mjs).
if [[ ${BENCH_BILLING:-1} == 1 ]]; then
  log "billing on / off: three networks on a devnet (bench/billing/overhead.mjs)"
  BENCH_RESULTS="$WORK/billing.md" run_fg node bench/billing/overhead.mjs >"$WORK/billing.txt" 2>"$WORK/billing.log" ||
    die "billing benchmark failed: $(tail -5 "$WORK/billing.log")"
  grep '^BILLING_JSON ' "$WORK/billing.txt" | tail -1 | cut -d' ' -f2- >"$WORK/billing.json"
  [[ -s $WORK/billing.json ]] || die "no figures from the billing benchmark"
fi

# --- report ------------------------------------------------------------------------------------
cat >"$WORK/meta.json" <<EOF
{"date":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","cores":$(nproc),
 "cpu":$(node -p 'JSON.stringify(require("os").cpus()[0]?.model?.trim() ?? "unknown")'),
 "kernel":"$(uname -r)","os":$(node -p 'JSON.stringify(require("fs").readFileSync("/etc/os-release","utf8").match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1] ?? "unknown")'),
 "node":"$(node --version)","wrk":"$(wrk --version 2>&1 | head -1 | awk '{print $2}')",
 "commit":"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "commit_date":"$(git log -1 --format=%cI 2>/dev/null || echo unknown)",
 "binary_built":"$(date -u -r "$BIN" +%Y-%m-%dT%H:%M:%SZ)",
 "loadavg_start":"$LOAD_START","loadavg_end":"$(cut -d' ' -f1-3 /proc/loadavg)",
 "clk_tck":$(getconf CLK_TCK),"elapsed_s":$((SECONDS - T0)),
 "params":{"chunks":$CHUNKS,"bytes":$BYTES,"delay_ms":$DELAY_MS,"burst":$([[ $BURST == 1 ]] && echo true || echo false),"duration_s":$DURATION,
   "concurrency":[$(echo "$CONCURRENCY" | tr ' ' ',')],"ttfc_requests":$TTFC_REQUESTS,
   "token_requests":$TOKEN_REQUESTS,"max_tokens":$MAX_TOKENS,"log_level":"$LOG_LEVEL","wrk_threads":1,
   "gxx":"$(g++ -dumpfullversion)"}}
EOF
node bench/report.mjs "$WORK" "$RESULTS"
