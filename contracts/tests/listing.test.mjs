// Self-listing: a proxy's owner lists the proxy in the root's registry through
// its staked proxy contract (ProxyAnnounce -> RootProxyListing), signed by the
// proxy key the contract is bound to (no key squatting). The root takes
// a listing only from the address it derives for (owner, key) under its current
// params and code; the first RequestClose delists; the index stays consistent
// with the owner's UnregisterProxy/UpdateProxy; at most 256 self-listed proxies;
// the proxy contract's accounted funds never move.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { beginCell, Cell } from '@ton/core';
import { runTolkCompiler } from '@ton/tolk-js';
import { keyPairFromSeed } from '@ton/crypto';
import {
    createNetwork, deployProxy, deployClient, keyPair, toNano, expectTx, expectRefused, findTx, flat,
    proxyBodies, rootBodies, nextQid, DEV_PARAMS,
} from './helpers.mjs';
import {
    ERR, OP, STATE, STORAGE_RESERVE, MAX_SELF_LISTED, makeSigned, ProxyContract,
    endpointsCell, cellHashInt, signedPayloadCell, signPayload, announceBody,
} from '../wrappers/chrysalis.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const W1 = '10.0.0.1:9001', C1 = 'proxy.example.org:9002';

/** Fees of every transaction in the result plus the forwarding fees of their internal messages. */
function feesOf(result) {
    let fees = 0n;
    for (const tx of result.transactions) {
        fees += tx.totalFees.coins;
        for (const m of tx.outMessages.values()) if (m.info.type === 'internal') fees += m.info.forwardFee;
    }
    return fees;
}

describe('proxy self-listing', () => {
    let net, root, kp, owner, proxy, stranger;
    beforeEach(async () => {
        net = await createNetwork();
        root = net.root;
        kp = keyPair(41);
        owner = await net.blockchain.treasury('proxy-owner');
        proxy = await deployProxy(net, owner, kp);      // staked with exactly min_proxy_stake
        stranger = await net.blockchain.treasury('stranger');
    });

    /** A ProxyAnnounce for proxy contract `p`, signed (by default) with the proxy key kp for p and this root. */
    const announceFor = (p, fields, queryId = nextQid()) =>
        proxyBodies.announce({ target: p.address, root: root.address, secretKey: kp.secretKey, ...fields }, queryId);
    const announce = (p, from, fields, value = toNano('0.1')) =>
        p.sendBody(from.getSender(), value, announceFor(p, fields));
    const list = async (p = proxy, from = owner, fields = { listed: true, workersEndpoint: W1, clientsEndpoint: C1 }) => {
        const r = await announce(p, from, fields);
        expectTx(r, { from: from.address, to: p.address, success: true, op: OP.proxyAnnounce });
        expectTx(r, { from: p.address, to: root.address, success: true, op: OP.rootProxyListing });
        return r;
    };
    /** The listing reached the root and the root refused it (sent non-bounceable: nothing comes back). */
    const expectRootRefused = (r, from, exitCode) => {
        expectTx(r, { from, to: root.address, op: OP.rootProxyListing, success: false, exitCode });
        assert.equal(findTx(r, { from: root.address, bounced: true }), undefined);
    };
    const entries = async () => (await root.getProxies()).map((e) => [e.seqno, e.publicKey, e.workersEndpoint, e.clientsEndpoint]);

    it('a staked proxy lists itself: the registry shows its entry and get_listed_proxy finds it', async () => {
        assert.ok((await root.getProxyContractAddress(owner.address, kp.publicKeyInt)).equals(proxy.address));
        const r = await proxy.sendBody(owner.getSender(), toNano('0.1'), announceFor(proxy, { listed: true, workersEndpoint: W1, clientsEndpoint: C1 }, 4242n));
        expectTx(r, { from: owner.address, to: proxy.address, success: true, op: OP.proxyAnnounce });
        expectTx(r, { from: proxy.address, to: root.address, success: true, op: OP.rootProxyListing });
        // the proxy contract sends exactly the documented RootProxyListing body
        const sent = r.transactions.find((t) => t.inMessage?.info.dest?.equals?.(root.address)).inMessage.body;
        const want = rootBodies.proxyListing({ owner: owner.address, publicKey: kp.publicKeyInt, listed: true, excessTo: owner.address,
            workersEndpoint: W1, clientsEndpoint: C1 }, 4242n);
        assert.equal(sent.hash().toString('hex'), want.hash().toString('hex'));
        // the root returns its excess to the proxy's owner (excess_to), not to the proxy contract
        expectTx(r, { from: root.address, to: owner.address, op: OP.excesses });
        assert.equal(findTx(r, { from: root.address, to: proxy.address }), undefined);
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
        assert.deepEqual(await root.getProxy(1), { publicKey: kp.publicKeyInt, workersEndpoint: W1, clientsEndpoint: C1 });
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 1 });
        assert.deepEqual(await root.getListedProxy(keyPair(42).publicKeyInt), { found: false, seqno: 0 });
        assert.equal(await root.getListedCount(), 1);
        const d = await root.getRootData();
        assert.equal(d.lastProxySeqno, 1);
        assert.equal(d.version, 1);
    });

    it('announcing again replaces the entry under the same seqno', async () => {
        await list();
        await list(proxy, owner, { listed: true, workersEndpoint: '10.0.0.2:7001', clientsEndpoint: 'p2.example.org:7002' });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, '10.0.0.2:7001', 'p2.example.org:7002']]);
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 1 });
        assert.equal(await root.getListedCount(), 1);
        const d = await root.getRootData();
        assert.equal(d.lastProxySeqno, 1);
        assert.equal(d.version, 2);
    });

    it('refuses an announce from anyone but the owner, with too little value, or with a bad endpoint', async () => {
        const good = { listed: true, workersEndpoint: W1, clientsEndpoint: C1 };
        let r = await announce(proxy, stranger, good);       // validly signed, but not from the owner
        expectRefused(r, { from: stranger.address, to: proxy.address, exitCode: ERR.wrongSender });
        assert.equal(findTx(r, { to: root.address }), undefined);
        r = await announce(proxy, owner, good, toNano('0.05') - 1n);
        expectRefused(r, { from: owner.address, to: proxy.address, exitCode: ERR.lowValue });
        // 128 bytes is one byte too many; a snake string (a ref) is refused too
        for (const bad of [{ workersEndpoint: 'a'.repeat(128), clientsEndpoint: C1 }, { workersEndpoint: W1, clientsEndpoint: 'b'.repeat(128) }]) {
            r = await announce(proxy, owner, { listed: true, ...bad });
            expectRefused(r, { from: owner.address, to: proxy.address, exitCode: ERR.badEndpoint });
        }
        const snake = beginCell().storeStringTail('10.0.0.1').storeRef(beginCell().storeStringTail(':9001').endCell()).endCell();
        const c1 = beginCell().storeStringTail(C1).endCell();
        // an endpoint with a ref, and an endpoints cell that is not exactly two refs and no bits (all correctly signed)
        for (const endpoints of [
            beginCell().storeRef(snake).storeRef(c1).endCell(),
            beginCell().storeRef(c1).endCell(),
            beginCell().storeRef(c1).storeRef(c1).storeRef(c1).endCell(),
            beginCell().storeBit(0).storeRef(c1).storeRef(c1).endCell(),
        ]) {
            r = await announce(proxy, owner, { listed: true, endpoints });
            expectRefused(r, { from: owner.address, to: proxy.address, exitCode: ERR.badEndpoint });
        }
        assert.deepEqual(await entries(), []);
        assert.equal(await root.getVersion(), 0);
        // exactly 127 bytes fits, and exactly MIN_CHAIN_VALUE carries the listing through the root
        r = await announce(proxy, owner, { listed: true, workersEndpoint: 'w'.repeat(127), clientsEndpoint: '' }, toNano('0.05'));
        expectTx(r, { from: proxy.address, to: root.address, success: true, op: OP.rootProxyListing });
        expectTx(r, { from: root.address, to: owner.address, op: OP.excesses });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, 'w'.repeat(127), '']]);
    });

    it('key squatting: another owner\'s proxy contract bound to the victim\'s key cannot list it without that key', async () => {
        const o2 = await net.blockchain.treasury('squatter');
        const squat = await deployProxy(net, o2, kp);      // staked, bound to the victim's public key, owned by the squatter
        assert.ok(!squat.address.equals(proxy.address));
        const mallory = keyPair(66);
        const fake = { listed: true, workersEndpoint: '6.6.6.6:1', clientsEndpoint: '6.6.6.6:2' };
        // signed with the squatter's own key, or not signed at all
        for (const how of [{ secretKey: mallory.secretKey }, { signatureOverride: Buffer.alloc(64) }]) {
            const r = await announce(squat, o2, { ...fake, ...how });
            expectRefused(r, { from: o2.address, to: squat.address, exitCode: ERR.badSignature });
            assert.equal(findTx(r, { to: root.address }), undefined);
        }
        // the victim's genuine signed announce, replayed through the squatter's contract: signed for another target
        const victims = announceFor(proxy, { listed: true, workersEndpoint: W1, clientsEndpoint: C1 });
        let r = await squat.sendBody(o2.getSender(), toNano('0.1'), victims);
        expectRefused(r, { from: o2.address, to: squat.address, exitCode: ERR.wrongTarget });
        assert.equal(findTx(r, { to: root.address }), undefined);
        assert.deepEqual(await entries(), []);
        assert.equal(await root.getVersion(), 0);
        // so the victim lists first with its key, wherever the squatter is
        r = await proxy.sendBody(owner.getSender(), toNano('0.1'), victims);
        expectTx(r, { from: proxy.address, to: root.address, success: true, op: OP.rootProxyListing });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
        // the squatter can delist it neither with an (unsigned) delist nor with its first close: the
        // root lets a contract take off only the entry it listed itself
        r = await announce(squat, o2, { listed: false, secretKey: mallory.secretKey });
        expectTx(r, { from: squat.address, to: root.address, success: true, op: OP.rootProxyListing });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
        r = await squat.sendBody(o2.getSender(), toNano('0.1'), proxyBodies.requestClose());
        expectTx(r, { from: squat.address, to: root.address, success: true });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 1 });
    });

    it('refuses a signature over other endpoints, for another proxy contract, root or op, or with amount other than 0/1', async () => {
        const eps = endpointsCell(W1, C1);
        const good = { op: OP.proxyAnnounce, target: proxy.address, root: root.address, amount: 1n, extra: cellHashInt(eps) };
        const send = (fields, { endpoints = eps, signatureOf } = {}) => {
            const payload = signedPayloadCell({ ...good, ...fields });
            const signature = signPayload(signatureOf ? signedPayloadCell({ ...good, ...signatureOf }) : payload, kp.secretKey);
            return proxy.sendBody(owner.getSender(), toNano('0.1'), announceBody(nextQid(), signature, payload, endpoints));
        };
        const o2 = await net.blockchain.treasury('proxy-owner-2');
        const other = await deployProxy(net, o2, kp);     // the same key's contract under another owner
        const cases = [
            // a valid signature over W1/C1, the body carrying other endpoints; and the reverse
            ['endpoints swapped under the signature', () => send({}, { endpoints: endpointsCell('6.6.6.6:1', C1) }), ERR.badListing],
            ['signed over other endpoints', () => send({ extra: cellHashInt(endpointsCell('6.6.6.6:1', C1)) }), ERR.badListing],
            ['a signature of another payload', () => send({}, { signatureOf: { extra: cellHashInt(endpointsCell('6.6.6.6:1', C1)) } }), ERR.badSignature],
            ['extra 0', () => send({ extra: 0n }), ERR.badListing],
            ['amount 2', () => send({ amount: 2n }), ERR.badListing],
            ['signed for another proxy contract', () => send({ target: other.address }), ERR.wrongTarget],
            ['signed for another root', () => send({ root: stranger.address }), ERR.wrongRoot],
            ['a save-state payload', () => send({ op: OP.proxySaveState }), ERR.wrongOp],
            ['signed delist turned into a listing', () => send({}, { signatureOf: { amount: 0n } }), ERR.badSignature],
        ];
        for (const [what, sendIt, exitCode] of cases) {
            const r = await sendIt();
            expectRefused(r, { from: owner.address, to: proxy.address, exitCode });
            assert.equal(findTx(r, { to: root.address }), undefined, what);
        }
        assert.deepEqual(await entries(), []);
        assert.equal(await root.getVersion(), 0);
        // the same message, correctly signed, goes through
        const r = await send({});
        expectTx(r, { from: proxy.address, to: root.address, success: true, op: OP.rootProxyListing });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
    });

    it('the owner delists without the proxy key (unsigned); a delist for another contract is refused', async () => {
        await list();
        let r = await announce(proxy, owner, { listed: false, target: stranger.address, signatureOverride: Buffer.alloc(64) });
        expectRefused(r, { from: owner.address, to: proxy.address, exitCode: ERR.wrongTarget });
        r = await announce(proxy, stranger, { listed: false, signatureOverride: Buffer.alloc(64) });
        expectRefused(r, { from: stranger.address, to: proxy.address, exitCode: ERR.wrongSender });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
        r = await list(proxy, owner, { listed: false, signatureOverride: Buffer.alloc(64) });
        expectTx(r, { from: root.address, to: owner.address, op: OP.excesses });
        assert.deepEqual(await entries(), []);
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: false, seqno: 0 });
        assert.equal(await root.getListedCount(), 0);
    });

    it('refuses to list a proxy staked below min_proxy_stake', async () => {
        const o2 = await net.blockchain.treasury('proxy-owner-2');
        const k2 = keyPair(43);
        const low = await deployProxy(net, o2, k2, DEV_PARAMS.minProxyStake - 1n);
        let r = await announce(low, o2, { listed: true, workersEndpoint: W1, clientsEndpoint: C1, secretKey: k2.secretKey });
        expectRefused(r, { from: o2.address, to: low.address, exitCode: ERR.belowStake });
        assert.equal(findTx(r, { to: root.address }), undefined);
        assert.deepEqual(await entries(), []);
        // one more nanoTON of stake and it may list
        r = await low.sendBody(o2.getSender(), toNano('0.1'), proxyBodies.addStake(1n));
        expectTx(r, { to: low.address, success: true });
        await list(low, o2, { listed: true, workersEndpoint: W1, clientsEndpoint: C1, secretKey: k2.secretKey });
        assert.deepEqual(await root.getListedProxy(k2.publicKeyInt), { found: true, seqno: 1 });
    });

    it('a closing proxy cannot list (it may still delist)', async () => {
        let r = await proxy.sendBody(owner.getSender(), toNano('0.1'), proxyBodies.requestClose());
        expectTx(r, { to: proxy.address, success: true });
        assert.equal((await proxy.getProxyData()).state, STATE.closing);
        r = await announce(proxy, owner, { listed: true, workersEndpoint: W1, clientsEndpoint: C1 });
        expectRefused(r, { from: owner.address, to: proxy.address, exitCode: ERR.wrongState });
        assert.equal(findTx(r, { to: root.address }), undefined);
        await list(proxy, owner, { listed: false, workersEndpoint: '', clientsEndpoint: '' });
        assert.deepEqual(await entries(), []);
        assert.equal(await root.getListedCount(), 0);
    });

    it('refuses a listing sent to the root by anyone but the derived proxy contract', async () => {
        const body = rootBodies.proxyListing({ owner: owner.address, publicKey: kp.publicKeyInt, listed: true, excessTo: stranger.address,
            workersEndpoint: '6.6.6.6:1', clientsEndpoint: '6.6.6.6:2' }, 9n);
        // an impostor wallet, the proxy's owner's own wallet, and even the root's owner
        for (const who of [stranger, owner, net.rootOwner]) {
            const r = await root.sendBody(who.getSender(), toNano('0.2'), body);
            expectRefused(r, { from: who.address, to: root.address, exitCode: ERR.wrongSender });
        }
        // a delisting is refused the same way (it cannot remove a genuine listing)
        await list();
        const r = await root.sendBody(stranger.getSender(), toNano('0.2'),
            rootBodies.proxyListing({ owner: owner.address, publicKey: kp.publicKeyInt, listed: false, excessTo: stranger.address }));
        expectRefused(r, { from: stranger.address, to: root.address, exitCode: ERR.wrongSender });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
        assert.equal(await root.getVersion(), 1);
    });

    it('refuses a proxy contract deployed under other params, other child code or other proxy code', async () => {
        const o2 = await net.blockchain.treasury('proxy-owner-2');
        const k2 = keyPair(44);
        const base = { owner: o2.address, publicKey: k2.publicKeyInt, root: root.address, params: DEV_PARAMS,
            clientCode: net.codes.clientCode, workerCode: net.codes.workerCode };
        // a proxy code that skips the stake check: compiled from our source with that line removed
        const src = fs.readFileSync(path.join(here, '..', 'src', 'proxy.tolk'), 'utf-8');
        const stakeCheck = 'assert (st.stake >= st.params.load().minProxyStake) throw ERR_BELOW_STAKE;';
        assert.ok(src.includes(stakeCheck));
        const res = await runTolkCompiler({
            entrypointFileName: 'proxy.tolk',
            fsReadCallback: (p) => (p === 'proxy.tolk' ? src.replace(stakeCheck, '') : fs.readFileSync(path.join(here, '..', 'src', p), 'utf-8')),
        });
        assert.equal(res.status, 'ok', res.message);
        const forgedCode = Cell.fromBase64(res.codeBoc64);
        assert.ok(!forgedCode.equals(net.codes.proxyCode));
        const variants = [
            ['other params', ProxyContract.createFromConfig({ ...base, params: { ...DEV_PARAMS, minProxyStake: toNano('1') } }, net.codes.proxyCode), toNano('1')],
            ['other child code', ProxyContract.createFromConfig({ ...base, workerCode: net.codes.clientCode }, net.codes.proxyCode), toNano('10')],
            ['other proxy code, no stake', ProxyContract.createFromConfig(base, forgedCode), 0n],
        ];
        for (const [what, cfg, stake] of variants) {
            const p = net.blockchain.openContract(cfg);
            let r = await p.sendDeploy(o2.getSender(), stake + toNano('0.2'), proxyBodies.addStake(stake));
            expectTx(r, { to: p.address, success: true, deploy: true });
            r = await announce(p, o2, { listed: true, workersEndpoint: W1, clientsEndpoint: C1, secretKey: k2.secretKey });
            expectTx(r, { from: o2.address, to: p.address, success: true });
            expectRootRefused(r, p.address, ERR.wrongSender);
            assert.deepEqual(await entries(), [], what);
        }
        assert.deepEqual(await root.getListedProxy(k2.publicKeyInt), { found: false, seqno: 0 });
        assert.equal(await root.getListedCount(), 0);
        assert.equal(await root.getVersion(), 0);
    });

    it('delists with announce(listed = false); delisting an unlisted proxy changes nothing', async () => {
        let r = await list(proxy, owner, { listed: false, workersEndpoint: '', clientsEndpoint: '' });
        expectTx(r, { from: root.address, to: owner.address, op: OP.excesses });
        assert.equal(await root.getListedCount(), 0);
        await list();
        assert.equal(await root.getListedCount(), 1);
        r = await list(proxy, owner, { listed: false, workersEndpoint: '', clientsEndpoint: '' });
        assert.deepEqual(await entries(), []);
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: false, seqno: 0 });
        assert.equal(await root.getListedCount(), 0);
        // listing again takes a new seqno (seqnos are never reused)
        await list();
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 2 });
        assert.equal(await root.getListedCount(), 1);
    });

    it('the first RequestClose delists the proxy and returns the excess to the owner through the root', async () => {
        await list();
        let r = await proxy.sendBody(owner.getSender(), toNano('0.05') - 1n, proxyBodies.requestClose());
        expectRefused(r, { from: owner.address, to: proxy.address, exitCode: ERR.lowValue });
        assert.equal((await proxy.getProxyData()).state, STATE.active);
        const before = await proxy.getProxyData();
        r = await proxy.sendBody(owner.getSender(), toNano('0.5'), proxyBodies.requestClose(77n));
        expectTx(r, { from: owner.address, to: proxy.address, success: true });
        expectTx(r, { from: proxy.address, to: root.address, success: true, op: OP.rootProxyListing });
        const sent = r.transactions.find((t) => t.inMessage?.info.dest?.equals?.(root.address)).inMessage.body;
        const want = rootBodies.proxyListing({ owner: owner.address, publicKey: kp.publicKeyInt, listed: false, excessTo: owner.address }, 77n);
        assert.equal(sent.hash().toString('hex'), want.hash().toString('hex'));
        const ex = expectTx(r, { from: root.address, to: owner.address, op: OP.excesses });
        assert.ok(ex.value > toNano('0.4'));
        assert.equal(findTx(r, { from: proxy.address, to: owner.address }), undefined);
        const d = await proxy.getProxyData();
        assert.equal(d.state, STATE.closing);
        assert.equal(d.stake, before.stake);
        assert.equal(d.balance, before.balance);
        assert.equal(await proxy.getBalance(), d.stake + d.balance + STORAGE_RESERVE);
        assert.deepEqual(await entries(), []);
        assert.equal(await root.getListedCount(), 0);
        // the final close pays the owner directly and sends nothing to the root
        net.blockchain.now += DEV_PARAMS.proxyDelayBeforeClose;
        r = await proxy.sendBody(owner.getSender(), toNano('0.1'), proxyBodies.requestClose());
        expectTx(r, { from: proxy.address, to: owner.address, op: OP.payout });
        assert.equal(findTx(r, { to: root.address }), undefined);
        assert.equal((await proxy.getProxyData()).state, STATE.closed);
    });

    it('the first RequestClose of a never-listed proxy is accepted by the root as a no-op', async () => {
        const r = await proxy.sendBody(owner.getSender(), toNano('0.1'), proxyBodies.requestClose());
        expectTx(r, { from: proxy.address, to: root.address, success: true, op: OP.rootProxyListing });
        expectTx(r, { from: root.address, to: owner.address, op: OP.excesses });
        assert.deepEqual(await entries(), []);
        assert.equal(await root.getListedCount(), 0);
        assert.equal((await root.getRootData()).lastProxySeqno, 0);
    });

    it('a closing proxy still closes when the root no longer derives its address (params changed)', async () => {
        await list();
        let r = await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.changeParams({ ...DEV_PARAMS, minProxyStake: toNano('20') }));
        expectTx(r, { to: root.address, success: true });
        r = await proxy.sendBody(owner.getSender(), toNano('0.1'), proxyBodies.requestClose());
        expectTx(r, { from: owner.address, to: proxy.address, success: true });
        expectRootRefused(r, proxy.address, ERR.wrongSender);
        assert.equal((await proxy.getProxyData()).state, STATE.closing);
        // the stale listing stays until the root's owner removes it
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
        r = await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.unregisterProxy(1));
        expectTx(r, { to: root.address, success: true });
        assert.equal(await root.getListedCount(), 0);
    });

    it("the owner's UnregisterProxy of a self-listed entry lets the proxy list again; the count stays right", async () => {
        const send = (body) => root.sendBody(net.rootOwner.getSender(), toNano('0.1'), body);
        const k9 = keyPair(49).publicKeyInt;
        await list();                                                     // seqno 1
        let r = await send(rootBodies.registerProxy({ publicKey: k9, workersEndpoint: 'o:1', clientsEndpoint: 'o:2' }));   // seqno 2, not indexed
        expectTx(r, { to: root.address, success: true });
        assert.equal(await root.getListedCount(), 1);
        r = await send(rootBodies.unregisterProxy(2));                    // an owner entry: the index is untouched
        expectTx(r, { to: root.address, success: true });
        assert.equal(await root.getListedCount(), 1);
        r = await send(rootBodies.unregisterProxy(1));                    // the self-listed entry: its index goes too
        expectTx(r, { to: root.address, success: true });
        assert.equal(await root.getListedCount(), 0);
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: false, seqno: 0 });
        await list();                                                     // seqno 3
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 3 });
        assert.equal(await root.getListedCount(), 1);
        // the owner re-keys the self-listed entry: the proxy's index goes stale (still counted once)
        r = await send(rootBodies.updateProxy(3, { publicKey: k9, workersEndpoint: 'o:1', clientsEndpoint: 'o:2' }));
        expectTx(r, { to: root.address, success: true });
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: false, seqno: 0 });
        assert.equal(await root.getListedCount(), 1);
        await list();                                                     // seqno 4, not counted twice
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 4 });
        assert.equal(await root.getListedCount(), 1);
        assert.deepEqual((await entries()).map((e) => [e[0], e[1]]), [[3, k9], [4, kp.publicKeyInt]]);
        // delisting removes its own entry only
        await list(proxy, owner, { listed: false });
        assert.deepEqual((await entries()).map((e) => [e[0], e[1]]), [[3, k9]]);
        assert.equal(await root.getListedCount(), 0);
        // unregistering an entry whose key is indexed at another seqno leaves that index alone
        await list();                                                     // seqno 5
        r = await send(rootBodies.registerProxy({ publicKey: kp.publicKeyInt, workersEndpoint: 'm:1', clientsEndpoint: 'm:2' }));  // seqno 6
        r = await send(rootBodies.unregisterProxy(6));
        expectTx(r, { to: root.address, success: true });
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 5 });
        assert.equal(await root.getListedCount(), 1);
    });

    it('another owner\'s proxy contract for the same key can neither replace nor delist the listing', async () => {
        await list();
        const o2 = await net.blockchain.treasury('proxy-owner-2');
        // same public key, other owner: another address. Its owner holds the key too here (the TEE
        // key moved to another owner's contract), so its announces are validly signed: the root decides
        const twin = await deployProxy(net, o2, kp);
        assert.ok(!twin.address.equals(proxy.address));
        let r = await announce(twin, o2, { listed: true, workersEndpoint: '6.6.6.6:1', clientsEndpoint: '6.6.6.6:2' });
        expectRootRefused(r, twin.address, ERR.exists);
        r = await announce(twin, o2, { listed: false });
        expectTx(r, { from: twin.address, to: root.address, success: true });
        r = await twin.sendBody(o2.getSender(), toNano('0.1'), proxyBodies.requestClose());
        expectTx(r, { from: twin.address, to: root.address, success: true });
        assert.deepEqual(await entries(), [[1, kp.publicKeyInt, W1, C1]]);
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 1 });
        assert.equal(await root.getListedCount(), 1);
        // once the owner has removed the first listing, the other contract may list the key
        r = await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.unregisterProxy(1));
        expectTx(r, { to: root.address, success: true });
        r = await announce(twin, o2, { listed: false });     // closing twin: delisting an unlisted key is fine
        const o3 = await net.blockchain.treasury('proxy-owner-3');
        const third = await deployProxy(net, o3, kp);
        await list(third, o3);
        assert.deepEqual(await root.getListedProxy(kp.publicKeyInt), { found: true, seqno: 2 });
        assert.equal(await root.getListedCount(), 1);
    });

    it('conservation: announce leaves the accounted funds untouched and the coins beyond the reserve go back to the owner', async () => {
        // give the proxy an earned balance besides its stake
        const co = await net.blockchain.treasury('client-owner');
        const client = await deployClient(net, co, proxy, kp, { balance: toNano('5'), stake: 0n });
        let r = await client.sendBody(owner.getSender(), toNano('0.1'), makeSigned({
            op: OP.clientCharge, target: client.address, root: root.address, amount: 1_000_000, secretKey: kp.secretKey,
        }));
        expectTx(r, { from: client.address, to: proxy.address, success: true });
        // the root gives away what it holds above its reserve with its first excess: spend that first
        r = await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.addModelHash(1n));
        expectTx(r, { to: root.address, success: true });

        for (const [what, body] of [
            ['announce', announceFor(proxy, { listed: true, workersEndpoint: W1, clientsEndpoint: C1 })],
            ['re-announce', announceFor(proxy, { listed: true, workersEndpoint: 'x:1', clientsEndpoint: 'y:2' })],
            ['delist', announceFor(proxy, { listed: false })],
            ['first close', proxyBodies.requestClose()],
        ]) {
            const before = await proxy.getProxyData();
            const bal = { owner: await owner.getBalance(), proxy: await proxy.getBalance(), root: await root.getBalance() };
            const value = toNano('2');
            r = await proxy.sendBody(owner.getSender(), value, body);
            expectTx(r, { from: proxy.address, to: root.address, success: true, op: OP.rootProxyListing });
            const after = await proxy.getProxyData();
            assert.equal(after.stake, before.stake, what);
            assert.equal(after.balance, before.balance, what);
            assert.equal(after.clientTokens, before.clientTokens, what);
            // the proxy keeps exactly accounted + reserve, the root at most its reserve
            const proxyBal = await proxy.getBalance();
            assert.equal(proxyBal, after.stake + after.balance + STORAGE_RESERVE, what);
            assert.ok(await root.getBalance() <= STORAGE_RESERVE, what);
            // the excess reaches the owner: everything the owner lost is fees, and what the proxy and root kept
            const ex = expectTx(r, { from: root.address, to: owner.address, op: OP.excesses });
            assert.ok(ex.value > value - toNano('0.06'), `${what}: excess ${ex.value}`);
            assert.equal(r.transactions.map(flat).filter((t) => t.to?.equals(owner.address) && !t.bounced && t.from).length, 1, what);
            const ownerLoss = bal.owner - await owner.getBalance();
            const kept = (proxyBal - bal.proxy) + (await root.getBalance() - bal.root);
            assert.equal(ownerLoss, feesOf(r) + kept, what);
            assert.ok(ownerLoss < toNano('0.06'), `${what}: owner lost ${ownerLoss}`);
        }
        assert.equal((await proxy.getProxyData()).state, STATE.closing);
    });

    it(`refuses the ${MAX_SELF_LISTED + 1}th self-listed proxy with ERR_FULL`, { timeout: 120_000 }, async () => {
        // min_proxy_stake 0 here so that one message deploys and announces each proxy contract
        const n2 = await createNetwork({ params: { ...DEV_PARAMS, minProxyStake: 0n } });
        const o = await n2.blockchain.treasury('many-proxies');
        // one key pair per proxy contract (seed = i, big-endian), each contract's announces signed by its own key
        const keys = [];
        const keyOf = (i) => {
            if (!keys[i]) {
                const seed = Buffer.alloc(32);
                seed.writeUInt32BE(i, 28);
                const k = keyPairFromSeed(seed);
                keys[i] = { ...k, publicKeyInt: BigInt('0x' + k.publicKey.toString('hex')) };
            }
            return keys[i];
        };
        const open = (i) => n2.blockchain.openContract(ProxyContract.createFromConfig({
            owner: o.address, publicKey: keyOf(i).publicKeyInt, root: n2.root.address, params: n2.params,
            clientCode: n2.codes.clientCode, workerCode: n2.codes.workerCode,
        }, n2.codes.proxyCode));
        const body = (p, i, fields) => proxyBodies.announce({ target: p.address, root: n2.root.address, secretKey: keyOf(i).secretKey, ...fields });
        const deployAndList = (p, i) => p.sendDeploy(o.getSender(), toNano('0.1'),
            body(p, i, { listed: true, workersEndpoint: `10.0.${i >> 8}.${i & 255}:9001`, clientsEndpoint: `p${i}.example.org:9002` }));
        const started = Date.now();
        const proxies = [];
        for (let i = 1; i <= MAX_SELF_LISTED; i++) {
            const p = open(i);
            const r = await deployAndList(p, i);
            expectTx(r, { from: p.address, to: n2.root.address, success: true, op: OP.rootProxyListing });
            proxies.push(p);
        }
        assert.equal(await n2.root.getListedCount(), MAX_SELF_LISTED);
        const extra = open(MAX_SELF_LISTED + 1);
        let r = await deployAndList(extra, MAX_SELF_LISTED + 1);
        expectTx(r, { from: o.address, to: extra.address, success: true, deploy: true });
        expectTx(r, { from: extra.address, to: n2.root.address, op: OP.rootProxyListing, success: false, exitCode: ERR.full });
        assert.deepEqual(await n2.root.getListedProxy(keyOf(MAX_SELF_LISTED + 1).publicKeyInt), { found: false, seqno: 0 });
        assert.equal((await n2.root.getRootData()).lastProxySeqno, MAX_SELF_LISTED);
        // a listed proxy may still update its entry while the root is full
        r = await proxies[9].sendBody(o.getSender(), toNano('0.1'), body(proxies[9], 10, { listed: true, workersEndpoint: 'new:1', clientsEndpoint: 'new:2' }));
        expectTx(r, { from: proxies[9].address, to: n2.root.address, success: true });
        assert.deepEqual(await n2.root.getProxy(10), { publicKey: keyOf(10).publicKeyInt, workersEndpoint: 'new:1', clientsEndpoint: 'new:2' });
        // one delists, then the extra proxy fits
        r = await proxies[0].sendBody(o.getSender(), toNano('0.1'), body(proxies[0], 1, { listed: false }));
        expectTx(r, { from: proxies[0].address, to: n2.root.address, success: true });
        assert.equal(await n2.root.getListedCount(), MAX_SELF_LISTED - 1);
        r = await extra.sendBody(o.getSender(), toNano('0.1'), body(extra, MAX_SELF_LISTED + 1, { listed: true, workersEndpoint: 'e:1', clientsEndpoint: 'e:2' }));
        expectTx(r, { from: extra.address, to: n2.root.address, success: true });
        assert.deepEqual(await n2.root.getListedProxy(keyOf(MAX_SELF_LISTED + 1).publicKeyInt), { found: true, seqno: MAX_SELF_LISTED + 1 });
        assert.equal(await n2.root.getListedCount(), MAX_SELF_LISTED);
        assert.equal((await n2.root.getProxies()).length, MAX_SELF_LISTED);
        console.log(`${MAX_SELF_LISTED + 1} proxy contracts deployed and listed in ${Date.now() - started} ms`);
    });
});
