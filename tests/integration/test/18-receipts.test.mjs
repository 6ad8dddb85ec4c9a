// Signed receipts (src/receipts/README.md): every answer ends with the worker's receipt,
// countersigned by the proxy, which the client checks itself and keeps; `chrysalis receipt verify`
// checks one offline — both signatures, the worker's certificate against the client's own policy,
// the answer text against the signed hash — and names whatever fails.
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, chunkText, getJson, postJson, readSse, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

let cluster, mock, stallEngine, proxy, sealed, plain;
before(async () => {
    mock = await startMockEngine({defaultMode: "count"});
    stallEngine = await startMockEngine({defaultMode: "stall"});
    cluster = new Cluster("receipts");
    proxy = await cluster.startProxy({id: "proxy", routing: {policy: "round_robin", first_token_timeout_ms: 500}});
    await cluster.startWorker({id: "staller", proxies: [proxy], engine: {kind: "external", url: stallEngine.url}});
    await cluster.startWorker({id: "honest", proxies: [proxy], engine: {kind: "external", url: mock.url}});
    sealed = await cluster.startClient({id: "sealed", proxies: [proxy]});
    plain = await cluster.startClient({id: "plain", proxies: [proxy], settings: {e2e: "off"}});
    await cluster.waitForWorkers(sealed, 2);
    await cluster.waitForWorkers(plain, 2);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
    await stallEngine?.close();
});

const ask = (content, extra = {}) => ({model: MODEL, messages: [{role: "user", content}], max_tokens: 8, ...extra});
let files = 0;

// `chrysalis receipt verify` on a receipt (and the answer text, when given): its JSON and exit code.
function verify(receipt, {answer, config} = {}) {
    const file = path.join(cluster.dir, `receipt-${++files}.json`);
    fs.writeFileSync(file, JSON.stringify(receipt));
    const args = ["receipt", "verify", file];
    if (answer !== undefined) {
        const text = path.join(cluster.dir, `answer-${files}.txt`);
        fs.writeFileSync(text, answer);
        args.push("--answer", text);
    }
    if (config) args.push("--config", config);
    const r = spawnSync(BIN, args, {encoding: "utf8"});
    return {status: r.status, out: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr};
}

function failedCheck(result) {
    return result.out.checks.find((c) => !c.ok);
}

async function streamed(client, content) {
    const res = await fetch(`${client.url}/v1/chat/completions`, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify(ask(content, {stream: true, stream_options: {include_usage: true}})),
    });
    assert.equal(res.status, 200);
    const {events} = await readSse(res);
    const text = events.filter((e) => !e.done).map((e) => chunkText(e.json) ?? "").join("");
    const usageChunk = events.find((e) => e.json?.usage);
    return {text, usageChunk: usageChunk.json, worker: res.headers.get("x-chrysalis-worker")};
}

test("a streamed e2e answer ends with a receipt the client verified, and it verifies offline", async () => {
    // round_robin with a staller: some of these fail over after the first-token timeout.
    const seen = new Set();
    for (let i = 0; i < 4; ++i) {
        const {text, usageChunk, worker} = await streamed(sealed, `streamed ${i}`);
        assert.equal(worker, "honest");
        const receipt = usageChunk.chrysalis.receipt;
        assert.equal(receipt.verified, true, JSON.stringify(receipt));
        assert.equal(receipt.worker.request_id.length > 0, true);
        assert.deepEqual(receipt.worker.usage.completion_tokens, usageChunk.usage.completion_tokens);
        assert.ok(receipt.proxy, "countersigned by the proxy");
        const r = verify(receipt, {answer: text, config: sealed.config});
        assert.equal(r.status, 0, JSON.stringify(r.out ?? r.stderr));
        assert.deepEqual(r.out.checks.map((c) => c.check), ["fields", "signatures", "answer_hash", "worker_certificate"]);
        seen.add(receipt.worker.worker_key);
    }
    assert.equal(seen.size, 1, "every receipt is the honest worker's, failed over or not");
    const stats = await proxy.stats();
    assert.ok((stats.metrics.counters.first_token_timeouts?.all ?? 0) >= 1, "some answers failed over");
});

test("a whole answer carries the receipt in its body and a header; plaintext ones carry the worker's certificate", async () => {
    for (const client of [sealed, plain]) {
        const r = await postJson(`${client.url}/v1/chat/completions`, ask("whole"));
        assert.equal(r.status, 200, r.text);
        const receipt = r.body.chrysalis.receipt;
        assert.equal(receipt.verified, true, JSON.stringify(receipt));
        assert.ok(r.headers.get("x-chrysalis-receipt")?.length > 100, "X-Chrysalis-Receipt header");
        assert.ok(receipt.worker_certificate, "the certificate the client checked is kept with it");
        const v = verify(r.body, {answer: r.body.choices[0].message.content, config: client.config});
        assert.equal(v.status, 0, JSON.stringify(v.out ?? v.stderr));
        if (client === plain) assert.equal(receipt.answer_salt, "", "plaintext answers are hashed unsalted");
        else assert.equal(receipt.answer_salt.length, 64, "e2e answers are hashed with the exchange's salt");
    }
});

test("a receipt with any field changed, or another answer, fails naming what failed", async () => {
    const r = await postJson(`${sealed.url}/v1/chat/completions`, ask("tamper"));
    const receipt = r.body.chrysalis.receipt;
    const answer = r.body.choices[0].message.content;
    for (const [change, named] of [
        [(x) => { x.worker.usage.completion_tokens += 1; }, /worker\.usage\.completion_tokens/],
        [(x) => { x.worker.model_hash = "00".repeat(32); }, /worker\.model_hash/],
        [(x) => { x.proxy.charged_tokens = 1; }, /proxy\.charged_tokens/],
        [(x) => { x.proxy.proxy_key = "11".repeat(32); }, /proxy\.proxy_key/],
    ]) {
        const copy = structuredClone(receipt);
        change(copy);
        const v = verify(copy, {answer});
        assert.equal(v.status, 1);
        assert.equal(failedCheck(v).check, "fields");
        assert.match(failedCheck(v).detail, named);
    }
    const flipped = structuredClone(receipt);
    const bytes = Buffer.from(flipped.signed, "base64");
    bytes[bytes.length - 3] ^= 1;  // inside the proxy's signature
    flipped.signed = bytes.toString("base64");
    delete flipped.worker;
    delete flipped.proxy;
    let v = verify(flipped);
    assert.equal(v.status, 1);
    assert.match(failedCheck(v).detail, /proxy_signature/);
    v = verify(receipt, {answer: answer + "!"});
    assert.equal(v.status, 1);
    assert.match(failedCheck(v).detail, /^answer_hash/);
    // A policy that does not allow the worker's image refuses its certificate, naming the check.
    const strict = path.join(cluster.dir, "strict.toml");
    fs.writeFileSync(strict, fs.readFileSync(sealed.config, "utf8")
        .replace(/allowed_worker_images = \[[^\]]*\]/, `allowed_worker_images = ["${"ab".repeat(32)}"]`));
    v = verify(receipt, {answer, config: strict});
    assert.equal(v.status, 1);
    assert.equal(failedCheck(v).check, "worker_certificate");
    assert.match(failedCheck(v).detail, /image/);
});

// True at the third chunk with text (a stream cut by the staller's first-token timeout has none).
let seenText = 0;
const events3 = (e) => (chunkText(e.json) ? ++seenText % 3 === 0 : false);

test("an answer the app cancels still gets its receipt, covering every part the worker produced", async () => {
    for (const client of [sealed, plain]) {
        const before = (await getJson(`${client.url}/admin/receipts`, {headers: client.adminHeaders})).body.seen;
        // Round robin with a staller: ask until the honest worker streams, then leave after 3 chunks.
        for (let tries = 0; ; ++tries) {
            assert.ok(tries < 6, "the honest worker never answered");
            const ac = new AbortController();
            const res = await fetch(`${client.url}/v1/chat/completions`, {
                method: "POST", headers: {"Content-Type": "application/json"}, signal: ac.signal,
                body: JSON.stringify(ask("mock:slow cancel me", {stream: true, max_tokens: 60})),
            });
            assert.equal(res.status, 200);
            const {events, ended} = await readSse(res, (e) => events3(e)).catch(() => ({events: [], ended: "error"}));
            ac.abort();
            if (ended === "stopped") break;
        }
        const receipt = await waitFor(async () => {
            const {body} = await getJson(`${client.url}/admin/receipts`, {headers: client.adminHeaders});
            return body.seen > before ? body.receipts.at(-1) : null;
        }, {timeoutMs: 15_000, what: "the cancelled answer's receipt", logs: () => cluster.logs()});
        assert.equal(receipt.verified, true, JSON.stringify(receipt));
        assert.match(receipt.worker.outcome, /cancel/);
        const produced = receipt.worker.usage.completion_tokens;
        assert.ok(produced >= 3 && produced < 60, `the worker stopped early: ${produced} tokens`);
        const v = verify(receipt, {config: client.config});
        assert.equal(v.status, 0, JSON.stringify(v.out ?? v.stderr));
    }
});

test("the client keeps its last receipts for its operator", async () => {
    const denied = await fetch(`${sealed.url}/admin/receipts`);
    assert.equal(denied.status, 401);
    const {status, body: kept} = await getJson(`${sealed.url}/admin/receipts`, {headers: sealed.adminHeaders});
    assert.equal(status, 200);
    assert.ok(kept.receipts.length >= 7, JSON.stringify(kept).slice(0, 300));
    assert.equal(kept.limit, 256);
    assert.ok(kept.receipts.every((r) => r.verified === true), "every honest answer's receipt verified");
    const stats = await sealed.stats();
    assert.equal(stats.receipts.kept, kept.receipts.length);
    assert.ok(stats.metrics.counters.receipts["result=verified"] >= 6, JSON.stringify(stats.metrics.counters.receipts));
    assert.equal(stats.metrics.counters.receipts["result=rejected"] ?? 0, 0);
});

test("/v1/models shows, per model, the workers this client verified itself", async () => {
    const {status, body} = await getJson(`${sealed.url}/v1/models`);
    assert.equal(status, 200);
    const model = body.data.find((m) => m.id === MODEL);
    const seen = model.verified_by_client;
    // The honest worker, and the staller when a cancelled attempt of it sent its (empty) receipt.
    assert.ok(seen.workers.length >= 1 && seen.workers.length <= 2, JSON.stringify(seen));
    for (const w of seen.workers) {
        assert.match(w.key, /^[0-9a-f]{64}$/);
        assert.match(w.image_hash, /^[0-9a-f]{64}$/);
        assert.match(w.model_hash, /^[0-9a-f]{64}$/);
    }
    const w = seen.workers.reduce((a, b) => (a.answers >= b.answers ? a : b));
    assert.ok(w.answers >= 6, JSON.stringify(seen));
    assert.equal(seen.answers, seen.workers.reduce((n, x) => n + x.answers, 0));
    // The same key the answers named in their headers and receipts.
    const r = await postJson(`${sealed.url}/v1/chat/completions`, ask("which worker?"));
    assert.equal(r.headers.get("x-chrysalis-worker-key"), w.key);
    assert.equal(r.body.chrysalis.receipt.worker.worker_key, w.key);
    const stats = await sealed.stats();
    assert.equal(stats.verified_workers.workers, seen.workers.length);
    assert.equal(stats.verified_workers.max_workers_per_model, 32);
});
