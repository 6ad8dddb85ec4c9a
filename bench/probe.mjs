#!/usr/bin/env node
// Sequential streaming probe for bench/run.sh. Sends the same streaming request to two or more
// targets, interleaved (A B, B A, A B, ...) so that drift on a shared machine hits them alike, and
// measures for each one:
//   ttfc   time from sending the request to the first byte of `data:` in the response body
//   ttft   time to the first SSE chunk that carries content (delta.content or text)
//   total  time to the end of the response
//   completion tokens (from the usage chunk) and tokens/s
// Every response is checked: HTTP 200, content chunks, a usage chunk, `data: [DONE]` at the end.
//   node bench/probe.mjs --target direct=http://127.0.0.1:8000 --target network=http://127.0.0.1:10000
//                        --model M [--requests 200] [--warmup 5] [--max-tokens 8000] [--temperature T]
//                        [--prompt TEXT] [--path /v1/chat/completions]
// Prints one JSON object: {"targets": {name: figures}, "identical_output": bool}.
import http from "node:http";

function parseArgs(argv) {
    const o = {targets: [], model: "mock-model", requests: 200, warmup: 5, maxTokens: 8000, temperature: null,
        prompt: "What is the capital of France?", path: "/v1/chat/completions", timeoutMs: 120_000};
    for (let i = 0; i < argv.length; i += 2) {
        const flag = argv[i], v = argv[i + 1];
        if (v === undefined) throw new Error(`${flag} needs a value`);
        switch (flag) {
            case "--target": {
                const eq = v.indexOf("=");
                if (eq < 1) throw new Error("--target wants NAME=URL");
                o.targets.push({name: v.slice(0, eq), url: new URL(v.slice(eq + 1))});
                break;
            }
            case "--model": o.model = v; break;
            case "--requests": o.requests = Number(v); break;
            case "--warmup": o.warmup = Number(v); break;
            case "--max-tokens": o.maxTokens = Number(v); break;
            case "--temperature": o.temperature = Number(v); break;
            case "--prompt": o.prompt = v; break;
            case "--path": o.path = v; break;
            case "--timeout-ms": o.timeoutMs = Number(v); break;
            default: throw new Error(`unknown flag ${flag}`);
        }
    }
    if (o.targets.length === 0) throw new Error("at least one --target NAME=URL");
    return o;
}

const o = parseArgs(process.argv.slice(2));
const chat = o.path.endsWith("/chat/completions");
const request = {model: o.model, max_tokens: o.maxTokens, stream: true, stream_options: {include_usage: true}};
if (chat) {
    request.messages = [
        {role: "system", content: "You are a helpful assistant."},
        {role: "user", content: o.prompt},
    ];
} else {
    request.prompt = o.prompt;
}
if (o.temperature !== null) {
    request.temperature = o.temperature;
    request.seed = 42;
}
const body = JSON.stringify(request);

// One keep-alive connection per target, as an application with a connection pool would have.
const agents = new Map(o.targets.map((t) => [t.name, new http.Agent({keepAlive: true, maxSockets: 1})]));

function once(target) {
    return new Promise((resolve) => {
        const t0 = process.hrtime.bigint();
        const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
        const r = {ttfc: null, ttft: null, lastContent: null, total: null, status: 0, content: "", chunks: 0,
            usage: null, done: false, error: null};
        let pending = "", seenData = false;
        const req = http.request(target.url, {
            method: "POST", path: o.path, agent: agents.get(target.name),
            headers: {"Content-Type": "application/json", "Accept": "text/event-stream", "Content-Length": Buffer.byteLength(body)},
        }, (res) => {
            r.status = res.statusCode;
            res.setEncoding("utf8");
            res.on("data", (text) => {
                const now = ms();
                if (!seenData && (pending + text).includes("data:")) {
                    seenData = true;
                    r.ttfc = now;
                }
                pending += text;
                let cut;
                while ((cut = pending.indexOf("\n\n")) >= 0) {
                    const event = pending.slice(0, cut);
                    pending = pending.slice(cut + 2);
                    for (const line of event.split("\n")) {
                        if (!line.startsWith("data:")) continue;
                        const data = line.slice(5).trim();
                        if (data === "[DONE]") { r.done = true; continue; }
                        let chunk;
                        try { chunk = JSON.parse(data); } catch { r.error = "unparsable chunk"; continue; }
                        if (chunk.error) r.error = JSON.stringify(chunk.error);
                        if (chunk.usage) r.usage = chunk.usage;
                        const c = chunk.choices?.[0];
                        const piece = c ? (c.delta?.content ?? c.text ?? "") : "";
                        if (piece !== "") {
                            if (r.ttft === null) r.ttft = now;
                            r.lastContent = now;
                            r.chunks++;
                            r.content += piece;
                        }
                    }
                }
            });
            res.on("end", () => { r.total = ms(); resolve(r); });
            res.on("error", (e) => { r.error = e.message; r.total = ms(); resolve(r); });
        });
        req.setTimeout(o.timeoutMs, () => req.destroy(new Error("timeout")));
        req.on("error", (e) => { r.error = e.message; r.total = ms(); resolve(r); });
        req.end(body);
    });
}

function pct(sorted, p) {
    if (sorted.length === 0) return null;
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[i];
}
function stats(values) {
    const s = values.filter((v) => v !== null).sort((a, b) => a - b);
    if (s.length === 0) return null;
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    const r3 = (x) => Math.round(x * 1000) / 1000;
    return {mean: r3(mean), p50: r3(pct(s, 50)), p90: r3(pct(s, 90)), p99: r3(pct(s, 99)), min: r3(s[0]), max: r3(s[s.length - 1])};
}

function valid(r) {
    if (r.status !== 200) return `HTTP ${r.status}`;
    if (r.error) return r.error;
    if (!r.done) return "no [DONE]";
    if (!r.usage) return "no usage chunk";
    if (r.chunks === 0) return "no content";
    return null;
}

async function main() {
    const results = new Map(o.targets.map((t) => [t.name, []]));
    const failures = new Map(o.targets.map((t) => [t.name, []]));
    for (let i = 0; i < o.warmup + o.requests; i++) {
        const order = i % 2 === 0 ? o.targets : [...o.targets].reverse();
        for (const t of order) {
            const r = await once(t);
            const why = valid(r);
            if (i < o.warmup) {
                if (why) throw new Error(`${t.name} (${t.url.origin}): warm-up request failed: ${why}`);
                continue;
            }
            if (why) failures.get(t.name).push(why);
            else results.get(t.name).push(r);
        }
    }
    const out = {targets: {}, identical_output: null};
    const contents = [];
    for (const t of o.targets) {
        const rs = results.get(t.name);
        const tokens = rs.reduce((a, r) => a + (r.usage?.completion_tokens ?? 0), 0);
        const seconds = rs.reduce((a, r) => a + r.total, 0) / 1000;
        const decode = rs.filter((r) => r.lastContent > r.ttft && r.usage?.completion_tokens > 1)
            .map((r) => (r.usage.completion_tokens - 1) / ((r.lastContent - r.ttft) / 1000));
        out.targets[t.name] = {
            url: t.url.origin, ok: rs.length, failed: failures.get(t.name).length,
            failures: [...new Set(failures.get(t.name))].slice(0, 5),
            ttfc_ms: stats(rs.map((r) => r.ttfc)),
            ttft_ms: stats(rs.map((r) => r.ttft)),
            total_ms: stats(rs.map((r) => r.total)),
            completion_tokens: tokens,
            content_chunks_per_request: rs.length ? rs.reduce((a, r) => a + r.chunks, 0) / rs.length : 0,
            usage_sample: rs[0]?.usage ?? null,
            tokens_per_s: seconds > 0 ? Math.round((tokens / seconds) * 100) / 100 : null,
            decode_tokens_per_s: decode.length ? Math.round((decode.reduce((a, b) => a + b, 0) / decode.length) * 100) / 100 : null,
        };
        contents.push(new Set(rs.map((r) => r.content)));
    }
    // With temperature 0 every target must produce the same text, request after request.
    if (o.temperature === 0) {
        const all = new Set(contents.flatMap((s) => [...s]));
        out.identical_output = all.size === 1;
    }
    process.stdout.write(JSON.stringify(out) + "\n");
    for (const a of agents.values()) a.destroy();
}

main().catch((e) => {
    process.stderr.write(`probe: ${e.message}\n`);
    process.exit(1);
});
