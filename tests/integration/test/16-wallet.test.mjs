// chrysalis wallet topup / withdraw / close on a devnet: a client contract is deployed and funded
// from a wallet, bad inputs are refused before anything is signed, and amounts the contract would
// refuse move nothing.
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, run} from "../lib/harness.mjs";

const PROXY_KEY = "ab".repeat(32);
const PROXY_CONTRACT = "0:" + "c".repeat(64);
const NANO = 10n ** 9n;

let cluster, devnet, key, common;
before(async () => {
    cluster = new Cluster("wallet");
    devnet = await cluster.startDevnet();
    key = path.join(cluster.dir, "client.wallet.json");
    run(BIN, ["wallet", "new", "--out", key, "--devnet-name", "client-2"]);
    common = ["--key", key, "--endpoint", devnet.endpoint, "--root", devnet.root, "--proxy-contract", PROXY_CONTRACT,
        "--proxy-key", PROXY_KEY];
});
after(async () => {
    await cluster?.stop();
});

const wallet = (...args) => spawnSync(BIN, ["wallet", ...args], {encoding: "utf8", timeout: 120_000});
const walletBalance = () => BigInt(JSON.parse(run(BIN, ["wallet", "status", "--key", key, "--endpoint", devnet.endpoint])).balance_nano);

test("topup deploys the client contract with balance and stake, to the nanoTON", async () => {
    const r = wallet("topup", ...common, "--amount", "2.5", "--stake", "1");
    assert.equal(r.status, 0, r.stderr);
    const state = JSON.parse(r.stdout);
    assert.equal(state.balance, String(25n * NANO / 10n));
    assert.equal(state.stake, String(NANO));
    assert.equal(state.proxy, PROXY_CONTRACT);
    assert.equal(state.proxy_public_key, PROXY_KEY);
    // A second top-up adds to the balance.
    const again = JSON.parse(run(BIN, ["wallet", "topup", ...common, "--amount", "0.000000001"]));
    assert.equal(again.balance, String(25n * NANO / 10n + 1n));
});

test("bad amounts and addresses are refused before anything is signed", async () => {
    const beforeBalance = walletBalance();
    const cases = [
        [["--amount", "-1"], /negative/],
        [["--amount", "0"], /zero/],
        [["--amount", "abc"], /not a decimal amount/],
        [["--amount", "1.0000000001"], /more than 9 decimals/],
        [["--amount", "99999999999999999999"], /too large/],
        [["--amount", "5000"], /nothing was sent/],  // above the wallet's 1000 TON
    ];
    for (const [args, message] of cases) {
        const r = wallet("topup", ...common, ...args);
        assert.notEqual(r.status, 0, `${args} should fail`);
        assert.match(r.stderr, message, `${args}: ${r.stderr}`);
    }
    const badAddress = wallet("topup", ...common.slice(0, 6), "--proxy-contract", "not-an-address", "--proxy-key", PROXY_KEY,
        "--amount", "1");
    assert.equal(badAddress.status, 2);
    assert.match(badAddress.stderr, /--proxy-contract/);
    const badKey = wallet("topup", ...common.slice(0, 8), "--proxy-key", "1234", "--amount", "1");
    assert.equal(badKey.status, 2);
    assert.match(badKey.stderr, /--proxy-key/);
    assert.equal(walletBalance(), beforeBalance, "nothing was spent on refused commands");
});

test("withdraw takes back what the contract allows and nothing else", async () => {
    const ok = wallet("withdraw", ...common, "--amount", "0.5");
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).balance, String(2n * NANO + 1n));
    const tooMuch = wallet("withdraw", ...common, "--amount", "50");
    assert.notEqual(tooMuch.status, 0);
    assert.match(tooMuch.stderr, /above the contract's balance/);
    const zero = wallet("withdraw", ...common, "--amount", "0");
    assert.equal(zero.status, 2);
});

test("close asks the contract to close; commands for a contract that does not exist say so", async () => {
    const r = wallet("close", ...common);
    assert.equal(r.status, 0, r.stderr);
    const state = JSON.parse(r.stdout);
    assert.notEqual(state.state, 0, "the contract left the open state");
    assert.ok(state.unlock_ts > 0);
    const other = wallet("withdraw", "--key", key, "--endpoint", devnet.endpoint, "--root", devnet.root,
        "--proxy-contract", "0:" + "d".repeat(64), "--proxy-key", PROXY_KEY, "--amount", "1");
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, /no client contract/);
});
