// Proxies found on chain (issue 15): a proxy with billing lists itself in the root through its
// staked contract; a worker and a client whose configs name no proxy dial what the root lists,
// follow it as it changes (a new proxy is dialed within one registry refresh, one taken off is
// dropped once idle), expect each proxy to present the key the root lists for its endpoint, and
// a worker splits its slots between the proxies it serves.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import {spawnSync} from "node:child_process";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, getJson, postJson, run, waitFor} from "../lib/harness.mjs";

const PROXY_BILLING = {commit_interval_ms: 500, charge_threshold_ton: "0.000000001", client_refresh_s: 1};
const CLIENT_BILLING = {deposit_ton: "2", stake_ton: "1", topup_below_ton: "0.5"};

let cluster, proxyA, proxyB, worker, client, proxyWalletA, workerWallet;
before(async () => {
    cluster = new Cluster("discovery", {keybroker: true});  // keys survive a restart, as in production
    const a = cluster.attestation();
    await cluster.startDevnet({
        proxyImageHashes: [a.proxyImage],
        workerImageHashes: [a.workerImage],
        modelHashes: [run(BIN, ["attest", "model-hash", "--file", cluster.testModel()]).trim()],
        // Short close delays: the proxy's close completes within the test (advancing the devnet's
        // clock instead would put it ahead of the wallets', whose messages then expire).
        params: {proxyDelayBeforeClose: 8, clientDelayBeforeClose: 4},
    });
    proxyWalletA = await cluster.fundedWallet("proxy-a", "20");
    proxyA = await cluster.startProxy({id: "proxy-a", billing: {wallet: proxyWalletA, ...PROXY_BILLING}});
    worker = await cluster.startWorker({id: "worker-1", proxies: null, maxConcurrent: 4,
        billing: {wallet: (workerWallet = await cluster.fundedWallet("worker-1", "5")), claim_threshold_ton: "0.000000001"}});
    client = await cluster.startClient({id: "client", proxies: null,
        billing: {wallet: await cluster.fundedWallet("client", "30"), ...CLIENT_BILLING}});
});
after(async () => {
    await cluster?.stop();
});

const chosen = (stats) => stats.proxy_discovery?.chosen?.map((c) => c.endpoint) ?? [];
const connected = (stats) => stats.proxies.filter((p) => p.connected).map((p) => p.target);
const ask = () => postJson(`${client.url}/v1/chat/completions`,
    {model: MODEL, messages: [{role: "user", content: "hello"}], max_tokens: 8, temperature: 0});

test("a worker and a client that name no proxy find the proxy in the root and a paid request goes through", async () => {
    for (const node of [worker, client])
        assert.doesNotMatch(fs.readFileSync(node.config, "utf8"), /^proxies\s*=/m, `${node.name} names no proxy`);
    const listing = (await proxyA.stats()).billing.root_listing;
    assert.equal(listing.listed, true);
    assert.equal(listing.clients_endpoint, `127.0.0.1:${proxyA.clientPort}`);
    // The client and worker read the root within one refresh (1 s here) of starting.
    const cs = await waitFor(async () => {
        const s = await client.stats();
        return chosen(s).length ? s : null;
    }, {timeoutMs: 10_000, what: "the client to read the root's proxy list", logs: () => cluster.logs()});
    assert.equal(cs.proxy_discovery.source, "root");
    assert.deepEqual(chosen(cs), [`127.0.0.1:${proxyA.clientPort}`]);
    assert.equal(cs.proxy_discovery.chosen[0].public_key, (await proxyA.stats()).billing.public_key);
    await waitFor(async () => chosen(await worker.stats()).join() === `127.0.0.1:${proxyA.workerPort}`,
        {timeoutMs: 10_000, what: "the worker to read the root's proxy list", logs: () => cluster.logs()});
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
    await waitFor(async () => (await client.stats()).billing.accounts.find((x) => x.ready) ?? null,
        {timeoutMs: 90_000, what: "the client contract funded", logs: () => cluster.logs()});
    const r = await ask();
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.choices[0].message.content.length > 0);
    assert.ok(r.body.usage.completion_tokens > 0);
});

test("a proxy that lists itself is dialed within one refresh, and one taken off the list is dropped", async () => {
    proxyB = await cluster.startProxy({id: "proxy-b", billing: {wallet: await cluster.fundedWallet("proxy-b", "20"),
        ...PROXY_BILLING}});
    const listedAt = Date.now();
    const both = [`127.0.0.1:${proxyA.clientPort}`, `127.0.0.1:${proxyB.clientPort}`].sort();
    await waitFor(async () => connected(await client.stats()).sort().join() === both.join(),
        {timeoutMs: 20_000, what: "the client connected to both proxies", logs: () => cluster.logs()});
    await waitFor(async () => connected(await worker.stats()).length === 2,
        {timeoutMs: 20_000, what: "the worker connected to both proxies", logs: () => cluster.logs()});
    const dialedAfterMs = Date.now() - listedAt;
    assert.ok(dialedAfterMs < 10_000, `dialed ${dialedAfterMs} ms after the listing (refresh 1 s)`);
    // The worker's four slots are split between the two proxies it serves.
    const shares = (await worker.stats()).proxies.map((p) => p.capacity_share);
    assert.equal(shares.length, 2);
    assert.ok(shares.every((s) => s >= 1 && s <= 4), JSON.stringify(shares));

    // Proxy A's owner takes it off the list: clients and workers drop it, the proxy does not
    // list itself again, and requests go on through proxy B.
    const contractA = (await proxyA.stats()).billing.proxy_contract;
    run(BIN, ["wallet", "proxy-delist", "--key", proxyWalletA.file, "--endpoint", cluster.devnet.endpoint,
        "--proxy-contract", contractA]);
    await waitFor(async () => {
        const [cs, ws] = [await client.stats(), await worker.stats()];
        return cs.proxies.length === 1 && ws.proxies.length === 1 && connected(cs)[0] === `127.0.0.1:${proxyB.clientPort}`;
    }, {timeoutMs: 20_000, what: "the client and the worker to drop proxy A", logs: () => cluster.logs()});
    const la = await waitFor(async () => {
        const l = (await proxyA.stats()).billing.root_listing;
        return l.listed ? null : l;
    }, {timeoutMs: 10_000, what: "proxy A to see itself off the list", logs: () => cluster.logs()});
    assert.equal(la.removed, true, "it does not list itself again");
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
    let r;
    await waitFor(async () => {
        r = await ask();
        return r.status === 200;
    }, {timeoutMs: 60_000, what: "a request through proxy B", logs: () => cluster.logs() + JSON.stringify(r?.body)});
    assert.equal(r.body.choices[0].finish_reason.length > 0, true);
});

test("an endpoint answered by another key than the root lists for it is not used", async () => {
    // The root's owner lists a made-up key at proxy A's address (A still runs, off the list).
    const fakeKey = crypto.randomBytes(32).toString("hex");
    const res = await postJson(`${cluster.devnet.base}/devnet/register_proxy`, {publicKey: fakeKey,
        workersEndpoint: `127.0.0.1:${proxyA.workerPort}`, clientsEndpoint: `127.0.0.1:${proxyA.clientPort}`});
    assert.equal(res.status, 200, res.text);
    const entry = await waitFor(async () => (await client.stats()).proxies
        .find((p) => p.target === `127.0.0.1:${proxyA.clientPort}` && /presented key/.test(p.last_error)),
    {timeoutMs: 20_000, what: "the client to refuse the impostor endpoint", logs: () => cluster.logs()});
    assert.match(entry.last_error, new RegExp(`root contract lists ${fakeKey}`));
    assert.equal(entry.connected, false);
    const cs = await client.stats();
    assert.deepEqual(connected(cs), [`127.0.0.1:${proxyB.clientPort}`]);
    assert.ok(cs.proxy_dialers.refused_other_key >= 1, JSON.stringify(cs.proxy_dialers));
    const r = await ask();
    assert.equal(r.status, 200, r.text);
});

test("closing a client contract: the proxy sends the final refund and the funds come back to the nanoTON at once", async () => {
    const keyB = (await proxyB.stats()).billing.public_key;
    const account = (await client.stats()).billing.accounts.find((a) => a.proxy_key === keyB && a.ready);
    assert.ok(account, "the client pays proxy B from a contract");
    const contract = () => cluster.contract("client", account.contract);
    // Wait until the proxy has charged everything on chain, so the contract's state is final.
    await waitFor(async () => {
        const b = (await proxyB.stats()).billing;
        const c = (b.clients ?? []).find((x) => x.charged_on_chain_tokens !== undefined &&
            String(x.charged_on_chain_tokens) === String(x.charged_tokens));
        return c ?? null;
    }, {timeoutMs: 30_000, what: "proxy B charged the client on chain", logs: () => cluster.logs()});
    const before = contract();
    const price = 2n;  // nanoTON per token: the devnet's params (devnet/config.json)
    const walletFile = path.join(cluster.dir, "client.wallet.json");
    const r = spawnSync(BIN, ["wallet", "close", "--key", walletFile, "--endpoint", cluster.devnet.endpoint,
        "--root", cluster.devnet.root, "--proxy-contract", account.proxy_contract, "--proxy-key", keyB], {encoding: "utf8"});
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).state, 1, "closing");
    const closedAt = Date.now();
    const after = await waitFor(async () => {
        const c = contract();
        return c.state === 2 ? c : null;
    }, {timeoutMs: 30_000, what: "the client contract closed by the proxy's final refund", logs: () => cluster.logs()});
    // Closed by the proxy's refund: its owner never completed the close (which the delay would allow).
    assert.ok(Date.now() - closedAt < 20_000);
    assert.equal(after.balance, "0");
    assert.equal(after.stake, "0");
    assert.ok((await proxyB.stats()).billing.final_refunds_sent >= 1);
    // What came back to the owner's wallet: everything the contract held minus what it owed.
    const owed = (BigInt(after.tokens_used) - BigInt(before.tokens_used)) * price;
    const expected = BigInt(before.balance) + BigInt(before.stake) - owed;
    const wallet = JSON.parse(run(BIN, ["wallet", "address", "--key", walletFile]));
    const txs = await postJson(cluster.devnet.endpoint, {id: 1, jsonrpc: "2.0", method: "getTransactions",
        params: {address: wallet.raw, limit: 20}});
    const values = txs.body.result.map((t) => t.in_msg?.value);
    assert.ok(values.includes(expected.toString()), `a payout of ${expected} nanoTON among ${values}`);
});

test("the proxy owner withdraws its commission while the workers' share stays; the worker claims on demand and lists its payouts", async () => {
    // The worker: everything proxy A signed is claimed, and each claim is in its payout history.
    await waitFor(async () => {
        const p = (await worker.stats()).billing.proxies.find((x) => x.signed_tokens > 0);
        return p && p.claimed_tokens === p.signed_tokens ? p : null;
    }, {timeoutMs: 30_000, what: "the worker's earnings claimed", logs: () => cluster.logs()});
    const claim = spawnSync(BIN, ["worker", "claim", "--config", worker.config], {encoding: "utf8"});
    assert.equal(claim.status, 0, claim.stderr);
    const out = JSON.parse(claim.stdout);
    assert.ok(out.payouts.length >= 1, claim.stdout);
    for (const p of out.payouts) {
        assert.ok(p.to_tokens > p.from_tokens);
        assert.ok(BigInt(p.paid_nano) > 0n);
    }

    const contractA = (await proxyA.stats()).billing.proxy_contract;
    const withdraw = (amount) => spawnSync(BIN, ["wallet", "proxy-withdraw", "--key", proxyWalletA.file, "--endpoint",
        cluster.devnet.endpoint, "--proxy-contract", contractA, "--amount", amount], {encoding: "utf8"});
    let r = withdraw("1");  // far more than its commission
    assert.equal(r.status, 1);
    assert.match(r.stderr, /lets its owner withdraw .* TON now.*nothing sent/);
    const before = cluster.contract("proxy", contractA);
    r = withdraw("all");
    assert.equal(r.status, 0, r.stderr);
    const after = JSON.parse(r.stdout);
    // What stays is exactly the workers' unclaimed share (worker fee 1 nanoTON per token) and the stake.
    const reserved = BigInt(after.client_tokens) - BigInt(after.worker_tokens);
    assert.equal(BigInt(after.balance), reserved > 0n ? reserved : 0n);
    assert.ok(BigInt(after.balance) < BigInt(before.balance), "something was withdrawn");
    assert.equal(after.stake, before.stake);
    r = withdraw("all");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nothing to withdraw/);
});

test("the proxy owner closes the proxy: its clients are refunded at once, workers claim first, and the owner gets the rest to the nanoTON", async () => {
    const contractA = (await proxyA.stats()).billing.proxy_contract;
    const keyA = (await proxyA.stats()).billing.public_key;
    const clientAtA = (await proxyA.stats()).billing.clients?.[0]?.contract;
    assert.ok(clientAtA, "proxy A has books for the client");
    const close = () => spawnSync(BIN, ["wallet", "proxy-close", "--key", proxyWalletA.file, "--endpoint", cluster.devnet.endpoint,
        "--proxy-contract", contractA], {encoding: "utf8"});
    let r = close();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).state, 1, "closing");
    // The proxy winds down: no new paid work, and its client's contract is refunded and closed at once.
    await waitFor(async () => /is closing/.test((await proxyA.stats()).billing.serving_problem),
        {timeoutMs: 20_000, what: "proxy A to notice its contract closing", logs: () => cluster.logs()});
    await waitFor(async () => cluster.contract("client", clientAtA).state === 2,
        {timeoutMs: 30_000, what: "the client's contract at proxy A refunded and closed", logs: () => cluster.logs()});
    // The worker claims everything proxy A signed before the close completes.
    await waitFor(async () => {
        const p = (await worker.stats()).billing.proxies.find((x) => x.proxy_key === keyA);
        return p && p.claimed_tokens === p.signed_tokens && p.contract_state !== "active" ? p : null;
    }, {timeoutMs: 30_000, what: "the worker to claim from the closing proxy", logs: () => cluster.logs()});
    // Completing the close is refused until the contract's close delay (8 s here) has passed.
    let before = cluster.contract("proxy", contractA);
    r = close();
    if (r.status !== 0) {
        assert.match(r.stderr, /close delay runs until/);
        await waitFor(async () => {
            const info = await getJson(`${cluster.devnet.base}/devnet/info`);
            return info.body.result.now >= Number(before.unlock_ts);
        }, {timeoutMs: 30_000, what: "the proxy's close delay to pass"});
        before = cluster.contract("proxy", contractA);
        r = close();
    }
    assert.equal(r.status, 0, r.stderr);
    const after = JSON.parse(r.stdout);
    assert.equal(after.state, 2, "closed");
    assert.equal(after.stake, "0");
    // What the workers have not claimed stays for them (worker fee 1 nanoTON per token); the owner got the rest.
    const keep = BigInt(after.client_tokens) > BigInt(after.worker_tokens)
        ? BigInt(after.client_tokens) - BigInt(after.worker_tokens) : 0n;
    assert.equal(BigInt(after.balance), keep);
    const expected = BigInt(before.balance) + BigInt(before.stake) - keep;
    const wallet = JSON.parse(run(BIN, ["wallet", "address", "--key", proxyWalletA.file]));
    const txs = await postJson(cluster.devnet.endpoint, {id: 1, jsonrpc: "2.0", method: "getTransactions",
        params: {address: wallet.raw, limit: 20}});
    const values = txs.body.result.map((t) => t.in_msg?.value);
    assert.ok(values.includes(expected.toString()), `a payout of ${expected} nanoTON among ${values}`);
});

test("a params change on the root: the proxy moves to a new contract by itself, refunding the old one's clients; the client pays the new price", async () => {
    const owner = path.join(cluster.dir, "root-owner.wallet.json");
    run(BIN, ["wallet", "new", "--out", owner, "--devnet-name", "root-owner", "--force"]);
    const before = (await proxyB.stats()).billing;
    // The client's contract at proxy B was closed by its final refund above: it pays B again only
    // through a contract under the new params.
    const oldClient = (await client.stats()).billing.accounts.find((a) => a.proxy_key === before.public_key);
    assert.ok(oldClient, "the client has an account with proxy B");
    const r = spawnSync(BIN, ["ton", "root", "set-prices", "--price-per-token", "5", "--worker-fee-per-token", "2", "--key", owner,
        "--endpoint", cluster.devnet.endpoint, "--address", cluster.devnet.root, "--yes"], {encoding: "utf8"});
    assert.equal(r.status, 0, r.stderr);
    // No restart: once nothing is in flight the proxy refunds the old contract's clients, starts
    // closing the old contract and deploys one under the new params, with the same key and root entry.
    const moved = await waitFor(async () => {
        const b = (await proxyB.stats()).billing;
        return b.contract_moves >= 1 && b.serving_problem === "" ? b : null;
    }, {timeoutMs: 60_000, what: "proxy B to move to a new contract", logs: () => cluster.logs()});
    assert.notEqual(moved.proxy_contract, before.proxy_contract);
    assert.equal(moved.public_key, before.public_key);
    assert.equal(moved.root_listing.seqno, before.root_listing.seqno);
    assert.ok(fs.readdirSync(path.join(cluster.dir, "proxy-b")).some((f) => f.startsWith("books.sqlite.before-")));
    const oldContract = cluster.contract("client", oldClient.contract);
    assert.equal(oldContract.state, 2);
    assert.equal(oldContract.balance, "0");
    assert.equal(cluster.contract("proxy", before.proxy_contract).state, 1, "the old proxy contract is closing");
    let res;
    await waitFor(async () => {
        res = await ask();
        return res.status === 200;
    }, {timeoutMs: 90_000, what: "a paid request at the new price", logs: () => cluster.logs() + JSON.stringify(res?.body)});
    const cost = res.body.chrysalis;
    assert.equal(BigInt(cost.cost_nano), BigInt(cost.charged_tokens) * 5n);
    const account = (await client.stats()).billing.accounts.find((a) => a.proxy_key === before.public_key);
    assert.notEqual(account.contract, oldClient.contract, "the client pays from a new contract");
    assert.equal(account.dropped ?? "", "", "the proxy was not taken for a cheat");
    // Once the old contract's close delay (8 s here) has passed the proxy completes its close itself.
    await waitFor(async () => cluster.contract("proxy", before.proxy_contract).state === 2 &&
        (await proxyB.stats()).billing.retired_contracts.length === 0,
    {timeoutMs: 60_000, what: "the old proxy contract closed by the proxy", logs: () => cluster.logs()});
    // Proxy A, which its owner closed, winds down instead of moving, and stays off the list.
    const a = (await proxyA.stats()).billing;
    assert.equal(a.contract_moves, 0);
    assert.equal(a.root_listing.listed, false);
});
