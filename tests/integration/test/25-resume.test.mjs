// Answers that survive a worker's death (docs/resume.md), paid on the devnet with the embedded
// engine, its tokens paced so that a worker can be killed mid-answer. A worker killed after 10 of
// 40 tokens: the app gets one stream, the same text as an uninterrupted run at temperature 0, usage
// of 40 completion tokens and the cost of an uninterrupted answer; each worker is paid for its part,
// and the contracts on the devnet agree to the nanoTON. Then two deaths in one answer, and a death
// with no other worker left (a clean error, charged only what was delivered). Then reputation: it
// follows the worker's proven owner across a key rotation, and anyone can check the proxy's table.
import assert from "node:assert/strict";
import {execFile, spawnSync} from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, chunkText, getJson, readSse, run, waitFor} from "../lib/harness.mjs";

const NANO = 10n ** 9n;
const PRICE = 2n;
const PACE_MS = 60;
const PROXY_BILLING = {commit_interval_ms: 400, charge_threshold_ton: "0.000000001", client_refresh_s: 1};

let cluster, proxy, workers, client;
before(async () => {
    cluster = new Cluster("resume", {keybroker: true});
    const a = cluster.attestation();
    await cluster.startDevnet({
        proxyImageHashes: [a.proxyImage],
        workerImageHashes: [a.workerImage],
        modelHashes: [run(BIN, ["attest", "model-hash", "--file", cluster.testModel()]).trim()],
    });
    const proxyWallet = await cluster.fundedWallet("proxy", "20");
    proxy = await cluster.startProxy({id: "proxy", billing: {wallet: proxyWallet, ...PROXY_BILLING}});
    workers = [];
    for (const id of ["worker-1", "worker-2", "worker-3"]) {
        const wallet = await cluster.fundedWallet(id, "5");
        workers.push(await cluster.startWorker({id, proxies: [proxy], engine: {kind: "embedded", paceMs: PACE_MS},
            billing: {wallet, claim_threshold_ton: "0.000000001"}}));
    }
    const clientWallet = await cluster.fundedWallet("client", "20");
    client = await cluster.startClient({id: "client", proxies: [proxy],
        billing: {wallet: clientWallet, deposit_ton: "2", stake_ton: "1", topup_below_ton: "0.5"}});
    await cluster.waitForWorkers(client, 3, {timeoutMs: 90_000});
    await waitFor(async () => (await client.stats()).billing.accounts.find((x) => x.ready) ?? null,
        {timeoutMs: 90_000, what: "the client contract funded and seen by the proxy", logs: () => cluster.logs()});
});
after(async () => {
    await cluster?.stop();
});

const body = (content, extra = {}) => ({model: MODEL, messages: [{role: "user", content}], max_tokens: 40, temperature: 0,
    stream: true, stream_options: {include_usage: true}, ...extra});

// Streams a request; `onContent(n, res)` is called after the n-th chunk with text arrives.
async function stream(request, onContent = () => {}) {
    const res = await fetch(`${client.url}/v1/chat/completions`, {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify(request), signal: AbortSignal.timeout(60_000)});
    if (res.status !== 200) assert.fail(`HTTP ${res.status}: ${await res.text()}`);
    let n = 0;
    const {events, ended} = await readSse(res, (e) => {
        if (!e.done && chunkText(e.json)) onContent(++n, res);
        return false;
    });
    assert.equal(ended, "eof");
    const chunks = events.filter((e) => !e.done).map((e) => e.json);
    return {
        res, events, chunks,
        text: chunks.map(chunkText).filter(Boolean).join(""),
        errors: chunks.filter((c) => c.error),
        usageChunk: chunks.find((c) => c.usage),
        roles: chunks.filter((c) => c.choices?.[0]?.delta?.role).length,
        ids: new Set(chunks.filter((c) => c.choices?.length).map((c) => c.id)),
        done: events.filter((e) => e.done).length,
    };
}

const serving = (res) => workers.find((w) => w.id === res.headers.get("x-chrysalis-worker"));
const books = async () => (await proxy.stats()).billing;
const earnedBy = (b) => Object.fromEntries(b.workers.map((w) => [w.contract, BigInt(w.earned_tokens)]));
// A worker's contract as the proxy's books name it (raw "wc:hex"); its /stats says it user-friendly.
const rawOf = (friendly) => {
    const bytes = Buffer.from(friendly, "base64url");
    return `${bytes.readInt8(1)}:${bytes.subarray(2, 34).toString("hex")}`;
};
const contractOf = async (w) => rawOf(await waitFor(async () => (await w.stats()).billing.proxies[0]?.contract || null,
    {what: `${w.id}'s worker contract verified`}));

async function killServing(counts) {
    // The serving worker of a continuation is not in the response headers (they went with the first
    // part), so it is found on the workers' /stats: the one running a request.
    const killed = [];
    const onContent = async (n, res) => {
        if (!counts.includes(n)) return;
        let victim = killed.length === 0 ? serving(res) : null;
        if (!victim)
            for (const w of workers.filter((x) => x.alive && !killed.includes(x)))
                if ((await w.stats()).running > 0) victim = w;
        assert.ok(victim, `a worker answering at chunk ${n}`);
        killed.push(victim);
        victim.expectedDead = true;
        victim.kill("SIGKILL");
    };
    return {killed, onContent};
}

let baseline;
test("a worker killed after 10 of 40 tokens: one stream, the same text, 40 tokens charged once, each worker paid its part", async () => {
    baseline = await stream(body("Tell me about the sea"));
    assert.equal(baseline.errors.length, 0, JSON.stringify(baseline.errors));
    assert.equal(baseline.usageChunk.usage.completion_tokens, 40, "the test model answers 40 tokens uninterrupted");
    const baselineCost = BigInt(baseline.usageChunk.chrysalis.cost_nano);
    const before = await books();

    const {killed, onContent} = await killServing([10]);
    const cut = await stream(body("Tell me about the sea"), onContent);
    assert.equal(killed.length, 1);
    assert.deepEqual(cut.errors, [], "no error reaches the app");
    assert.equal(cut.text, baseline.text, "the text before and after the cut is the uninterrupted answer");
    assert.equal(cut.roles, 1, "one role");
    assert.equal(cut.ids.size, 1, "one answer id");
    assert.equal(cut.done, 1, "one [DONE]");
    assert.equal(cut.events.at(-1).done, true);
    const {usage, chrysalis} = cut.usageChunk;
    assert.equal(usage.completion_tokens, 40);
    assert.equal(usage.prompt_tokens, baseline.usageChunk.usage.prompt_tokens);
    assert.equal(chrysalis.resumed.length, 1, JSON.stringify(chrysalis));
    const part = chrysalis.resumed[0];
    assert.equal(part.worker, killed[0].id);
    assert.ok(part.completion_tokens >= 10 && part.completion_tokens < 40, JSON.stringify(part));
    assert.equal(chrysalis.receipt.verified, true, JSON.stringify(chrysalis.receipt));
    assert.equal(BigInt(chrysalis.cost_nano), baselineCost, "the resumed answer costs what an uninterrupted one does");

    // The books: the client charged once for every token; the dead worker earned its prompt and
    // part, the one that finished earned the rest.
    await waitFor(async () => (await books()).reserved_tokens === 0, {what: "no reservation left"});
    const after = await books();
    const charged = BigInt(after.charged_tokens) - BigInt(before.charged_tokens);
    assert.equal(charged * PRICE, baselineCost);
    const earnedBefore = earnedBy(before), earnedAfter = earnedBy(after);
    const delta = async (w) => {
        const c = await contractOf(w);
        return (earnedAfter[c] ?? 0n) - (earnedBefore[c] ?? 0n);
    };
    // A dead worker's /stats cannot be read: restart it (it then claims what it is owed).
    killed[0].start();
    await killed[0].waitHealthy(30_000);
    const finisher = workers.find((w) => w.id === cut.res.headers.get("x-chrysalis-resumed-on")) ??
        (await Promise.all(workers.filter((w) => w !== killed[0]).map(async (w) => [w, await delta(w)]))).find(([, d]) => d > 0n)[0];
    const prompt = BigInt(usage.prompt_tokens);
    assert.equal(await delta(killed[0]), prompt + BigInt(part.completion_tokens), "the dead worker: prompt + its part");
    assert.equal(await delta(finisher), 40n - BigInt(part.completion_tokens), "the finisher: the rest, no prompt again");
    assert.equal(charged, prompt + 40n);
    await settledOnChain();
});

test("two deaths in one answer: still one stream and the same text", async () => {
    await cluster.waitForWorkers(client, 3, {timeoutMs: 60_000});
    const {killed, onContent} = await killServing([8, 20]);
    const cut = await stream(body("Tell me about the sea"), onContent);
    assert.equal(killed.length, 2);
    assert.deepEqual(cut.errors, []);
    assert.equal(cut.text, baseline.text);
    assert.equal(cut.roles, 1);
    assert.equal(cut.done, 1);
    assert.equal(cut.usageChunk.usage.completion_tokens, 40);
    assert.equal(cut.usageChunk.chrysalis.resumed.length, 2);
    assert.equal(BigInt(cut.usageChunk.chrysalis.cost_nano), BigInt(baseline.usageChunk.chrysalis.cost_nano));
    const proxyStats = await proxy.stats();
    assert.ok(proxyStats.resumes.claimed >= 3, JSON.stringify(proxyStats.resumes));
    assert.ok(proxyStats.resumes.held <= proxyStats.resumes.limit);
    for (const w of killed) {
        w.start();
        await w.waitHealthy(30_000);
    }
});

test("a death with no other worker left: a clean error, charged only what was delivered", async () => {
    await cluster.waitForWorkers(client, 3, {timeoutMs: 60_000});
    const [keep, ...others] = workers;
    for (const w of others) {
        w.expectedDead = true;
        await w.kill("SIGKILL");
    }
    await cluster.waitForWorkers(client, 1, {timeoutMs: 30_000});
    const before = await books();
    const killed = [];
    const cut = await stream(body("Tell me about the sea"), (n) => {
        if (n !== 10) return;
        killed.push(keep);
        keep.expectedDead = true;
        keep.kill("SIGKILL");
    });
    assert.equal(killed.length, 1);
    assert.equal(cut.errors.length, 1, JSON.stringify(cut.chunks.slice(-2)));
    assert.match(cut.errors[0].error.message, /worker disconnected/);
    assert.match(cut.errors[0].error.message, /not continued/);
    assert.equal(cut.done, 0, "no [DONE] after a failed answer");
    assert.ok(cut.text.length > 0 && baseline.text.startsWith(cut.text), "what arrived is the answer's beginning");
    await waitFor(async () => (await books()).reserved_tokens === 0, {what: "no reservation left"});
    const after = await books();
    const charged = BigInt(after.charged_tokens) - BigInt(before.charged_tokens);
    const delivered = BigInt(cut.chunks.filter((c) => chunkText(c)).length);
    const prompt = BigInt(baseline.usageChunk.usage.prompt_tokens);
    assert.ok(charged >= prompt + 10n && charged <= prompt + delivered, `charged ${charged}, delivered ${delivered}`);
    const account = (await client.stats()).billing.accounts[0];
    assert.equal(account.dropped ?? "", "", "the charge for the unsigned part is within what the client received");
    for (const w of workers) {
        w.start();
        await w.waitHealthy(30_000);
    }
    await cluster.waitForWorkers(client, 3, {timeoutMs: 60_000});
    await settledOnChain();
});

test("reputation follows the owner: a worker that rotates its key keeps its bad record; the table verifies and is committed on chain", async () => {
    const victim = workers[1];
    const before = (await proxy.stats()).workers.find((w) => w.id === victim.id);
    assert.equal(before.owner_proven, true, JSON.stringify(before));
    const subject = before.reputation.subject;
    assert.match(subject, /^owner:0:[0-9a-f]{64}$/);
    const table = await getJson(`${proxy.url}/reputation`);
    const mine = table.body.entries.find((e) => e.subject === subject);
    assert.ok(mine.counters.mid_stream_errors >= 1, JSON.stringify(mine));  // it was killed mid-answer above

    // The same operator, a new TLS key: the worker's key file goes, its wallet stays.
    victim.expectedDead = true;
    await victim.kill("SIGKILL");
    fs.rmSync(path.join(cluster.dir, victim.id, "key.sealed"), {force: true});
    fs.rmSync(path.join(cluster.dir, victim.id, "key.pem"), {force: true});
    victim.start();
    await victim.waitHealthy(30_000);
    const after = await waitFor(async () => {
        const w = (await proxy.stats()).workers.find((x) => x.id === victim.id);
        return w && w.public_key !== before.public_key && w.owner_proven ? w : null;
    }, {what: "the worker back with a new key and its owner proven"});
    assert.equal(after.reputation.subject, subject, "the record is the owner's, not the key's");
    assert.equal(after.reputation.outcomes, 0, "the new key itself has no history");
    assert.ok(before.reputation.owner_outcomes > 0);
    assert.equal(after.reputation.owner_outcomes, before.reputation.owner_outcomes, "the owner's history is kept");
    assert.ok(after.reputation.owner_trust < 1, "its mid-answer failures still count against it");
    assert.ok(Math.abs(after.reputation.owner_trust - before.reputation.owner_trust) < 0.05);

    // Anyone can check the table: signature, every proof, and its root in the books on chain.
    const verified = await waitFor(async () => {
        const r = spawnSync(BIN, ["reputation", "verify", "--endpoint", proxy.url, "--chain", cluster.devnet.endpoint,
            "--subject", subject], {encoding: "utf8"});
        const out = JSON.parse(r.stdout || "{}");
        return r.status === 0 ? out : null;
    }, {timeoutMs: 30_000, what: "the reputation table committed on chain"});
    assert.equal(verified.table, true);
    assert.equal(verified.committed.ok, true, JSON.stringify(verified));
    // Every entry's recent events replayed to its counters, each success on its worker's receipt;
    // the kill mid-answer is the proxy's own word (the dead worker signed nothing).
    assert.equal(verified.history.problem, undefined, JSON.stringify(verified.history));
    assert.ok(verified.history.entries >= 3 && verified.history.receipts > 0, JSON.stringify(verified.history));
    assert.ok(verified.history.proxy_word >= 1, JSON.stringify(verified.history));
    assert.ok(verified.subject.entries[0].counters.mid_stream_errors >= 1);

    // A table with one counter changed is caught, naming the entry.
    const forged = structuredClone(table.body);
    const at = forged.entries.findIndex((e) => e.subject === subject);
    forged.entries[at].counters.mid_stream_errors = 0;
    const r = await verifyServed(forged);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(JSON.parse(r.stdout).problem, new RegExp(`entries\\[${at}\\].*do not lead to the signed root`));

    // The owner's events, under both its keys, each with the owner proof for its key; a history
    // with one of them left out no longer gives the signed counters.
    const withHistory = (await getJson(`${proxy.url}/reputation?history=1`)).body;
    const ownEntry = withHistory.entries.find((e) => e.subject === subject);
    const keys = new Set(ownEntry.history.events.map((e) => e.worker_key));
    assert.ok(ownEntry.history.events.every((e) => e.owner_proof.length > 0), JSON.stringify(ownEntry.history.events[0]));
    assert.ok(ownEntry.history.events.length > 0 && keys.size >= 1);
    const dropped = structuredClone(withHistory);
    const dropAt = dropped.entries.findIndex((e) => e.subject === subject);
    dropped.entries[dropAt].history.events.splice(0, 1);
    const r2 = await verifyServed(dropped);
    assert.equal(r2.status, 1, r2.stdout + r2.stderr);
    assert.match(JSON.parse(r2.stdout).problem, new RegExp(`history: entries\\[${dropAt}\\].*its events do not give its signed counters`));

    // The client checked the proxy's table before showing its figures.
    const models = await getJson(`${client.url}/v1/models`);
    const rep = models.body.data[0].reputation[0];
    assert.equal(rep.verified, true, JSON.stringify(rep));
    assert.ok(rep.requests > 0 && rep.mid_stream_errors >= 1, JSON.stringify(rep));
    assert.ok(rep.history.entries >= 1 && rep.history.events > 0 && rep.history.receipts > 0, JSON.stringify(rep.history));

    // And it read the proxy contract itself: the newest table the proxy committed leads, through
    // the proof the proxy sent with it, to the hash the contract holds on chain.
    const committed = await waitFor(async () => {
        const m = await getJson(`${client.url}/v1/models`);
        const c = m.body.data[0].reputation[0].committed;
        return c?.ok ? c : null;
    }, {timeoutMs: 40_000, what: "the client's check of the committed table"});
    assert.match(committed.detail, /in the books committed on chain at seqno \d+/);
    assert.ok(committed.chain_seqno >= 1 && /^[0-9a-f]{64}$/.test(committed.root), JSON.stringify(committed));
    const clientStats = await client.stats();
    assert.equal(clientStats.metrics.counters.reputation_tables_rejected, undefined);
});

// `chrysalis reputation verify` against `table` served from this process (so run asynchronously).
async function verifyServed(table) {
    const server = http.createServer((req, res) => res.end(JSON.stringify(table)));
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const r = await new Promise((resolve) => execFile(BIN, ["reputation", "verify", "--endpoint",
        `http://127.0.0.1:${server.address().port}`], (error, stdout, stderr) => resolve({status: error?.code ?? 0, stdout, stderr})));
    server.close();
    return r;
}

// Everything settled is committed, charged to the client contract and claimed by every worker; the
// contracts agree with the books to the nanoTON.
async function settledOnChain() {
    let seen = {};
    const b = await waitFor(async () => {
        const b = await books();
        seen = {books: {reserved: b.reserved_tokens, seqno: b.seqno, committed: b.committed_seqno, clients: b.clients, workers: b.workers},
            workers: await Promise.all(workers.map(async (w) => w.alive ? (await w.stats()).billing.proxies : "dead"))};
        if (b.reserved_tokens !== 0 || b.committed_seqno !== b.seqno) return null;
        if (b.clients.some((c) => c.committed_tokens !== c.charged_tokens || c.charged_on_chain_tokens !== c.charged_tokens)) return null;
        let claimed = 0;
        for (const w of workers) {
            const ws = (await w.stats()).billing.proxies;
            if (ws.some((x) => (x.claimed_tokens ?? 0) !== (x.signed_tokens ?? 0))) return null;
            claimed += ws.reduce((s, x) => s + (x.claimed_tokens ?? 0), 0);
        }
        return claimed === b.workers.reduce((s, x) => s + x.earned_tokens, 0) ? b : null;
    }, {timeoutMs: 120_000, intervalMs: 300, what: "books committed, charged and claimed on chain", logs: () => JSON.stringify(seen, null, 1)});
    assert.deepEqual(b.invariant_violations, []);
    const c = b.clients.find((x) => x.contract);
    const cc = cluster.contract("client", c.contract);
    assert.equal(BigInt(cc.tokens_used), BigInt(b.charged_tokens));
    for (const w of b.workers) assert.equal(BigInt(cluster.contract("worker", w.contract).tokens), BigInt(w.earned_tokens));
    assert.equal(BigInt(b.charged_nano), BigInt(b.worker_fees_nano) + BigInt(b.commission_nano));
    assert.ok(BigInt(cc.balance) <= 2n * NANO);
}
