// Proxy contract: stake, charges and payouts only from derived child contracts,
// signed state commits, commission withdrawal under the workers' share, closing.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { beginCell } from '@ton/core';
import {
    createNetwork, deployProxy, deployClient, deployWorker, keyPair, toNano, expectTx, expectRefused, findTx,
    proxyBodies, nextQid, DEV_PARAMS,
} from './helpers.mjs';
import { ERR, OP, STATE, makeSigned, PARAM_FIELDS } from '../wrappers/chrysalis.mjs';

const FEE = DEV_PARAMS.workerFeePerToken;
const PRICE = DEV_PARAMS.pricePerToken;

describe('proxy contract', () => {
    let net, kp, owner, proxy, clientOwner, client, workerOwner, worker, stranger;
    beforeEach(async () => {
        net = await createNetwork();
        kp = keyPair(31);
        owner = await net.blockchain.treasury('proxy-owner');
        proxy = await deployProxy(net, owner, kp, toNano('10'));
        clientOwner = await net.blockchain.treasury('client-owner');
        client = await deployClient(net, clientOwner, proxy, kp, { balance: toNano('50'), stake: toNano('1') });
        workerOwner = await net.blockchain.treasury('worker-owner');
        worker = await deployWorker(net, workerOwner, proxy, kp);
        stranger = await net.blockchain.treasury('stranger');
    });

    const chargeClient = async (tokens) => {
        const r = await client.sendBody(owner.getSender(), toNano('0.1'), makeSigned({
            op: OP.clientCharge, target: client.address, root: net.root.address, amount: tokens, secretKey: kp.secretKey, queryId: nextQid(),
        }));
        expectTx(r, { from: client.address, to: proxy.address, success: true });
        return r;
    };
    const payWorker = async (tokens) => {
        const r = await worker.sendBody(workerOwner.getSender(), toNano('0.1'), makeSigned({
            op: OP.workerPayout, target: worker.address, root: net.root.address, amount: tokens, secretKey: kp.secretKey, queryId: nextQid(),
        }));
        return r;
    };
    const saveState = (seqno, sessionHash, opts = {}) => makeSigned({
        op: OP.proxySaveState, target: opts.target ?? proxy.address, root: net.root.address, amount: seqno, extra: sessionHash,
        secretKey: (opts.key ?? kp).secretKey, queryId: nextQid(),
    });
    const send = (from, body, value = toNano('0.1')) => proxy.sendBody(from.getSender(), value, body);

    it('exposes every field', async () => {
        const d = await proxy.getProxyData();
        assert.equal(d.state, STATE.active);
        assert.equal(d.stake, toNano('10'));
        assert.equal(d.balance, 0n);
        assert.equal(d.clientTokens, 0n);
        assert.equal(d.workerTokens, 0n);
        assert.equal(d.unlockTs, 0);
        assert.equal(d.lastSeqno, 0n);
        assert.equal(d.lastSessionHash, 0n);
        assert.ok(d.owner.equals(owner.address));
        assert.equal(d.publicKey, kp.publicKeyInt);
        assert.ok(d.root.equals(net.root.address));
        const p = await proxy.getParams();
        for (const f of PARAM_FIELDS) assert.equal(BigInt(p[f]), BigInt(DEV_PARAMS[f]), f);
        const codes = await proxy.getChildCodes();
        assert.ok(codes.clientCode.equals(net.codes.clientCode));
        assert.ok(codes.workerCode.equals(net.codes.workerCode));
        assert.ok((await proxy.getClientAddress(clientOwner.address)).equals(client.address));
        assert.ok((await proxy.getWorkerAddress(workerOwner.address)).equals(worker.address));
        assert.equal(await proxy.getWithdrawable(), 0n);
    });

    it('takes stake from anyone while active, refuses underfunded stakes', async () => {
        let r = await send(stranger, proxyBodies.addStake(toNano('5')), toNano('5.05'));
        expectTx(r, { from: stranger.address, to: proxy.address, success: true });
        assert.equal((await proxy.getProxyData()).stake, toNano('15'));
        r = await send(stranger, proxyBodies.addStake(toNano('5')), toNano('5'));
        expectRefused(r, { from: stranger.address, to: proxy.address, exitCode: ERR.lowValue });
        assert.equal((await proxy.getProxyData()).stake, toNano('15'));
    });

    it('accepts charges and payout requests only from its own derived child contracts', async () => {
        const notify = beginCell().storeUint(OP.clientChargeNotify, 32).storeUint(1, 64).storeUint(0, 64).storeUint(1000, 64)
            .storeAddress(clientOwner.address).storeAddress(stranger.address).endCell();
        let r = await send(stranger, notify, toNano('1'));
        expectRefused(r, { from: stranger.address, to: proxy.address, exitCode: ERR.wrongSender });
        // even the client's owner cannot pose as its client contract
        r = await send(clientOwner, notify, toNano('1'));
        expectRefused(r, { from: clientOwner.address, to: proxy.address, exitCode: ERR.wrongSender });
        const req = beginCell().storeUint(OP.workerPayoutRequest, 32).storeUint(1, 64).storeUint(0, 64).storeUint(1000, 64)
            .storeAddress(workerOwner.address).storeAddress(workerOwner.address).endCell();
        r = await send(workerOwner, req);
        expectRefused(r, { from: workerOwner.address, to: proxy.address, exitCode: ERR.wrongSender });
        assert.equal(findTx(r, { op: OP.payout }), undefined);
        // a client contract of another proxy (same key, other owner) is not this proxy's client
        const otherProxy = await deployProxy(net, stranger, kp, toNano('10'));
        const foreign = await deployClient(net, clientOwner, otherProxy, kp, { balance: toNano('1'), stake: 0n });
        r = await foreign.sendBody(owner.getSender(), toNano('0.1'), makeSigned({
            op: OP.clientCharge, target: foreign.address, root: net.root.address, amount: 10, secretKey: kp.secretKey,
        }));
        expectTx(r, { from: foreign.address, to: otherProxy.address, success: true });
        assert.equal(findTx(r, { to: proxy.address }), undefined);
        const d = await proxy.getProxyData();
        assert.equal(d.balance, 0n);
        assert.equal(d.clientTokens, 0n);
    });

    it('records signed state commits with strictly rising seqno', async () => {
        let r = await send(stranger, saveState(1, 0xaaaan));
        expectTx(r, { from: stranger.address, to: proxy.address, success: true, op: OP.proxySaveState });
        expectTx(r, { from: proxy.address, to: stranger.address, op: OP.excesses });
        let d = await proxy.getProxyData();
        assert.equal(d.lastSeqno, 1n);
        assert.equal(d.lastSessionHash, 0xaaaan);
        r = await send(owner, saveState(5, 0xbbbbn));
        expectTx(r, { to: proxy.address, success: true });
        expectRefused(await send(owner, saveState(5, 0xccccn)), { from: owner.address, to: proxy.address, exitCode: ERR.notIncreasing });
        expectRefused(await send(owner, saveState(4, 0xccccn)), { from: owner.address, to: proxy.address, exitCode: ERR.notIncreasing });
        expectRefused(await send(owner, saveState(6, 0xccccn, { key: keyPair(66) })), { from: owner.address, to: proxy.address, exitCode: ERR.badSignature });
        expectRefused(await send(owner, saveState(6, 0xccccn, { target: client.address })), { from: owner.address, to: proxy.address, exitCode: ERR.wrongTarget });
        d = await proxy.getProxyData();
        assert.equal(d.lastSeqno, 5n);
        assert.equal(d.lastSessionHash, 0xbbbbn);
    });

    it('lets the owner withdraw commission only while the workers share stays covered', async () => {
        await chargeClient(1_000_000);     // 2 TON in, workers' share 1 TON
        assert.equal(await proxy.getWithdrawable(), toNano('1'));
        expectRefused(await send(stranger, proxyBodies.withdraw(toNano('0.5'))), { from: stranger.address, to: proxy.address, exitCode: ERR.wrongSender });
        expectRefused(await send(owner, proxyBodies.withdraw(toNano('1.5'))), { from: owner.address, to: proxy.address, exitCode: ERR.belowObligations });
        expectRefused(await send(owner, proxyBodies.withdraw(toNano('2.5'))), { from: owner.address, to: proxy.address, exitCode: ERR.aboveBalance });
        let r = await send(owner, proxyBodies.withdraw(toNano('0.6')));
        assert.equal(expectTx(r, { from: proxy.address, to: owner.address, op: OP.payout }).value, toNano('0.6'));
        assert.equal(await proxy.getWithdrawable(), toNano('0.4'));
        // the worker claims its share; the rest of the commission becomes free
        r = await payWorker(1_000_000);
        assert.equal(expectTx(r, { from: proxy.address, to: workerOwner.address, op: OP.payout }).value, toNano('1'));
        assert.equal(await proxy.getWithdrawable(), toNano('0.4'));
        r = await send(owner, proxyBodies.withdraw(toNano('0.4')));
        expectTx(r, { from: proxy.address, to: owner.address, op: OP.payout });
        const d = await proxy.getProxyData();
        assert.equal(d.balance, 0n);
        assert.equal(d.stake, toNano('10'));
    });

    it('closes only after proxy_delay_before_close, settling while closing', async () => {
        await chargeClient(1_000_000);
        expectRefused(await send(stranger, proxyBodies.requestClose()), { from: stranger.address, to: proxy.address, exitCode: ERR.wrongSender });
        let r = await send(owner, proxyBodies.requestClose());
        expectTx(r, { to: proxy.address, success: true });
        let d = await proxy.getProxyData();
        assert.equal(d.state, STATE.closing);
        assert.equal(d.unlockTs, net.blockchain.now + DEV_PARAMS.proxyDelayBeforeClose);
        // clients and workers still settle; no new stake
        await chargeClient(2_000_000);
        r = await payWorker(1_500_000);
        expectTx(r, { from: proxy.address, to: workerOwner.address, op: OP.payout });
        expectRefused(await send(stranger, proxyBodies.addStake(toNano('1')), toNano('1.1')), { from: stranger.address, to: proxy.address, exitCode: ERR.wrongState });
        // early close
        net.blockchain.now += DEV_PARAMS.proxyDelayBeforeClose - 1;
        expectRefused(await send(owner, proxyBodies.requestClose()), { from: owner.address, to: proxy.address, exitCode: ERR.earlyClose });
        net.blockchain.now += 1;
        r = await send(owner, proxyBodies.requestClose());
        // the owner gets stake + balance minus the workers' unclaimed share (500_000 tokens)
        const kept = 500_000n * FEE;
        const expected = toNano('10') + 2_000_000n * PRICE - 1_500_000n * FEE - kept;
        assert.equal(expectTx(r, { from: proxy.address, to: owner.address, op: OP.payout }).value, expected);
        d = await proxy.getProxyData();
        assert.equal(d.state, STATE.closed);
        assert.equal(d.stake, 0n);
        assert.equal(d.balance, kept);
        assert.ok(await proxy.getBalance() <= toNano('0.05') + kept);
        // the worker still claims its share after the close, and no more
        r = await payWorker(2_000_001);
        expectTx(r, { from: worker.address, to: proxy.address, success: false, exitCode: ERR.aboveBalance });
        r = await payWorker(2_000_000);
        assert.equal(expectTx(r, { from: proxy.address, to: workerOwner.address, op: OP.payout }).value, kept);
        d = await proxy.getProxyData();
        assert.equal(d.balance, 0n);
        assert.ok(await proxy.getBalance() <= toNano('0.05'));
        // closed: everything else is refused
        expectRefused(await send(owner, proxyBodies.requestClose()), { from: owner.address, to: proxy.address, exitCode: ERR.wrongState });
        expectRefused(await send(owner, proxyBodies.withdraw(1n)), { from: owner.address, to: proxy.address, exitCode: ERR.wrongState });
        expectRefused(await send(owner, saveState(9, 1n)), { from: owner.address, to: proxy.address, exitCode: ERR.wrongState });
        expectRefused(await send(owner, beginCell().storeUint(0x77, 32).endCell()), { from: owner.address, to: proxy.address, exitCode: ERR.unknownOp });
    });
});
