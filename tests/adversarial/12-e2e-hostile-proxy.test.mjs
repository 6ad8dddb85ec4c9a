// A proxy that reads, rewrites or misroutes what it relays. Clients seal each request body to the
// worker the proxy picked, after checking that worker against their own policy, and open the
// answer record by record. The hostile proxy here is tools/e2e_relay.cpp: a broken TEE (it holds
// the simulated TEE's root, so its certificate passes for the genuine proxy's) sitting between a
// client and the real proxy. It records every frame it relays, and tampers with the answer.
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, freePort, postJson, readSse, waitFor} from "../integration/lib/harness.mjs";
import {startMockEngine} from "../integration/lib/mock_engine.mjs";

const RELAY = path.join(path.dirname(BIN), "e2e_relay");
const MARKER = "CHRYSALIS-MARKER-7d1f3e9a";
let cluster, mock, proxy, worker, goneWorkerCert;
const relays = [];

before(async () => {
    mock = await startMockEngine({defaultMode: "echo", slowMs: 40});
    cluster = new Cluster("e2e-proxy");
    proxy = await cluster.startProxy({id: "proxy", logLevel: "trace"});
    worker = await cluster.startWorker({id: "worker", proxies: [proxy], engine: {kind: "external", url: mock.url}});
    // Another genuine worker's certificate, for a proxy that hands it out in place of the one it routes to.
    const gone = await cluster.startWorker({id: "worker-gone", proxies: [proxy], engine: {kind: "external", url: mock.url}});
    goneWorkerCert = path.join(cluster.dir, "worker-gone", "cert.pem");
    await waitFor(() => fs.existsSync(goneWorkerCert), {what: "the second worker's certificate"});
    await gone.kill("SIGTERM");
    cluster.nodes = cluster.nodes.filter((n) => n !== gone);
});
after(async () => {
    for (const r of relays) r.kill("SIGKILL");
    await cluster?.stop();
    await mock?.close();
});

// A hostile proxy in `mode` and a client that takes it for the real one.
async function hostileProxy(mode, {client = {}} = {}) {
    const port = await freePort();
    const capture = path.join(cluster.dir, `capture-${mode}-${port}.bin`);
    const lines = [];
    const args = [proxy.config, BIN, String(port), mode, capture];
    if (mode === "swap_cert") args.push(goneWorkerCert);
    const relay = spawn(RELAY, args, {stdio: ["ignore", "pipe", "inherit"]});
    relays.push(relay);
    relay.stdout.on("data", (d) => lines.push(...d.toString().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))));
    await waitFor(() => lines.find((l) => l.ready), {what: `the ${mode} relay`});
    const fake = {clientPort: port, imageHash: proxy.imageHash, workerPolicy: proxy.workerPolicy};
    const c = await cluster.startClient({id: `client-${mode}-${port}`, proxies: [fake], ...client});
    await cluster.waitForWorkers(c, 1);
    return {client: c, capture, lines};
}

const ask = (content, extra = {}) => ({model: MODEL, messages: [{role: "user", content}], max_tokens: 16, ...extra});

async function streamed(client, body) {
    const res = await fetch(`${client.url}/v1/chat/completions`, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({...body, stream: true}), signal: AbortSignal.timeout(30_000),
    });
    assert.equal(res.status, 200);
    const {events} = await readSse(res);
    return {headers: res.headers, events};
}

function filesUnder(dir) {
    return fs.readdirSync(dir, {withFileTypes: true, recursive: true}).filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

test("a prompt and its answer appear nowhere on the proxy: not its frames, logs, state or /stats", async () => {
    const {client, capture} = await hostileProxy("tap");
    const prompt = `The passphrase is ${MARKER} and nothing else`;
    const whole = await postJson(`${client.url}/v1/chat/completions`, ask(prompt));
    assert.equal(whole.status, 200, whole.text);
    assert.ok(whole.body.choices[0].message.content.includes(MARKER), "the worker's engine echoed the prompt back");
    assert.equal(whole.headers.get("x-chrysalis-e2e"), "on");
    const workerStats = await worker.stats();
    assert.equal(whole.headers.get("x-chrysalis-worker-key"), workerStats.attestation.public_key,
        "the answer names the worker the client verified");
    assert.equal(whole.headers.get("x-chrysalis-worker-image"), cluster.attestation().workerImage);
    const stream = await streamed(client, ask(prompt));
    assert.ok(stream.events.map((e) => e.json?.choices?.[0]?.delta?.content ?? "").join("").includes(MARKER));
    assert.ok(mock.requests.at(-1).body.messages[0].content.includes(MARKER), "the engine got the plaintext");

    const seen = [];
    if (fs.readFileSync(capture).includes(MARKER)) seen.push("the frames on the client link");
    if (JSON.stringify(await proxy.stats()).includes(MARKER)) seen.push("/stats");
    for (const file of [proxy.log, ...filesUnder(path.join(cluster.dir, "proxy"))])
        if (fs.readFileSync(file).includes(MARKER)) seen.push(file);
    assert.deepEqual(seen, [], "the proxy saw the marker");
    assert.ok(fs.readFileSync(proxy.log, "utf8").includes("rid="), "the proxy did log the requests (at trace level)");

    // The same capture does see a client that turns e2e off: the test would notice a leak.
    const plain = await hostileProxy("tap", {client: {settings: {e2e: "off"}}});
    const r = await postJson(`${plain.client.url}/v1/chat/completions`, ask(prompt));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-chrysalis-e2e"), "off");
    assert.ok(fs.readFileSync(plain.capture).includes(MARKER), "a plaintext request is visible in the capture");
});

for (const [mode, named] of [
    ["flip", /record \d+/],
    ["drop", /record \d+/],
    ["replay", /record \d+/],
    ["reorder", /record \d+/],
    ["cut", /without the worker's sealed final record/],
]) {
    test(`a proxy that ${mode}s the answer is caught by the client, which ends it with a named error`, async () => {
        const {client, lines} = await hostileProxy(mode);
        // "mock:slow" paces the tokens, so each reaches the proxy in a part of its own.
        const {events} = await streamed(client, ask("mock:slow please", {max_tokens: 6}));
        const last = events.at(-1);
        assert.equal(last.json?.error?.code, "e2e_answer_rejected", JSON.stringify(events.slice(-2)));
        assert.match(last.json.error.message, named);
        assert.match(last.json.error.message, /failed end-to-end verification|sealed nothing/);
        assert.ok(lines.some((l) => l.tampered === mode), "the relay did tamper");
        const stats = await client.stats();
        assert.ok(stats.metrics.counters.e2e_answers_rejected, "counted on the client's /stats");
    });
}

test("a proxy that answers with another attempt's head is refused before any byte reaches the app", async () => {
    const {client, lines} = await hostileProxy("attempt");
    const r = await postJson(`${client.url}/v1/chat/completions`, ask("which attempt?"));
    assert.equal(r.status, 502, r.text);
    assert.equal(r.body.error.code, "e2e_answer_rejected");
    assert.match(r.body.error.message, /attempt \d+, which the client sealed nothing for/);
    assert.ok(lines.some((l) => l.tampered === "attempt"), "the relay did tamper");
});

test("a proxy that hands the client another worker's certificate gets a body no worker it routes to can open", async () => {
    const {client, lines} = await hostileProxy("swap_cert");
    const r = await postJson(`${client.url}/v1/chat/completions`, ask(`tell nobody ${MARKER}`));
    assert.equal(r.status, 421, r.text);
    assert.equal(r.body.error.code, "e2e_unreadable");
    assert.match(r.body.error.message, /sealed for another worker/);
    assert.ok(lines.some((l) => l.tampered === "swap_cert"));
    assert.ok(!mock.requests.some((q) => JSON.stringify(q.body).includes(`tell nobody ${MARKER}`)), "no engine saw it");
});

test("a worker the proxy accepts but the client's policy does not is refused by the client, naming the check", async () => {
    const strict = await cluster.startClient({id: "client-strict", proxies: [proxy],
        attestation: {allowed_worker_images: ["ab".repeat(32)]}});
    await cluster.waitForWorkers(strict, 1);
    const r = await postJson(`${strict.url}/v1/chat/completions`, ask(`never send ${MARKER}`));
    assert.equal(r.status, 502, r.text);
    assert.equal(r.body.error.code, "worker_refused_by_client");
    assert.match(r.body.error.message, /image_hash/);
    assert.ok(!mock.requests.some((q) => JSON.stringify(q.body).includes(`never send ${MARKER}`)));
    assert.match(strict.logs(), /refused to seal for the worker/);

    const otherModel = await cluster.startClient({id: "client-model", proxies: [proxy],
        attestation: {models: {[MODEL]: "cd".repeat(32)}}});
    await cluster.waitForWorkers(otherModel, 1);
    const m = await postJson(`${otherModel.url}/v1/chat/completions`, ask("hello"));
    assert.equal(m.status, 502, m.text);
    assert.match(m.body.error.message, /model_hash_mismatch/);

    // e2e = preferred falls back to plaintext, saying why in the log.
    const lenient = await cluster.startClient({id: "client-preferred", proxies: [proxy],
        attestation: {allowed_worker_images: ["ab".repeat(32)]}, settings: {e2e: "preferred"}});
    await cluster.waitForWorkers(lenient, 1);
    const p = await postJson(`${lenient.url}/v1/chat/completions`, ask("hello"));
    assert.equal(p.status, 200, p.text);
    assert.equal(p.headers.get("x-chrysalis-e2e"), "off");
    assert.match(lenient.logs(), /without end-to-end encryption \(e2e = preferred\): no worker could take it sealed/);
});
