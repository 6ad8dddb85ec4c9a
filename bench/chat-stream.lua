-- wrk script for bench/run.sh: POSTs one streaming chat request (stream: true, usage asked for)
-- and, when the run is over, prints one JSON line with the figures run.sh needs.
--   BENCH_MODEL=mock-model wrk -t1 -c30 -d12s -s bench/chat-stream.lua http://127.0.0.1:PORT/v1/chat/completions
-- wrk measures latency up to the last byte of each response, i.e. the whole stream.
local model = os.getenv("BENCH_MODEL") or "mock-model"
local max_tokens = os.getenv("BENCH_MAX_TOKENS") or "8000"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "text/event-stream"
wrk.body = '{"model":"' .. model .. '","messages":[' ..
    '{"role":"system","content":"You are a helpful assistant."},' ..
    '{"role":"user","content":"What is the capital of France?"},' ..
    '{"role":"assistant","content":"Paris."}],' ..
    '"max_tokens":' .. max_tokens .. ',"stream":true,"stream_options":{"include_usage":true}}'

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_s":%.3f,"rps":%.2f,"bytes":%d,' ..
    '"latency_ms":{"mean":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
