// Accounting overhead on the request path: two networks on one devnet, identical except that one
// bills per token ([billing] on proxy, worker and client) and the other does not, both on the same
// mock engine so the engine costs almost nothing. The same closed-loop load (C concurrent
// requests, each 16 completion tokens, non-streaming) runs against each in alternating rounds,
// so drift on a shared machine hits both alike. Also reports the proxy's state-commit cost (one
// signed save-state through its wallet, waited for on chain, then read back) and checks that the
// books balance afterwards.
//
//   node bench/billing/overhead.mjs   (needs build/chrysalis and `make node`)
// Settings: BENCH_CONCURRENCY (8), BENCH_ROUNDS (3), BENCH_ROUND_S (6), BENCH_RESULTS
// (bench/results/billing-overhead.md; empty: none).
import fs from "node:fs";
import path from "node:path";
import {BIN, Cluster, MODEL, REPO_ROOT, postJson, run, waitFor} from "../../tests/integration/lib/harness.mjs";
import {startMockEngine} from "../../tests/integration/lib/mock_engine.mjs";

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 6);
const RESULTS = process.env.BENCH_RESULTS ?? path.join(REPO_ROOT, "bench/results/billing-overhead.md");

const percentile = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};

async function load(client, seconds) {
    const body = {model: MODEL, messages: [{role: "user", content: "bench"}], max_tokens: 16};
    const latencies = [];
    let errors = 0;
    const end = Date.now() + seconds * 1000;
    await Promise.all(Array.from({length: CONCURRENCY}, async () => {
        while (Date.now() < end) {
            const t0 = performance.now();
            const r = await postJson(`${client.url}/v1/chat/completions`, body).catch(() => null);
            if (r?.status === 200) latencies.push(performance.now() - t0);
            else errors++;
        }
    }));
    return {requests: latencies.length, errors, seconds, latencies};
}

const cluster = new Cluster("bench-billing");
const mock = await startMockEngine();
try {
    const a = cluster.attestation();
    await cluster.startDevnet({
        proxyImageHashes: [a.proxyImage],
        workerImageHashes: [a.workerImage],
        modelHashes: [run(BIN, ["attest", "model-hash", "--name", MODEL]).trim()],
    });
    const engine = {kind: "external", url: mock.url};
    const free = {proxy: await cluster.startProxy({id: "free-proxy", logLevel: "warn"})};
    free.worker = await cluster.startWorker({id: "free-worker", proxies: [free.proxy], engine, maxConcurrent: 64, logLevel: "warn"});
    free.client = await cluster.startClient({id: "free-client", proxies: [free.proxy], logLevel: "warn"});
    const paid = {proxy: await cluster.startProxy({id: "paid-proxy", logLevel: "warn",
        billing: {wallet: await cluster.fundedWallet("proxy", "50"), commit_interval_ms: 1000, charge_threshold_ton: "0.000001"}})};
    paid.worker = await cluster.startWorker({id: "paid-worker", proxies: [paid.proxy], engine, maxConcurrent: 64, logLevel: "warn",
        billing: {wallet: await cluster.fundedWallet("worker", "5"), claim_threshold_ton: "0.00001"}});
    paid.client = await cluster.startClient({id: "paid-client", proxies: [paid.proxy], logLevel: "warn",
        billing: {wallet: await cluster.fundedWallet("client", "20"), deposit_ton: "5", stake_ton: "2"}});
    for (const n of [free, paid]) await cluster.waitForWorkers(n.client, 1, {timeoutMs: 90_000});
    await waitFor(async () => (await paid.client.stats()).billing.accounts.some((x) => x.ready), {timeoutMs: 90_000, what: "paid client funded"});
    for (const n of [free, paid]) await load(n.client, 1);  // warm-up: connections, caches

    const totals = {off: [], on: []};
    for (let r = 0; r < ROUNDS; ++r)
        for (const [label, n] of r % 2 ? [["on", paid], ["off", free]] : [["off", free], ["on", paid]])
            totals[label].push(await load(n.client, ROUND_S));
    const sum = (runs) => ({
        rps: runs.reduce((s, x) => s + x.requests, 0) / runs.reduce((s, x) => s + x.seconds, 0),
        errors: runs.reduce((s, x) => s + x.errors, 0),
        p50: percentile(runs.flatMap((x) => x.latencies), 0.5),
        p99: percentile(runs.flatMap((x) => x.latencies), 0.99),
        requests: runs.reduce((s, x) => s + x.requests, 0),
    });
    const off = sum(totals.off), on = sum(totals.on);
    const b = await waitFor(async () => {
        const s = (await paid.proxy.stats()).billing;
        return s.committed_seqno === s.seqno && s.reserved_tokens === 0 ? s : null;
    }, {timeoutMs: 60_000, what: "the last commit"});
    const commitMs = b.last_commit_ms;
    const ok = b.invariant_violations.length === 0 && BigInt(b.charged_nano) === BigInt(b.worker_fees_nano) + BigInt(b.commission_nano);

    const row = (name, x) => `| ${name} | ${x.requests} | ${x.rps.toFixed(1)} | ${x.p50.toFixed(1)} | ${x.p99.toFixed(1)} | ${x.errors} |`;
    const lines = [
        `# Billing overhead on the request path`,
        ``,
        `\`node bench/billing/overhead.mjs\` — ${new Date().toISOString().slice(0, 10)}, ${CONCURRENCY} concurrent non-streaming requests ` +
        `(16 completion tokens, mock engine), ${ROUNDS} alternating rounds of ${ROUND_S} s per network, one devnet.`,
        ``,
        `| network | requests | requests/s | p50 ms | p99 ms | errors |`,
        `|---|---|---|---|---|---|`,
        row("billing off", off),
        row("billing on", on),
        ``,
        `Billing on / off throughput: **${(on.rps / off.rps * 100).toFixed(1)} %** ` +
        `(p50 latency +${(on.p50 - off.p50).toFixed(2)} ms per request: reserve + settle, each a signed, fsynced SQLite transaction).`,
        ``,
        `Proxy state commits during the run: ${b.commits} (every ${1000} ms while anything changed), last one ${commitMs.toFixed(0)} ms ` +
        `(signed save-state sent through the proxy's wallet, waited for on the devnet, read back and checked); ` +
        `${b.charges_sent} on-chain client charges. Books after the run: ${b.charged_tokens} tokens charged = ${b.charged_nano} nanoTON = ` +
        `${b.worker_fees_nano} worker fees + ${b.commission_nano} commission; invariants ${ok ? "hold" : "VIOLATED"}.`,
        ``,
    ];
    const text = lines.join("\n");
    console.log(text);
    if (RESULTS) fs.writeFileSync(RESULTS, text);
    if (!ok) process.exitCode = 1;
} finally {
    await cluster.stop();
    await mock.close();
}
