// A governed root (issue 15): the root's owner changes the network with `chrysalis ton root …`,
// each command signed by the owner's wallet, printing the change, refusing without --yes when
// there is no terminal, checking its inputs before anything is signed, and confirming on chain
// that the change took effect. Running nodes follow without a restart: a worker image or model
// taken off the lists is dropped by the proxy within a refresh and admitted again when it returns.
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, REPO_ROOT, postJson, run, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

let cluster, mock, proxy, worker, client, devnet, owner, images;

before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("governance");
    images = cluster.attestation();
    devnet = await cluster.startDevnet({
        proxyImageHashes: [images.proxyImage],
        workerImageHashes: [images.workerImage],
        modelHashes: [cluster.modelHash(MODEL)],
    });
    // The devnet's root is owned by its wallet "root-owner"; this is that wallet's key.
    owner = path.join(cluster.dir, "root-owner.wallet.json");
    run(BIN, ["wallet", "new", "--out", owner, "--devnet-name", "root-owner", "--force"]);
    proxy = await cluster.startProxy({id: "proxy"});
    worker = await cluster.startWorker({id: "worker", proxies: [proxy], engine: {kind: "external", url: mock.url}});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const chain = () => ["--endpoint", devnet.endpoint, "--address", devnet.root];
function govern(args, key = owner) {
    const r = spawnSync(BIN, ["ton", "root", ...args, "--key", key, ...chain()], {encoding: "utf8", stdio: ["ignore", "pipe", "pipe"]});
    return {status: r.status, out: r.stdout, err: r.stderr, json: r.status === 0 ? JSON.parse(r.stdout) : null};
}
// The client no longer sees a worker for MODEL (the model disappears from /v1/models with its last worker).
const noWorkers = () => waitFor(async () => {
    const e = await cluster.modelEntry(client);
    return !e || e.workers === 0;
}, {timeoutMs: 20_000, what: "the worker dropped", logs: () => cluster.logs()});
const show = () => JSON.parse(run(BIN, ["ton", "root", "show", ...chain()]));
const chat = () => postJson(`${client.url}/v1/chat/completions`,
    {model: MODEL, messages: [{role: "user", content: "governed?"}], max_tokens: 3});

test("a worker image taken off the root is dropped live, and admitted again when it is put back", async () => {
    const before = show();
    let r = govern(["remove-image", "--role", "worker", "--hash", images.workerImage, "--yes"]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.err, /The root will change/);
    assert.equal(r.json.version.after, before.version + 1);
    assert.equal(r.json.changed.remove, images.workerImage);
    await noWorkers();
    const refused = await chat();
    assert.ok(refused.status >= 400, refused.text);

    r = govern(["add-image", "--role", "worker", "--hash", images.workerImage, "--yes"]);
    assert.equal(r.status, 0, r.err);
    await cluster.waitForWorkers(client, 1, {timeoutMs: 30_000});
    await waitFor(async () => (await chat()).status === 200, {timeoutMs: 20_000, what: "requests served again"});
});

test("a model taken off the root stops being served; added back, it is served again", async () => {
    const hash = cluster.modelHash(MODEL);
    let r = govern(["remove-model", "--hash", hash, "--yes"]);
    assert.equal(r.status, 0, r.err);
    await noWorkers();
    // Removing it again is refused before anything is signed.
    r = govern(["remove-model", "--hash", hash, "--yes"]);
    assert.equal(r.status, 1);
    assert.match(r.err, /is not listed: nothing sent/);
    r = govern(["add-model", "--hash", hash, "--yes"]);
    assert.equal(r.status, 0, r.err);
    await cluster.waitForWorkers(client, 1, {timeoutMs: 30_000});
});

test("set-prices and set-params change the root's params, and inconsistent values are refused before signing", async () => {
    const before = show();
    let r = govern(["set-prices", "--price-per-token", "5", "--worker-fee-per-token", "3", "--yes"]);
    assert.equal(r.status, 0, r.err);
    assert.deepEqual(r.json.changed.params.price_per_token, {before: before.params.price_per_token, after: "5"});
    let after = show();
    assert.equal(after.params.price_per_token, "5");
    assert.equal(after.params.worker_fee_per_token, "3");
    assert.equal(after.params.params_version, before.params.params_version + 1);
    // A worker fee above the price: refused, nothing sent.
    r = govern(["set-prices", "--worker-fee-per-token", "9", "--yes"]);
    assert.equal(r.status, 2);
    assert.match(r.err, /must not exceed the price per token/);
    r = govern(["set-params", "--min-client-stake", "2", "--proxy-delay-before-close", "9000", "--yes"]);
    assert.equal(r.status, 0, r.err);
    after = show();
    assert.equal(after.params.min_client_stake, "2000000000");
    assert.equal(after.params.proxy_delay_before_close, 9000);
    // The same values again: nothing to do.
    r = govern(["set-params", "--min-client-stake", "2", "--yes"]);
    assert.equal(r.status, 1);
    assert.match(r.err, /nothing sent/);
    assert.equal(show().version, after.version);
});

test("without --yes and without a terminal nothing is sent; another wallet cannot govern", async () => {
    const before = show();
    let r = govern(["add-model", "--hash", "ab".repeat(32)]);
    assert.equal(r.status, 2);
    assert.match(r.err, /pass --yes/);
    const stranger = path.join(cluster.dir, "stranger.wallet.json");
    run(BIN, ["wallet", "new", "--out", stranger, "--force"]);
    r = govern(["add-model", "--hash", "ab".repeat(32), "--yes"], stranger);
    assert.equal(r.status, 1);
    assert.match(r.err, /is not the root's owner/);
    r = govern(["add-model", "--hash", "not-hex", "--yes"]);
    assert.equal(r.status, 2);
    assert.match(r.err, /--hash: expected 64 hex characters/);
    assert.equal(show().version, before.version);
});

test("add-proxy and remove-proxy edit the proxy list; transfer-owner hands the root over", async () => {
    const key = "cd".repeat(32);
    let r = govern(["add-proxy", "--public-key", key, "--workers", "10.1.2.3:11001", "--clients", "10.1.2.3:11002", "--yes"]);
    assert.equal(r.status, 0, r.err);
    const entry = show().proxies.find((p) => p.public_key === key);
    assert.ok(entry, JSON.stringify(show().proxies));
    assert.equal(entry.clients_endpoint, "10.1.2.3:11002");
    r = govern(["remove-proxy", "--seqno", String(entry.seqno), "--yes"]);
    assert.equal(r.status, 0, r.err);
    assert.equal(show().proxies.find((p) => p.public_key === key), undefined);
    r = govern(["add-proxy", "--public-key", key, "--workers", "no-port", "--clients", "10.1.2.3:1", "--yes"]);
    assert.equal(r.status, 2);

    const next = path.join(cluster.dir, "next-owner.wallet.json");
    const nextAddress = JSON.parse(run(BIN, ["wallet", "new", "--out", next, "--force"])).raw;
    r = govern(["transfer-owner", "--new-owner", nextAddress, "--yes"]);
    assert.equal(r.status, 0, r.err);
    assert.equal(show().owner, nextAddress);
    r = govern(["add-model", "--hash", "ef".repeat(32), "--yes"]);
    assert.equal(r.status, 1);
    assert.match(r.err, /is not the root's owner/);
});

test("ton root deploy starts a new network owned by the deploying wallet, with the given prices", async () => {
    const codes = path.join(REPO_ROOT, "contracts/build");
    if (!fs.existsSync(path.join(codes, "root.json")))
        run(process.execPath, [path.join(REPO_ROOT, "contracts/scripts/compile.mjs")]);
    const founder = await cluster.fundedWallet("founder", "5");
    const deploy = (...extra) => spawnSync(BIN, ["ton", "root", "deploy", "--key", founder.file, "--endpoint", devnet.endpoint,
        "--codes", codes, ...extra], {encoding: "utf8", stdio: ["ignore", "pipe", "pipe"]});
    let r = deploy("--price-per-token", "7", "--worker-fee-per-token", "8", "--yes");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /must not exceed --price-per-token/);
    r = deploy("--price-per-token", "7", "--worker-fee-per-token", "4");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /pass --yes/);
    r = deploy("--price-per-token", "7", "--worker-fee-per-token", "4", "--min-proxy-stake", "2", "--yes");
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const shown = JSON.parse(run(BIN, ["ton", "root", "show", "--endpoint", devnet.endpoint, "--address", out.root]));
    assert.equal(shown.owner, founder.address);
    assert.equal(shown.params.price_per_token, "7");
    assert.equal(shown.params.worker_fee_per_token, "4");
    assert.equal(shown.params.min_proxy_stake, "2000000000");
    assert.deepEqual(shown.proxies, []);
    // The same deployment again is refused: that root exists.
    r = deploy("--price-per-token", "7", "--worker-fee-per-token", "4", "--min-proxy-stake", "2", "--yes");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /already deployed/);
    // Its owner governs it.
    const g = spawnSync(BIN, ["ton", "root", "add-model", "--hash", "12".repeat(32), "--key", founder.file, "--endpoint",
        devnet.endpoint, "--address", out.root, "--yes"], {encoding: "utf8"});
    assert.equal(g.status, 0, g.stderr);
});
