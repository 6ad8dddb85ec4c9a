// Client contract: top-up, stake, withdraw, secret, signed charges and refunds,
// closing with and without the proxy, and every refusal.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { beginCell } from '@ton/core';
import {
    createNetwork, deployProxy, deployClient, openClient, keyPair, toNano, expectTx, expectRefused, findTx,
    clientBodies, proxyBodies, nextQid, DEV_PARAMS,
} from './helpers.mjs';
import { ERR, OP, STATE, makeSigned } from '../wrappers/chrysalis.mjs';

const PRICE = DEV_PARAMS.pricePerToken;

describe('client contract', () => {
    let net, kp, proxyOwner, proxy, owner, client, stranger;
    beforeEach(async () => {
        net = await createNetwork();
        kp = keyPair(11);
        proxyOwner = await net.blockchain.treasury('proxy-owner');
        proxy = await deployProxy(net, proxyOwner, kp);
        owner = await net.blockchain.treasury('client-owner');
        stranger = await net.blockchain.treasury('stranger');
        client = await deployClient(net, owner, proxy, kp, { balance: toNano('5'), stake: toNano('1') });
    });

    const charge = (tokens, opts = {}) => makeSigned({
        op: opts.op ?? OP.clientCharge, target: opts.target ?? client.address, root: opts.root ?? net.root.address,
        amount: tokens, queryId: nextQid(), secretKey: (opts.key ?? kp).secretKey,
    });
    const refund = (tokens, opts = {}) => charge(tokens, { ...opts, op: opts.op ?? OP.clientRefund });
    const submit = (body, from = proxyOwner, value = toNano('0.1')) => client.sendBody(from.getSender(), value, body);

    it('is deployed with balance and stake and exposes every field', async () => {
        const d = await client.getClientData();
        assert.equal(d.state, STATE.active);
        assert.equal(d.balance, toNano('5'));
        assert.equal(d.stake, toNano('1'));
        assert.equal(d.tokensUsed, 0n);
        assert.equal(d.unlockTs, 0);
        assert.equal(d.secretHash, 0n);
        assert.equal(d.proxyPublicKey, kp.publicKeyInt);
        assert.ok(d.owner.equals(owner.address));
        assert.ok(d.proxy.equals(proxy.address));
        assert.ok(d.root.equals(net.root.address));
        assert.equal((await client.getParams()).pricePerToken, PRICE);
        // the contract holds its accounted funds plus the storage reserve
        assert.ok(await client.getBalance() >= toNano('6.05') - toNano('0.001'));
    });

    it('accepts top-ups and stakes from anyone, refuses underfunded ones', async () => {
        let r = await client.sendBody(stranger.getSender(), toNano('2.5'), clientBodies.topUp(toNano('2'), 1n));
        expectTx(r, { from: stranger.address, to: client.address, success: true });
        const ex = expectTx(r, { from: client.address, to: stranger.address, op: OP.excesses });
        assert.ok(ex.value > toNano('0.49') && ex.value < toNano('0.5'));
        r = await client.sendBody(stranger.getSender(), toNano('1.02'), clientBodies.increaseStake(toNano('1'), 2n));
        expectTx(r, { from: stranger.address, to: client.address, success: true });
        const d = await client.getClientData();
        assert.equal(d.balance, toNano('7'));
        assert.equal(d.stake, toNano('2'));
        r = await client.sendBody(stranger.getSender(), toNano('1.005'), clientBodies.topUp(toNano('1')));
        expectRefused(r, { from: stranger.address, to: client.address, exitCode: ERR.lowValue });
        r = await client.sendBody(stranger.getSender(), toNano('1'), clientBodies.increaseStake(toNano('1')));
        expectRefused(r, { from: stranger.address, to: client.address, exitCode: ERR.lowValue });
        assert.equal((await client.getClientData()).balance, toNano('7'));
    });

    it('lets the owner withdraw the balance, never the stake, never more than it holds', async () => {
        let r = await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.withdraw(toNano('2'), 3n));
        expectTx(r, { from: owner.address, to: client.address, success: true });
        const p = expectTx(r, { from: client.address, to: owner.address, op: OP.payout });
        assert.equal(p.value, toNano('2'));
        assert.equal((await client.getClientData()).balance, toNano('3'));

        r = await client.sendBody(stranger.getSender(), toNano('0.1'), clientBodies.withdraw(toNano('1')));
        expectRefused(r, { from: stranger.address, to: client.address, exitCode: ERR.wrongSender });
        r = await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.withdraw(toNano('3.5')));
        expectRefused(r, { from: owner.address, to: client.address, exitCode: ERR.belowStake });
        r = await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.withdraw(toNano('4.01')));
        expectRefused(r, { from: owner.address, to: client.address, exitCode: ERR.aboveBalance });
        r = await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.withdraw(toNano('3')));
        expectTx(r, { from: owner.address, to: client.address, success: true });
        const d = await client.getClientData();
        assert.equal(d.balance, 0n);
        assert.equal(d.stake, toNano('1'));
    });

    it('changes the secret hash for the owner only', async () => {
        let r = await client.sendBody(stranger.getSender(), toNano('0.05'), clientBodies.changeSecret(0xabcdefn));
        expectRefused(r, { from: stranger.address, to: client.address, exitCode: ERR.wrongSender });
        r = await client.sendBody(owner.getSender(), toNano('0.05'), clientBodies.changeSecret(0xabcdefn));
        expectTx(r, { from: owner.address, to: client.address, success: true });
        assert.equal((await client.getClientData()).secretHash, 0xabcdefn);
    });

    it('moves exactly the difference of a signed cumulative charge to the proxy contract', async () => {
        let r = await submit(charge(1000));
        expectTx(r, { from: proxyOwner.address, to: client.address, success: true, op: OP.clientCharge });
        const n = expectTx(r, { from: client.address, to: proxy.address, success: true, op: OP.clientChargeNotify });
        assert.ok(n.value >= 1000n * PRICE);
        expectTx(r, { from: proxy.address, to: proxyOwner.address, op: OP.excesses });
        let d = await client.getClientData();
        assert.equal(d.tokensUsed, 1000n);
        assert.equal(d.balance, toNano('5') - 1000n * PRICE);
        let pd = await proxy.getProxyData();
        assert.equal(pd.balance, 1000n * PRICE);
        assert.equal(pd.clientTokens, 1000n);

        // anyone can submit (here the client owner itself); only the difference moves
        r = await submit(charge(1500), owner);
        expectTx(r, { from: client.address, to: proxy.address, success: true });
        d = await client.getClientData();
        assert.equal(d.tokensUsed, 1500n);
        assert.equal(d.balance, toNano('5') - 1500n * PRICE);
        pd = await proxy.getProxyData();
        assert.equal(pd.balance, 1500n * PRICE);
        assert.equal(pd.clientTokens, 1500n);
    });

    it('refuses bad signatures, wrong targets, wrong networks, wrong ops, stale amounts', async () => {
        await submit(charge(1000));
        const other = openClient(net, stranger, proxy, kp);   // another client of the same proxy
        const cases = [
            ['bad signature', charge(2000, { key: keyPair(99) }), ERR.badSignature],
            ['wrong target', charge(2000, { target: other.address }), ERR.wrongTarget],
            ['wrong root', charge(2000, { root: stranger.address }), ERR.wrongRoot],
            ['worker payout signature in a charge', asCharge(charge(2000, { op: OP.workerPayout })), ERR.wrongOp],
            ['refund signature in a charge', asCharge(refund(2000)), ERR.wrongOp],
            ['equal amount', charge(1000), ERR.notIncreasing],
            ['lower amount', charge(999), ERR.notIncreasing],
            ['above balance and stake', charge(3_000_001), ERR.aboveBalance],
        ];
        function asCharge(body) {
            // a payload signed for another operation, wrapped in a "charge" message
            const s = body.beginParse();
            s.loadUint(32);
            return beginCell().storeUint(OP.clientCharge, 32).storeSlice(s).endCell();
        }
        for (const [name, body, code] of cases) {
            const r = await submit(body);
            expectRefused(r, { from: proxyOwner.address, to: client.address, exitCode: code });
            assert.equal(findTx(r, { to: proxy.address }), undefined, name);
        }
        const d = await client.getClientData();
        assert.equal(d.tokensUsed, 1000n);
        assert.equal(d.balance, toNano('5') - 1000n * PRICE);
        // a replay of an accepted message gains nothing
        const body = charge(1200);
        expectTx(await submit(body), { to: proxy.address, success: true });
        expectRefused(await submit(body), { from: proxyOwner.address, to: client.address, exitCode: ERR.notIncreasing });
        // too little gas to forward
        expectRefused(await submit(charge(1300), proxyOwner, toNano('0.04')), { from: proxyOwner.address, to: client.address, exitCode: ERR.lowValue });
    });

    it('takes a charge beyond the balance from the stake', async () => {
        // 5 TON balance = 2_500_000 tokens; charge 3_000_000 tokens = 6 TON
        const r = await submit(charge(3_000_000));
        expectTx(r, { from: client.address, to: proxy.address, success: true });
        const d = await client.getClientData();
        assert.equal(d.balance, 0n);
        assert.equal(d.stake, 0n);
        assert.equal((await proxy.getProxyData()).balance, toNano('6'));
    });

    it('closes at once with the proxy-signed final charge (refund)', async () => {
        await submit(charge(1000));
        expectRefused(await submit(refund(999)), { from: proxyOwner.address, to: client.address, exitCode: ERR.notIncreasing });
        expectRefused(await submit(refund(3000, { key: keyPair(98) })), { from: proxyOwner.address, to: client.address, exitCode: ERR.badSignature });
        const r = await submit(refund(3000));
        expectTx(r, { from: proxyOwner.address, to: client.address, success: true, op: OP.clientRefund });
        const p = expectTx(r, { from: client.address, to: owner.address, op: OP.payout });
        assert.equal(p.value, toNano('6') - 3000n * PRICE);
        expectTx(r, { from: client.address, to: proxy.address, success: true, op: OP.clientChargeNotify });
        const d = await client.getClientData();
        assert.equal(d.state, STATE.closed);
        assert.equal(d.balance, 0n);
        assert.equal(d.stake, 0n);
        assert.equal(d.tokensUsed, 3000n);
        assert.equal((await proxy.getProxyData()).balance, 3000n * PRICE);
        // nothing works on a closed contract
        expectRefused(await submit(charge(4000)), { from: proxyOwner.address, to: client.address, exitCode: ERR.wrongState });
        expectRefused(await client.sendBody(owner.getSender(), toNano('1.1'), clientBodies.topUp(toNano('1'))), { from: owner.address, to: client.address, exitCode: ERR.wrongState });
        expectRefused(await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.requestClose()), { from: owner.address, to: client.address, exitCode: ERR.wrongState });
    });

    it('a final charge equal to the charged amount closes without a message to the proxy', async () => {
        await submit(charge(1000));
        const r = await submit(refund(1000));
        expectTx(r, { to: client.address, success: true });
        assert.equal(findTx(r, { to: proxy.address }), undefined);
        assert.equal(expectTx(r, { from: client.address, to: owner.address, op: OP.payout }).value, toNano('6') - 1000n * PRICE);
        assert.equal((await client.getClientData()).state, STATE.closed);
    });

    it('closes without the proxy only after client_delay_before_close', async () => {
        expectRefused(await client.sendBody(stranger.getSender(), toNano('0.1'), clientBodies.requestClose()), { from: stranger.address, to: client.address, exitCode: ERR.wrongSender });
        let r = await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.requestClose());
        expectTx(r, { to: client.address, success: true });
        let d = await client.getClientData();
        assert.equal(d.state, STATE.closing);
        assert.equal(d.unlockTs, net.blockchain.now + DEV_PARAMS.clientDelayBeforeClose);
        // the proxy can still settle while closing; top-ups, stakes and withdrawals are refused
        expectTx(await submit(charge(500)), { from: client.address, to: proxy.address, success: true });
        expectRefused(await client.sendBody(owner.getSender(), toNano('1.1'), clientBodies.topUp(toNano('1'))), { from: owner.address, to: client.address, exitCode: ERR.wrongState });
        expectRefused(await client.sendBody(owner.getSender(), toNano('1.1'), clientBodies.increaseStake(toNano('1'))), { from: owner.address, to: client.address, exitCode: ERR.wrongState });
        expectRefused(await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.withdraw(1n)), { from: owner.address, to: client.address, exitCode: ERR.wrongState });
        // early close
        net.blockchain.now += DEV_PARAMS.clientDelayBeforeClose - 1;
        expectRefused(await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.requestClose()), { from: owner.address, to: client.address, exitCode: ERR.earlyClose });
        net.blockchain.now += 1;
        r = await client.sendBody(owner.getSender(), toNano('0.1'), clientBodies.requestClose());
        expectTx(r, { to: client.address, success: true });
        assert.equal(expectTx(r, { from: client.address, to: owner.address, op: OP.payout }).value, toNano('6') - 500n * PRICE);
        d = await client.getClientData();
        assert.equal(d.state, STATE.closed);
        assert.equal(d.balance + d.stake, 0n);
        // the contract keeps only its storage reserve
        assert.ok(await client.getBalance() <= toNano('0.05'));
    });

    it('gets the coins back when the proxy contract refuses a charge (closed proxy)', async () => {
        await submit(charge(1000));
        await proxy.sendBody(proxyOwner.getSender(), toNano('0.1'), proxyBodies.requestClose());
        net.blockchain.now += DEV_PARAMS.proxyDelayBeforeClose;
        await proxy.sendBody(proxyOwner.getSender(), toNano('0.1'), proxyBodies.requestClose());
        assert.equal((await proxy.getProxyData()).state, STATE.closed);
        const r = await submit(charge(2000));
        expectTx(r, { from: client.address, to: proxy.address, success: false, exitCode: ERR.wrongState });
        expectTx(r, { from: proxy.address, to: client.address, bounced: true, success: true });
        const d = await client.getClientData();
        assert.equal(d.tokensUsed, 1000n);
        assert.equal(d.balance, toNano('5') - 1000n * PRICE);
    });

    it('bounces unknown operations, accepts plain transfers', async () => {
        expectRefused(await client.sendBody(owner.getSender(), toNano('0.1'), beginCell().storeUint(0x12345678, 32).endCell()), { from: owner.address, to: client.address, exitCode: ERR.unknownOp });
        expectTx(await client.sendBody(owner.getSender(), toNano('0.1'), beginCell().endCell()), { to: client.address, success: true });
    });
});
