// A web page the operator visits tries the node's local API: reading answers and balances,
// moving money through /admin. Without an explicit cors_origins entry every request that carries
// an Origin is refused, and /admin needs the token only the operator's account can read.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {Cluster, MODEL, postJson} from "../integration/lib/harness.mjs";
import {startMockEngine} from "../integration/lib/mock_engine.mjs";

const APP = "https://app.example";
let cluster, mock, client, worker;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("web-pages");
    const proxy = await cluster.startProxy();
    worker = await cluster.startWorker({proxies: [proxy], engine: {kind: "external", url: mock.url}});
    client = await cluster.startClient({proxies: [proxy], settings: {cors_origins: [APP]}});
    await cluster.waitForWorkers(client, 1);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const chat = {model: MODEL, messages: [{role: "user", content: "hi"}], max_tokens: 2};

test("a page from any other origin is refused, before and after a preflight, and gets no CORS header", async () => {
    for (const [method, url, body] of [
        ["POST", `${client.url}/v1/chat/completions`, JSON.stringify(chat)],
        ["GET", `${client.url}/v1/models`, undefined],
        ["POST", `${client.url}/admin/withdraw?amount=1`, ""],
        ["POST", `${worker.url}/admin/disable`, ""],
    ]) {
        const res = await fetch(url, {method, body, headers: {Origin: "https://evil.example", "Content-Type": "text/plain"}});
        const text = await res.text();
        assert.equal(res.status, 403, `${method} ${url}: ${text}`);
        assert.equal(JSON.parse(text).error.code, "origin_not_allowed");
        assert.equal(res.headers.get("access-control-allow-origin"), null);
    }
    const preflight = await fetch(`${client.url}/v1/chat/completions`, {method: "OPTIONS",
        headers: {Origin: "https://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-anything"}});
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    assert.equal((await worker.stats()).enabled, true, "the worker was not disabled");
});

test("an origin the operator named gets CORS for exactly itself, and a fixed header list", async () => {
    const preflight = await fetch(`${client.url}/v1/chat/completions`, {method: "OPTIONS",
        headers: {Origin: APP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-evil"}});
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), APP);
    assert.doesNotMatch(preflight.headers.get("access-control-allow-headers"), /x-evil/i);
    const res = await postJson(`${client.url}/v1/chat/completions`, chat, {headers: {Origin: APP}});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("access-control-allow-origin"), APP);
    assert.equal(res.headers.get("vary"), "Origin");
});

test("/admin needs the operator's token, kept 0600 in the state dir", async () => {
    const anonymous = await postJson(`${client.url}/admin/withdraw?amount=1`, "");
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.body.error.message, /admin token/);
    const wrong = await postJson(`${client.url}/admin/withdraw?amount=1`, "",
        {headers: {Authorization: "Bearer " + "0".repeat(64)}});
    assert.equal(wrong.status, 401);
    const fromApp = await postJson(`${client.url}/admin/withdraw?amount=1`, "", {headers: {Origin: APP}});
    assert.equal(fromApp.status, 401, "an allowed origin still needs the token");
    const withToken = await fetch(`${client.url}/admin/billing`, {headers: client.adminHeaders});
    assert.notEqual(withToken.status, 401);
    for (const node of [client, worker]) {
        const mode = fs.statSync(path.join(cluster.dir, node.name, "admin.token")).mode & 0o777;
        assert.equal(mode, 0o600, `${node.name}'s admin.token is ${mode.toString(8)}`);
    }
});
