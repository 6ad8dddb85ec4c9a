#!/usr/bin/env node
// Embeddings through the network against the engine directly: the same request to each target,
// interleaved (A B, B A, ...) so that drift on a shared machine hits them alike; batches of 1 and
// of `--batch` inputs. Every answer is checked (HTTP 200, one vector per input, the same vectors
// from both targets). Prints a table: latency p50/mean per target and batch size, the network's
// added latency, and what the network billed.
//   node bench/embeddings/probe.mjs --direct http://127.0.0.1:12100 --network http://127.0.0.1:10000
//                                   [--model chrysalis-test] [--requests 40] [--batch 32]
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, v, i, all) => (i % 2 ? pairs : [...pairs, [all[i].replace(/^--/, ""), all[i + 1]]]), []));
const direct = args.direct ?? "http://127.0.0.1:12100";
const network = args.network ?? "http://127.0.0.1:10000";
const model = args.model ?? "chrysalis-test";
const requests = Number(args.requests ?? 40);
const batch = Number(args.batch ?? 32);

async function embed(base, input) {
    const t0 = performance.now();
    const res = await fetch(`${base}/v1/embeddings`, {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({model, input, encoding_format: "float"})});
    const body = await res.json();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${base}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    const n = Array.isArray(input) ? input.length : 1;
    if (body.data?.length !== n) throw new Error(`${base}: ${body.data?.length} vectors for ${n} inputs`);
    return {ms, body};
}

const pct = (v, q) => [...v].sort((a, b) => a - b)[Math.floor(q * (v.length - 1))];
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

const rows = [];
for (const size of [1, batch]) {
    const times = {direct: [], network: []};
    let cost = 0n, tokens = 0;
    for (let i = 0; i < requests + 2; i++) {
        const input = Array.from({length: size}, (_, j) => `request ${i} input ${j}: a butterfly crossing the network`);
        const order = i % 2 ? ["network", "direct"] : ["direct", "network"];
        const got = {};
        for (const name of order) got[name] = await embed(name === "direct" ? direct : network, size === 1 ? input[0] : input);
        const a = got.direct.body.data, b = got.network.body.data;
        for (let k = 0; k < a.length; k++)
            if (a[k].embedding.some((x, d) => Math.abs(x - b[k].embedding[d]) > 1e-6)) throw new Error("the targets' vectors differ");
        if (i < 2) continue;  // warm-up
        times.direct.push(got.direct.ms);
        times.network.push(got.network.ms);
        cost += BigInt(got.network.body.chrysalis?.cost_nano ?? 0);
        tokens += got.network.body.usage.prompt_tokens;
    }
    rows.push({size, d50: pct(times.direct, 0.5), n50: pct(times.network, 0.5), dmean: mean(times.direct), nmean: mean(times.network),
        tokens: tokens / requests, cost: Number(cost) / requests});
}
console.log(`embeddings: ${requests} requests per row, interleaved; direct ${direct}, network ${network}`);
console.log("inputs  direct_p50_ms  network_p50_ms  added_p50_ms  direct_mean_ms  network_mean_ms  prompt_tokens  cost_nanoTON");
for (const r of rows)
    console.log(`${String(r.size).padStart(6)}  ${r.d50.toFixed(1).padStart(13)}  ${r.n50.toFixed(1).padStart(14)}  ${(r.n50 - r.d50).toFixed(1).padStart(12)}  ` +
        `${r.dmean.toFixed(1).padStart(14)}  ${r.nmean.toFixed(1).padStart(15)}  ${r.tokens.toFixed(0).padStart(13)}  ${r.cost.toFixed(0).padStart(12)}`);
