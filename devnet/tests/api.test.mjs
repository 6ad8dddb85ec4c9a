// The devnet serves the toncenter v2 API well enough for TonClient from @ton/ton,
// keeps its state across restarts, and answers bad input with toncenter-shaped errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Address, beginCell, internal, toNano, external, storeMessage } from '@ton/core';
import { TonClient, WalletContractV4 } from '@ton/ton';
import { Devnet, walletKeys } from '../src/devnet.mjs';
import { createServer } from '../src/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(fs.readFileSync(path.join(here, '..', 'config.json'), 'utf-8'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-devnet-'));
const snapshotFile = path.join(dir, 'devnet.json');

let net, server, base, client;
async function start() {
    net = await Devnet.open(config, { snapshotFile });
    server = createServer(net);
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
    client = new TonClient({ endpoint: `${base}/api/v2/jsonRPC` });
}
async function stop() {
    await new Promise((r) => server.close(r));
}
before(start);
after(async () => { await stop(); fs.rmSync(dir, { recursive: true, force: true }); });

const get = async (p) => { const r = await fetch(base + p); return { status: r.status, body: await r.json() }; };
const post = async (p, body) => { const r = await fetch(base + p, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }); return { status: r.status, body: await r.json() }; };
const wallet = (name) => WalletContractV4.create({ workchain: 0, publicKey: walletKeys(name).publicKey });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('TonClient reads the chain and the root contract', async () => {
    const mc = await client.getMasterchainInfo();
    assert.equal(mc.workchain, -1);
    assert.ok(mc.latestSeqno > 0);
    const w = client.open(wallet('client-1'));
    assert.equal(await w.getBalance() > toNano('999'), true);
    assert.equal(await w.getSeqno(), 0);
    const root = Address.parse(net.meta.root);
    const state = await client.getContractState(root);
    assert.equal(state.state, 'active');
    const rd = await client.runMethod(root, 'get_root_data');
    assert.ok(rd.stack.readAddress().equals(wallet('root-owner').address));
    assert.equal(rd.stack.readNumber(), 0);
    const p = (await client.runMethod(root, 'get_params')).stack;
    assert.equal(p.readNumber(), config.root.params.paramsVersion);
    assert.equal(p.readBigNumber(), BigInt(config.root.params.pricePerToken));
    assert.equal(p.readBigNumber(), BigInt(config.root.params.workerFeePerToken));
    // get-method with arguments, and a dictionary (null when empty)
    const allowed = await client.runMethod(root, 'is_model_allowed', [{ type: 'int', value: 123n }]);
    assert.equal(allowed.stack.readBoolean(), false);
    const models = await client.runMethod(root, 'get_model_hashes');
    assert.equal(models.stack.readCellOpt(), null);
    const addr = await client.runMethod(root, 'get_client_contract_address', [
        { type: 'slice', cell: beginCell().storeAddress(wallet('client-1').address).endCell() },
        { type: 'slice', cell: beginCell().storeAddress(root).endCell() },
        { type: 'int', value: 5n },
    ]);
    assert.ok(Address.isAddress(addr.stack.readAddress()));
    // a failing get-method reports its exit code
    const bad = await client.runMethodWithError(root, 'no_such_method');
    assert.notEqual(bad.exit_code, 0);
});

test('a wallet transfer goes through sendBoc and shows up in getTransactions', async () => {
    const keys = walletKeys('client-1');
    const w = client.open(wallet('client-1'));
    const dest = wallet('worker-1').address;
    const before = await client.getBalance(dest);
    const seqno = await w.getSeqno();
    await w.sendTransfer({ seqno, secretKey: keys.secretKey, messages: [internal({ to: dest, value: toNano('1.5'), bounce: false })] });
    for (let i = 0; i < 50 && (await w.getSeqno()) === seqno; i++) await sleep(20);
    assert.equal(await w.getSeqno(), seqno + 1);
    const after = await client.getBalance(dest);
    assert.ok(after > before + toNano('1.49') && after < before + toNano('1.5'));
    const txs = await client.getTransactions(w.address, { limit: 5 });
    assert.ok(txs.length >= 2);
    assert.equal(txs[0].inMessage.info.type, 'external-in');
    const sent = txs[0].outMessages.get(0).info.value.coins;
    assert.ok(sent <= toNano('1.5') && sent > toNano('1.499'));
    // paging from a known transaction (TonClient passes lt + hash, excludes it)
    const older = await client.getTransactions(w.address, { limit: 5, lt: txs[0].lt.toString(), hash: txs[0].hash().toString('base64') });
    assert.equal(older.length, txs.length - 1);
    assert.equal(older[0].lt, txs[1].lt);
    const dtx = await client.getTransactions(dest, { limit: 1 });
    assert.equal(dtx[0].inMessage.info.src.equals(w.address), true);
});

test('REST paths, wallet information, sendBocReturnHash and estimateFee', async () => {
    const w = wallet('client-2');
    const a = w.address.toString();
    let r = await get(`/api/v2/getAddressBalance?address=${encodeURIComponent(a)}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, true);
    assert.equal(BigInt(r.body.result), await client.getBalance(w.address));
    r = await get(`/api/v2/getAddressState?address=${encodeURIComponent(w.address.toRawString())}`);
    assert.equal(r.body.result, 'active');
    r = await get(`/api/v2/getAddressState?address=${encodeURIComponent(new Address(0, Buffer.alloc(32, 7)).toString())}`);
    assert.equal(r.body.result, 'uninitialized');
    r = await get(`/api/v2/getWalletInformation?address=${encodeURIComponent(a)}`);
    assert.equal(r.body.result.wallet, true);
    assert.equal(r.body.result.wallet_type, 'wallet v4 r2');
    assert.equal(r.body.result.seqno, 0);
    assert.equal(r.body.result.wallet_id, w.walletId);
    r = await get(`/api/v2/getAddressInformation?address=${encodeURIComponent(a)}`);
    assert.equal(r.body.result['@type'], 'raw.fullAccountState');
    assert.equal(r.body.result.state, 'active');
    r = await get('/api/v2/getMasterchainInfo');
    assert.equal(r.body.result['@type'], 'blocks.masterchainInfo');

    // a signed transfer sent through REST sendBocReturnHash
    const keys = walletKeys('client-2');
    const body = w.createTransfer({ seqno: 0, secretKey: keys.secretKey, messages: [internal({ to: wallet('worker-2').address, value: toNano('2'), bounce: false })] });
    const fee = await client.estimateExternalMessageFee(w.address, { body, initCode: null, initData: null, ignoreSignature: false });
    assert.equal(fee['@type'], 'query.fees');
    assert.ok(fee.source_fees.gas_fee > 0 && fee.source_fees.in_fwd_fee > 0);
    const boc = beginCell().store(storeMessage(external({ to: w.address, body }))).endCell().toBoc().toString('base64');
    r = await post('/api/v2/sendBocReturnHash', { boc });
    assert.equal(r.status, 200);
    assert.equal(r.body.result['@type'], 'raw.extMessageInfo');
    assert.equal(Buffer.from(r.body.result.hash, 'base64').length, 32);
    assert.equal(await client.open(w).getSeqno(), 1);
    // the same message again is refused (seqno moved on), in toncenter's shape
    r = await post('/api/v2/sendBoc', { boc });
    assert.equal(r.body.ok, false);
    assert.equal(r.status, 500);
    assert.match(r.body.error, /cannot apply external message/);
});

test('toncenter-shaped errors for unknown methods, malformed BoCs and bad input', async () => {
    let r = await get('/api/v2/noSuchMethod');
    assert.equal(r.status, 404);
    assert.deepEqual(Object.keys(r.body).sort(), ['code', 'error', 'ok']);
    assert.equal(r.body.ok, false);
    r = await post('/api/v2/jsonRPC', { id: 7, jsonrpc: '2.0', method: 'noSuchMethod', params: {} });
    assert.equal(r.body.ok, false);
    assert.equal(r.body.id, 7);
    assert.equal(r.body.code, 404);
    for (const boc of ['not base64 at all!!', Buffer.from('b5ee9c72deadbeef', 'hex').toString('base64'), '']) {
        r = await post('/api/v2/sendBoc', { boc });
        assert.equal(r.body.ok, false);
        assert.ok([400, 422].includes(r.status), `status ${r.status}`);
    }
    // an internal message is not something a client can send
    const intMsg = beginCell().store(storeMessage(internal({ to: wallet('client-1').address, value: 1n }))).endCell().toBoc().toString('base64');
    r = await post('/api/v2/sendBoc', { boc: intMsg });
    assert.equal(r.status, 400);
    r = await get('/api/v2/getAddressBalance?address=garbage');
    assert.equal(r.body.ok, false);
    r = await get('/api/v2/getAddressBalance');
    assert.equal(r.status, 422);
    r = await post('/api/v2/runGetMethod', { address: net.meta.root, method: 'get_version', stack: [['num', 'xyz']] });
    assert.equal(r.body.ok, false);
    const raw = await fetch(`${base}/api/v2/jsonRPC`, { method: 'POST', body: '{not json' });
    assert.equal(raw.status, 400);
    assert.equal((await raw.json()).ok, false);
});

test('the root owner registers a proxy on request', async () => {
    const key = 'ab'.repeat(32);
    const r = await post('/devnet/register_proxy', { publicKey: key, workersEndpoint: '127.0.0.1:1', clientsEndpoint: '127.0.0.1:2' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const root = Address.parse(net.meta.root);
    const p = (await client.runMethod(root, 'get_proxy', [{ type: 'int', value: 1n }])).stack;
    assert.equal(p.readBoolean(), true);
    assert.equal(p.readBigNumber(), BigInt('0x' + key));
    const bad = await post('/devnet/register_proxy', { publicKey: 'xyz' });
    assert.equal(bad.status, 422);
    assert.match(bad.body.error, /publicKey/);
});

test('time moves forward on request, and the state survives a restart', async () => {
    const t0 = (await get('/devnet/info')).body.result.now;
    const r = await post('/devnet/advance_time', { seconds: 7200 });
    assert.ok(r.body.result.now >= t0 + 7200);
    const seqnoBefore = await client.open(wallet('client-1')).getSeqno();
    const balanceBefore = await client.getBalance(wallet('worker-1').address);
    await stop();
    await start();
    assert.equal(await client.open(wallet('client-1')).getSeqno(), seqnoBefore);
    assert.equal(await client.getBalance(wallet('worker-1').address), balanceBefore);
    assert.ok((await get('/devnet/info')).body.result.now >= t0 + 7200);
    const f = await post('/devnet/fund', { address: wallet('worker-2').address.toString(), amount: '3' });
    assert.equal(f.body.ok, true);
});
