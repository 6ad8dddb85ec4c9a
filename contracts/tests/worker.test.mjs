// Worker contract: signed cumulative payouts paid by the proxy contract, and every refusal.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { beginCell } from '@ton/core';
import {
    createNetwork, deployProxy, deployClient, deployWorker, openWorker, keyPair, toNano, expectTx, expectRefused, findTx,
    clientBodies, proxyBodies, nextQid, DEV_PARAMS,
} from './helpers.mjs';
import { ERR, OP, STATE, makeSigned } from '../wrappers/chrysalis.mjs';

const FEE = DEV_PARAMS.workerFeePerToken;
const PRICE = DEV_PARAMS.pricePerToken;

describe('worker contract', () => {
    let net, kp, proxyOwner, proxy, clientOwner, client, owner, worker, stranger;
    beforeEach(async () => {
        net = await createNetwork();
        kp = keyPair(21);
        proxyOwner = await net.blockchain.treasury('proxy-owner');
        proxy = await deployProxy(net, proxyOwner, kp, toNano('10'));
        clientOwner = await net.blockchain.treasury('client-owner');
        client = await deployClient(net, clientOwner, proxy, kp, { balance: toNano('50'), stake: toNano('1') });
        owner = await net.blockchain.treasury('worker-owner');
        worker = await deployWorker(net, owner, proxy, kp);
        stranger = await net.blockchain.treasury('stranger');
        // clients paid 10_000_000 tokens = 20 TON into the proxy contract
        const r = await client.sendBody(proxyOwner.getSender(), toNano('0.1'), makeSigned({
            op: OP.clientCharge, target: client.address, root: net.root.address, amount: 10_000_000, secretKey: kp.secretKey,
        }));
        expectTx(r, { to: proxy.address, success: true });
    });

    const payout = (tokens, opts = {}) => makeSigned({
        op: opts.op ?? OP.workerPayout, target: opts.target ?? worker.address, root: opts.root ?? net.root.address,
        amount: tokens, queryId: nextQid(), secretKey: (opts.key ?? kp).secretKey,
    });
    const submit = (body, from = owner, value = toNano('0.1')) => worker.sendBody(from.getSender(), value, body);

    it('exposes every field', async () => {
        const d = await worker.getWorkerData();
        assert.equal(d.state, STATE.active);
        assert.equal(d.tokens, 0n);
        assert.equal(d.proxyPublicKey, kp.publicKeyInt);
        assert.ok(d.owner.equals(owner.address));
        assert.ok(d.proxy.equals(proxy.address));
        assert.ok(d.root.equals(net.root.address));
        assert.equal((await worker.getParams()).workerFeePerToken, FEE);
        assert.ok((await proxy.getWorkerAddress(owner.address)).equals(worker.address));
    });

    it('pays exactly the difference of a signed cumulative payout to the owner', async () => {
        let r = await submit(payout(1_000_000));
        expectTx(r, { from: owner.address, to: worker.address, success: true, op: OP.workerPayout });
        expectTx(r, { from: worker.address, to: proxy.address, success: true, op: OP.workerPayoutRequest });
        assert.equal(expectTx(r, { from: proxy.address, to: owner.address, op: OP.payout }).value, 1_000_000n * FEE);
        expectTx(r, { from: proxy.address, to: owner.address, op: OP.excesses });
        assert.equal((await worker.getWorkerData()).tokens, 1_000_000n);
        let pd = await proxy.getProxyData();
        assert.equal(pd.workerTokens, 1_000_000n);
        assert.equal(pd.balance, toNano('20') - 1_000_000n * FEE);

        // submitted by the proxy's wallet: the owner is paid, the excess goes to the submitter
        r = await submit(payout(1_500_000), proxyOwner);
        assert.equal(expectTx(r, { from: proxy.address, to: owner.address, op: OP.payout }).value, 500_000n * FEE);
        expectTx(r, { from: proxy.address, to: proxyOwner.address, op: OP.excesses });
        pd = await proxy.getProxyData();
        assert.equal(pd.workerTokens, 1_500_000n);
        assert.equal(pd.balance, toNano('20') - 1_500_000n * FEE);
    });

    it('refuses bad signatures, wrong targets, wrong networks, wrong ops, stale amounts', async () => {
        await submit(payout(1000));
        const other = openWorker(net, stranger, proxy, kp);
        const asPayout = (body) => {
            const s = body.beginParse();
            s.loadUint(32);
            return beginCell().storeUint(OP.workerPayout, 32).storeSlice(s).endCell();
        };
        const cases = [
            ['bad signature', payout(2000, { key: keyPair(77) }), ERR.badSignature],
            ['wrong target', payout(2000, { target: other.address }), ERR.wrongTarget],
            ['wrong root', payout(2000, { root: stranger.address }), ERR.wrongRoot],
            ['charge signature in a payout', asPayout(payout(2000, { op: OP.clientCharge })), ERR.wrongOp],
            ['equal amount', payout(1000), ERR.notIncreasing],
            ['lower amount', payout(10), ERR.notIncreasing],
        ];
        for (const [name, body, code] of cases) {
            const r = await submit(body);
            expectRefused(r, { from: owner.address, to: worker.address, exitCode: code });
            assert.equal(findTx(r, { to: proxy.address }), undefined, name);
        }
        expectRefused(await submit(payout(2000), owner, toNano('0.04')), { from: owner.address, to: worker.address, exitCode: ERR.lowValue });
        const body = payout(3000);
        expectTx(await submit(body), { to: proxy.address, success: true });
        expectRefused(await submit(body), { from: owner.address, to: worker.address, exitCode: ERR.notIncreasing });
        assert.equal((await worker.getWorkerData()).tokens, 3000n);
        expectRefused(await submit(beginCell().storeUint(0x1234, 32).endCell()), { from: owner.address, to: worker.address, exitCode: ERR.unknownOp });
    });

    it('the proxy stake covers payouts beyond its earned balance', async () => {
        // earned 20 TON; pay 25 TON: 20 from the balance, 5 from the stake
        const r = await submit(payout(25_000_000));
        assert.equal(expectTx(r, { from: proxy.address, to: owner.address, op: OP.payout }).value, toNano('25'));
        const pd = await proxy.getProxyData();
        assert.equal(pd.balance, 0n);
        assert.equal(pd.stake, toNano('5'));
    });

    it('restores the counter when the proxy contract cannot pay', async () => {
        await submit(payout(1000));
        // 40 TON > 20 earned + 10 staked
        const r = await submit(payout(40_000_000));
        expectTx(r, { from: worker.address, to: proxy.address, success: false, exitCode: ERR.aboveBalance });
        expectTx(r, { from: proxy.address, to: worker.address, bounced: true, success: true });
        assert.equal((await worker.getWorkerData()).tokens, 1000n);
        const pd = await proxy.getProxyData();
        assert.equal(pd.workerTokens, 1000n);
        assert.equal(pd.balance, toNano('20') - 1000n * FEE);
        // a smaller signed amount still goes through afterwards
        expectTx(await submit(payout(2000)), { from: proxy.address, to: owner.address, op: OP.payout });
        assert.equal((await worker.getWorkerData()).tokens, 2000n);
    });

    it('after the proxy contract closes, claims the workers share and no more', async () => {
        await proxy.sendBody(proxyOwner.getSender(), toNano('0.1'), proxyBodies.requestClose());
        net.blockchain.now += DEV_PARAMS.proxyDelayBeforeClose;
        let r = await proxy.sendBody(proxyOwner.getSender(), toNano('0.1'), proxyBodies.requestClose());
        // clients paid 10_000_000 tokens; the workers' share (10 TON) stays, the owner gets 20 TON
        assert.equal(expectTx(r, { from: proxy.address, to: proxyOwner.address, op: OP.payout }).value, toNano('20'));
        r = await submit(payout(10_000_001));
        expectTx(r, { from: worker.address, to: proxy.address, success: false, exitCode: ERR.aboveBalance });
        expectTx(r, { from: proxy.address, to: worker.address, bounced: true });
        assert.equal((await worker.getWorkerData()).tokens, 0n);
        r = await submit(payout(10_000_000));
        assert.equal(expectTx(r, { from: proxy.address, to: owner.address, op: OP.payout }).value, toNano('10'));
        assert.equal((await worker.getWorkerData()).tokens, 10_000_000n);
        assert.equal((await proxy.getProxyData()).balance, 0n);
        r = await submit(payout(10_000_001));
        expectTx(r, { from: worker.address, to: proxy.address, success: false, exitCode: ERR.aboveBalance });
        assert.equal((await worker.getWorkerData()).tokens, 10_000_000n);
    });
});
