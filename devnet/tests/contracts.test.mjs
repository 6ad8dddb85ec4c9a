// End to end on the devnet through TonClient and v4r2 wallets: deploy a proxy,
// a client and a worker contract, top up, submit a proxy-signed charge and
// payout, and read the balances back through get-methods, to the nanoTON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Address, beginCell, Cell, contractAddress, internal, toNano } from '@ton/core';
import { keyPairFromSeed, sign } from '@ton/crypto';
import { TonClient, WalletContractV4 } from '@ton/ton';
import { Devnet, walletKeys } from '../src/devnet.mjs';
import { createServer } from '../src/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(fs.readFileSync(path.join(here, '..', 'config.json'), 'utf-8'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-devnet-'));
let net, server, client;
before(async () => {
    net = await Devnet.open(config, { snapshotFile: path.join(dir, 'devnet.json') });
    server = createServer(net);
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    client = new TonClient({ endpoint: `http://127.0.0.1:${server.address().port}/api/v2/jsonRPC` });
});
after(async () => { await new Promise((r) => server.close(r)); fs.rmSync(dir, { recursive: true, force: true }); });

// message layouts from contracts/README.md
const OP = { proxyAddStake: 0x9713f187, clientTopUp: 0xf172e6c2, clientCharge: 0xbb63ff93, workerPayout: 0xa040ad28 };
const opAmount = (op, amount) => beginCell().storeUint(op, 32).storeUint(0, 64).storeCoins(amount).endCell();
function signedBody(op, target, root, amount, secretKey) {
    const payload = beginCell().storeUint(op, 32).storeAddress(target).storeAddress(root).storeUint(amount, 64).storeUint(0, 256).endCell();
    return beginCell().storeUint(op, 32).storeUint(1, 64).storeBuffer(sign(payload.hash(), secretKey)).storeRef(payload).endCell();
}
const ident = (owner, proxy, root) => beginCell().storeAddress(owner).storeAddress(proxy).storeAddress(root).endCell();

async function walletSend(name, to, value, body, init) {
    const w = client.open(WalletContractV4.create({ workchain: 0, publicKey: walletKeys(name).publicKey }));
    const seqno = await w.getSeqno();
    await w.sendTransfer({ seqno, secretKey: walletKeys(name).secretKey, messages: [internal({ to, value, body, init, bounce: !init })] });
    assert.equal(await w.getSeqno(), seqno + 1);
    return w.address;
}

test('deploy, top up, charge and pay out through wallets; balances match to the nanoTON', async () => {
    const root = Address.parse(net.meta.root);
    const teeKey = keyPairFromSeed(Buffer.alloc(32, 9));
    const teePub = BigInt('0x' + teeKey.publicKey.toString('hex'));
    const codes = (await client.runMethod(root, 'get_codes')).stack;
    const proxyCode = codes.readCell(), clientCode = codes.readCell(), workerCode = codes.readCell();
    const params = (await client.runMethod(root, 'get_params_cell')).stack.readCell();
    const price = BigInt(config.root.params.pricePerToken), fee = BigInt(config.root.params.workerFeePerToken);
    const addrOf = (name) => WalletContractV4.create({ workchain: 0, publicKey: walletKeys(name).publicKey }).address;

    // proxy contract, deployed by its owner's wallet with the minimum stake
    const proxyData = beginCell().storeUint(0, 2).storeCoins(0).storeCoins(0).storeUint(0, 64).storeUint(0, 64).storeUint(0, 32).storeUint(0, 64).storeUint(0, 256)
        .storeRef(beginCell().storeAddress(addrOf('proxy-1')).storeUint(teePub, 256).storeAddress(root).endCell())
        .storeRef(params).storeRef(beginCell().storeRef(clientCode).storeRef(workerCode).endCell()).endCell();
    const proxyInit = { code: proxyCode, data: proxyData };
    const proxy = contractAddress(0, proxyInit);
    const viaRoot = (await client.runMethod(root, 'get_proxy_contract_address', [
        { type: 'slice', cell: beginCell().storeAddress(addrOf('proxy-1')).endCell() }, { type: 'int', value: teePub }])).stack.readAddress();
    assert.ok(viaRoot.equals(proxy));
    const stake = BigInt(config.root.params.minProxyStake);
    await walletSend('proxy-1', proxy, stake + toNano('0.2'), opAmount(OP.proxyAddStake, stake), proxyInit);

    // client contract with a 5 TON top-up, worker contract with gas money only
    const childData = (owner) => beginCell().storeUint(0, 2).storeCoins(0).storeCoins(0).storeUint(0, 64).storeUint(0, 32).storeUint(0, 256).storeUint(teePub, 256)
        .storeRef(ident(owner, proxy, root)).storeRef(params).endCell();
    const clientInit = { code: clientCode, data: childData(addrOf('client-1')) };
    const clientSc = contractAddress(0, clientInit);
    await walletSend('client-1', clientSc, toNano('5.2'), opAmount(OP.clientTopUp, toNano('5')), clientInit);
    const workerData = beginCell().storeUint(0, 2).storeUint(0, 64).storeUint(teePub, 256).storeRef(ident(addrOf('worker-1'), proxy, root)).storeRef(params).endCell();
    const workerInit = { code: workerCode, data: workerData };
    const workerSc = contractAddress(0, workerInit);
    await walletSend('worker-1', workerSc, toNano('0.1'), beginCell().endCell(), workerInit);

    // the proxy's wallet submits a signed charge; the worker submits a signed payout
    await walletSend('proxy-1', clientSc, toNano('0.2'), signedBody(OP.clientCharge, clientSc, root, 1_000_000n, teeKey.secretKey));
    const workerBalanceBefore = await client.getBalance(addrOf('worker-1'));
    await walletSend('worker-1', workerSc, toNano('0.2'), signedBody(OP.workerPayout, workerSc, root, 600_000n, teeKey.secretKey));

    const cd = (await client.runMethod(clientSc, 'get_client_data')).stack;
    assert.equal(cd.readNumber(), 0);
    assert.equal(cd.readBigNumber(), toNano('5') - 1_000_000n * price);
    assert.equal(cd.readBigNumber(), 0n);
    assert.equal(cd.readBigNumber(), 1_000_000n);
    const pd = (await client.runMethod(proxy, 'get_proxy_data')).stack;
    assert.equal(pd.readNumber(), 0);
    assert.equal(pd.readBigNumber(), stake);
    assert.equal(pd.readBigNumber(), 1_000_000n * price - 600_000n * fee);
    assert.equal(pd.readBigNumber(), 1_000_000n);
    assert.equal(pd.readBigNumber(), 600_000n);
    const wd = (await client.runMethod(workerSc, 'get_worker_data')).stack;
    assert.equal(wd.readNumber(), 0);
    assert.equal(wd.readBigNumber(), 600_000n);
    // the payout reached the worker's wallet (its balance grew by about 600_000 × fee minus the wallet's own fees)
    const txs = await client.getTransactions(addrOf('worker-1'), { limit: 5 });
    const paid = txs.find((t) => t.inMessage?.info.type === 'internal' && t.inMessage.info.src.equals(proxy) && t.inMessage.body.beginParse().loadUint(32) === 0xc59a7cd3);
    assert.ok(paid, 'payout transaction on the worker wallet');
    assert.equal(paid.inMessage.info.value.coins, 600_000n * fee);
    assert.ok(await client.getBalance(addrOf('worker-1')) > workerBalanceBefore - toNano('0.2'));
});
