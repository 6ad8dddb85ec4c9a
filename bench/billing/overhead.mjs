// Accounting overhead on the request path: three networks on one devnet, identical except for
// billing, all on the same mock engine so the engine costs almost nothing:
//   off      no [billing];
//   on       [billing] on proxy, worker and client, state commits held back during the load (the
//            request path alone: reserve, settle, signed amounts);
//   on+chain the same with a commit (and client charges, worker claims) every second, so the
//            devnet works on these same 2 cores while the load runs.
// The same closed-loop load (C concurrent non-streaming requests, 16 completion tokens each) runs
// against each in rotating rounds, so drift on a shared machine hits all alike. Also reports the
// proxy's state-commit cost (a signed save-state through its wallet, waited for on chain, read back
// and checked) and that the books balance afterwards.
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
        modelHashes: [cluster.modelHash(MODEL)],
    });
    const engine = {kind: "external", url: mock.url};
    const free = {proxy: await cluster.startProxy({id: "free-proxy", logLevel: "warn"})};
    free.worker = await cluster.startWorker({id: "free-worker", proxies: [free.proxy], engine, maxConcurrent: 64, logLevel: "warn"});
    free.client = await cluster.startClient({id: "free-client", proxies: [free.proxy], logLevel: "warn"});
    const paidNetwork = async (name, commitMs) => {
        const n = {proxy: await cluster.startProxy({id: `${name}-proxy`, logLevel: "warn",
            billing: {wallet: await cluster.fundedWallet(`${name}-proxy`, "50"), commit_interval_ms: commitMs, charge_threshold_ton: "0.000001"}})};
        n.worker = await cluster.startWorker({id: `${name}-worker`, proxies: [n.proxy], engine, maxConcurrent: 64, logLevel: "warn",
            billing: {wallet: await cluster.fundedWallet(`${name}-worker`, "5"), claim_threshold_ton: "0.00001"}});
        n.client = await cluster.startClient({id: `${name}-client`, proxies: [n.proxy], logLevel: "warn",
            billing: {wallet: await cluster.fundedWallet(`${name}-client`, "20"), deposit_ton: "5", stake_ton: "2"}});
        return n;
    };
    const held = await paidNetwork("held", 3_600_000), paid = await paidNetwork("paid", 1000);
    for (const n of [free, held, paid]) await cluster.waitForWorkers(n.client, 1, {timeoutMs: 90_000});
    for (const n of [held, paid])
        await waitFor(async () => (await n.client.stats()).billing.accounts.some((x) => x.ready), {timeoutMs: 90_000, what: "paid client funded"});
    for (const n of [free, held, paid]) await load(n.client, 1);  // warm-up: connections, caches

    const networks = [["off", free], ["on", held], ["on+chain", paid]];
    const totals = {off: [], on: [], "on+chain": []};
    for (let r = 0; r < ROUNDS; ++r)
        for (let i = 0; i < networks.length; ++i) {
            const [label, n] = networks[(i + r) % networks.length];
            totals[label].push(await load(n.client, ROUND_S));
        }
    const sum = (runs) => ({
        rps: runs.reduce((s, x) => s + x.requests, 0) / runs.reduce((s, x) => s + x.seconds, 0),
        errors: runs.reduce((s, x) => s + x.errors, 0),
        p50: percentile(runs.flatMap((x) => x.latencies), 0.5),
        p99: percentile(runs.flatMap((x) => x.latencies), 0.99),
        requests: runs.reduce((s, x) => s + x.requests, 0),
    });
    const off = sum(totals.off), on = sum(totals.on), chain = sum(totals["on+chain"]);
    const heldBooks = (await held.proxy.stats()).billing;
    const b = await waitFor(async () => {
        const s = (await paid.proxy.stats()).billing;
        return s.committed_seqno === s.seqno && s.reserved_tokens === 0 ? s : null;
    }, {timeoutMs: 60_000, what: "the last commit"});
    const commitMs = b.last_commit_ms;
    const balanced = (x) => x.invariant_violations.length === 0 && BigInt(x.charged_nano) === BigInt(x.worker_fees_nano) + BigInt(x.commission_nano);
    const ok = balanced(b) && balanced(heldBooks) && heldBooks.reserved_tokens === 0;

    const row = (name, x) => `| ${name} | ${x.requests} | ${x.rps.toFixed(1)} | ${x.p50.toFixed(1)} | ${x.p99.toFixed(1)} | ${x.errors} |`;
    const lines = [
        `# Billing overhead on the request path`,
        ``,
        `\`node bench/billing/overhead.mjs\` — ${new Date().toISOString().slice(0, 10)}, ${CONCURRENCY} concurrent non-streaming requests ` +
        `(16 completion tokens, mock engine), ${ROUNDS} rotating rounds of ${ROUND_S} s per network, one devnet, 2 cores shared by ` +
        `every process (load generator, devnet, 3 × client/proxy/worker, mock engine).`,
        ``,
        `| network | requests | requests/s | p50 ms | p99 ms | errors |`,
        `|---|---|---|---|---|---|`,
        row("billing off", off),
        row("billing on (request path; commits held back)", on),
        row("billing on + a commit every second (devnet busy)", chain),
        ``,
        `Request path, billing on / off: **${(on.rps / off.rps * 100).toFixed(1)} %** of the throughput, p50 ` +
        `${on.p50 >= off.p50 ? "+" : ""}${(on.p50 - off.p50).toFixed(2)} ms (a reservation, a settlement fsynced before the end is ` +
        `forwarded, signed rows). With the chain work of a commit every second on the same cores: ` +
        `**${(chain.rps / off.rps * 100).toFixed(1)} %** — that cost is the devnet emulating and persisting ` +
        `the chain next to the network, not the request path.`,
        ``,
        `Proxy state commits during the run: ${b.commits} (every ${1000} ms while anything changed), last one ${commitMs.toFixed(0)} ms ` +
        `(signed save-state sent through the proxy's wallet, waited for on the devnet, read back and checked); ` +
        `${b.charges_sent} on-chain client charges. Books after the run: ${b.charged_tokens} tokens charged = ${b.charged_nano} nanoTON = ` +
        `${b.worker_fees_nano} worker fees + ${b.commission_nano} commission; invariants ${ok ? "hold" : "VIOLATED"}.`,
        ``,
    ];
    const w = heldBooks.writer;
    if (w) lines.push(`The books' writer thread (group commit) on the "billing on" proxy: ${w.writes} writes in ${w.transactions} ` +
        `transactions, ${w.fsyncs} fsyncs, largest group ${w.largest_group}, ${w.failures} failures.`, ``);
    const text = lines.join("\n");
    console.log(text);
    const figures = (x) => ({requests: x.requests, rps: Number(x.rps.toFixed(1)), p50_ms: Number(x.p50.toFixed(2)), p99_ms: Number(x.p99.toFixed(2)), errors: x.errors});
    console.log("BILLING_JSON " + JSON.stringify({off: figures(off), on: figures(on), on_chain: figures(chain),
        ratio: Number((on.rps / off.rps).toFixed(3)), ratio_chain: Number((chain.rps / off.rps).toFixed(3)),
        added_p50_ms: Number((on.p50 - off.p50).toFixed(2)), writer: w ?? null, concurrency: CONCURRENCY, rounds: ROUNDS, round_s: ROUND_S, ok}));
    if (RESULTS) fs.writeFileSync(RESULTS, text);
    if (!ok) process.exitCode = 1;
} finally {
    await cluster.stop();
    await mock.close();
}
