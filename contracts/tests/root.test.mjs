// Root contract: deployment, every owner operation, every refusal, every get-method.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { contractAddress, beginCell } from '@ton/core';
import {
    createNetwork, DEV_PARAMS, keyPair, toNano, expectTx, expectRefused, findTx, rootBodies, nextQid,
} from './helpers.mjs';
import { ERR, OP, PARAM_FIELDS, proxyInitData, clientInitData, workerInitData, paramsCell, Root } from '../wrappers/chrysalis.mjs';

const H1 = 0x1111111111111111111111111111111111111111111111111111111111111111n;
const H2 = 0x2222222222222222222222222222222222222222222222222222222222222222n;

describe('root contract', () => {
    let net, owner, root, stranger;
    beforeEach(async () => {
        net = await createNetwork();
        owner = net.rootOwner;
        root = net.root;
        stranger = await net.blockchain.treasury('stranger');
    });

    const send = (from, body, value = toNano('0.1')) => root.sendBody(from.getSender(), value, body);

    it('returns every field after deployment', async () => {
        const d = await root.getRootData();
        assert.ok(d.owner.equals(owner.address));
        assert.equal(d.version, 0);
        assert.equal(d.lastProxySeqno, 0);
        assert.equal(d.paramsVersion, DEV_PARAMS.paramsVersion);
        const p = await root.getParams();
        for (const f of PARAM_FIELDS) assert.equal(BigInt(p[f]), BigInt(DEV_PARAMS[f]), f);
        assert.equal((await root.getParamsCell()).hash().toString('hex'), paramsCell(DEV_PARAMS).hash().toString('hex'));
        const codes = await root.getCodes();
        assert.ok(codes.proxyCode.equals(net.codes.proxyCode));
        assert.ok(codes.clientCode.equals(net.codes.clientCode));
        assert.ok(codes.workerCode.equals(net.codes.workerCode));
        assert.deepEqual(await root.getProxyImageHashes(), []);
        assert.deepEqual(await root.getWorkerImageHashes(), []);
        assert.deepEqual(await root.getModelHashes(), []);
        assert.deepEqual(await root.getProxies(), []);
        assert.equal(await root.getProxy(1), null);
        assert.equal(await root.getVersion(), 0);
    });

    for (const [kind, add, del, list, allowed] of [
        ['proxy image', 'addProxyImageHash', 'delProxyImageHash', 'getProxyImageHashes', 'isProxyImageAllowed'],
        ['worker image', 'addWorkerImageHash', 'delWorkerImageHash', 'getWorkerImageHashes', 'isWorkerImageAllowed'],
        ['model', 'addModelHash', 'delModelHash', 'getModelHashes', 'isModelAllowed'],
    ]) {
        it(`adds and removes ${kind} hashes, raising the version`, async () => {
            let r = await send(owner, rootBodies[add](H1, 5n));
            expectTx(r, { from: owner.address, to: root.address, success: true, op: OP[add] });
            // excess gas comes back as an excesses message
            const ex = expectTx(r, { from: root.address, to: owner.address, op: OP.excesses });
            assert.ok(ex.value > toNano('0.09'));
            r = await send(owner, rootBodies[add](H2));
            expectTx(r, { to: root.address, success: true });
            assert.deepEqual(await root[list](), [H1, H2]);
            assert.equal(await root[allowed](H1), true);
            assert.equal(await root.getVersion(), 2);
            // refusals: duplicate add, delete of a missing hash, stranger
            r = await send(owner, rootBodies[add](H1));
            expectRefused(r, { from: owner.address, to: root.address, exitCode: ERR.exists });
            r = await send(owner, rootBodies[del](0x33n));
            expectRefused(r, { from: owner.address, to: root.address, exitCode: ERR.notFound });
            r = await send(stranger, rootBodies[add](0x44n));
            expectRefused(r, { from: stranger.address, to: root.address, exitCode: ERR.wrongSender });
            r = await send(stranger, rootBodies[del](H1));
            expectRefused(r, { from: stranger.address, to: root.address, exitCode: ERR.wrongSender });
            assert.equal(await root.getVersion(), 2);
            r = await send(owner, rootBodies[del](H1));
            expectTx(r, { to: root.address, success: true });
            assert.deepEqual(await root[list](), [H2]);
            assert.equal(await root[allowed](H1), false);
            assert.equal(await root.getVersion(), 3);
        });
    }

    it('registers, updates and unregisters proxies', async () => {
        const k1 = keyPair(1).publicKeyInt, k2 = keyPair(2).publicKeyInt, k3 = keyPair(3).publicKeyInt;
        let r = await send(owner, rootBodies.registerProxy({ publicKey: k1, workersEndpoint: '10.0.0.1:8001', clientsEndpoint: '10.0.0.1:8002' }));
        expectTx(r, { to: root.address, success: true });
        r = await send(owner, rootBodies.registerProxy({ publicKey: k2, workersEndpoint: 'proxy-b.example:9001', clientsEndpoint: 'proxy-b.example:9002' }));
        expectTx(r, { to: root.address, success: true });
        assert.equal((await root.getRootData()).lastProxySeqno, 2);
        assert.deepEqual(await root.getProxy(1), { publicKey: k1, workersEndpoint: '10.0.0.1:8001', clientsEndpoint: '10.0.0.1:8002' });
        assert.deepEqual((await root.getProxies()).map((p) => [p.seqno, p.publicKey]), [[1, k1], [2, k2]]);

        r = await send(owner, rootBodies.updateProxy(1, { publicKey: k3, workersEndpoint: '10.0.0.9:1', clientsEndpoint: '10.0.0.9:2' }));
        expectTx(r, { to: root.address, success: true });
        assert.deepEqual(await root.getProxy(1), { publicKey: k3, workersEndpoint: '10.0.0.9:1', clientsEndpoint: '10.0.0.9:2' });

        r = await send(owner, rootBodies.updateProxy(7, { publicKey: k3, workersEndpoint: 'a', clientsEndpoint: 'b' }));
        expectRefused(r, { from: owner.address, to: root.address, exitCode: ERR.notFound });
        r = await send(owner, rootBodies.unregisterProxy(7));
        expectRefused(r, { from: owner.address, to: root.address, exitCode: ERR.notFound });
        for (const body of [
            rootBodies.registerProxy({ publicKey: k1, workersEndpoint: 'x', clientsEndpoint: 'y' }),
            rootBodies.updateProxy(1, { publicKey: k1, workersEndpoint: 'x', clientsEndpoint: 'y' }),
            rootBodies.unregisterProxy(1),
        ]) {
            r = await send(stranger, body);
            expectRefused(r, { from: stranger.address, to: root.address, exitCode: ERR.wrongSender });
        }

        r = await send(owner, rootBodies.unregisterProxy(1));
        expectTx(r, { to: root.address, success: true });
        assert.equal(await root.getProxy(1), null);
        assert.deepEqual((await root.getProxies()).map((p) => p.seqno), [2]);
        // seqnos are never reused
        r = await send(owner, rootBodies.registerProxy({ publicKey: k1, workersEndpoint: 'c:1', clientsEndpoint: 'c:2' }));
        expectTx(r, { to: root.address, success: true });
        assert.deepEqual((await root.getProxies()).map((p) => p.seqno), [2, 3]);
        assert.equal(await root.getVersion(), 5);
    });

    it('changes params: paramsVersion rises, invalid params are refused', async () => {
        const np = { ...DEV_PARAMS, paramsVersion: 999, pricePerToken: 5000n, workerFeePerToken: 4000n, promptMult: 12000, cachedMult: 2500,
            completionMult: 15000, reasoningMult: 20000, proxyDelayBeforeClose: 100000, clientDelayBeforeClose: 50000,
            minProxyStake: toNano('100'), minClientStake: toNano('3') };
        let r = await send(owner, rootBodies.changeParams(np));
        expectTx(r, { to: root.address, success: true });
        const p = await root.getParams();
        for (const f of PARAM_FIELDS) {
            if (f === 'paramsVersion') continue;
            assert.equal(BigInt(p[f]), BigInt(np[f]), f);
        }
        assert.equal(p.paramsVersion, DEV_PARAMS.paramsVersion + 1);   // the root numbers versions itself
        assert.equal(await root.getVersion(), 1);

        r = await send(owner, rootBodies.changeParams({ ...np, workerFeePerToken: 5001n }));
        expectRefused(r, { from: owner.address, to: root.address, exitCode: ERR.badParams });
        r = await send(owner, rootBodies.changeParams({ ...np, clientDelayBeforeClose: 100001 }));
        expectRefused(r, { from: owner.address, to: root.address, exitCode: ERR.badParams });
        r = await send(stranger, rootBodies.changeParams(np));
        expectRefused(r, { from: stranger.address, to: root.address, exitCode: ERR.wrongSender });
        assert.equal((await root.getParams()).paramsVersion, DEV_PARAMS.paramsVersion + 1);
        assert.equal(await root.getVersion(), 1);
    });

    it('replaces child codes, raising paramsVersion', async () => {
        const swapped = { proxyCode: net.codes.workerCode, clientCode: net.codes.proxyCode, workerCode: net.codes.clientCode };
        let r = await send(stranger, rootBodies.setCodes(swapped));
        expectRefused(r, { from: stranger.address, to: root.address, exitCode: ERR.wrongSender });
        r = await send(owner, rootBodies.setCodes(swapped));
        expectTx(r, { to: root.address, success: true });
        const c = await root.getCodes();
        assert.ok(c.proxyCode.equals(net.codes.workerCode));
        assert.ok(c.clientCode.equals(net.codes.proxyCode));
        assert.ok(c.workerCode.equals(net.codes.clientCode));
        assert.equal((await root.getRootData()).paramsVersion, DEV_PARAMS.paramsVersion + 1);
        assert.equal(await root.getVersion(), 1);
    });

    it('hands over ownership', async () => {
        let r = await send(stranger, rootBodies.changeOwner(stranger.address));
        expectRefused(r, { from: stranger.address, to: root.address, exitCode: ERR.wrongSender });
        r = await send(owner, rootBodies.changeOwner(stranger.address));
        expectTx(r, { to: root.address, success: true });
        assert.ok((await root.getRootData()).owner.equals(stranger.address));
        r = await send(owner, rootBodies.addModelHash(H1));
        expectRefused(r, { from: owner.address, to: root.address, exitCode: ERR.wrongSender });
        r = await send(stranger, rootBodies.addModelHash(H1));
        expectTx(r, { to: root.address, success: true });
        assert.equal(await root.getVersion(), 2);
    });

    it('upgrades its own code (owner only)', async () => {
        let r = await send(stranger, rootBodies.upgradeRoot(net.codes.rootCode));
        expectRefused(r, { from: stranger.address, to: root.address, exitCode: ERR.wrongSender });
        r = await send(owner, rootBodies.upgradeRoot(net.codes.rootCode));
        expectTx(r, { to: root.address, success: true });
        assert.equal(await root.getVersion(), 1);
    });

    it('bounces unknown operations and accepts plain transfers', async () => {
        let r = await root.sendBody(owner.getSender(), toNano('0.1'), beginCell().storeUint(0xdeadbeef, 32).storeUint(0, 64).endCell());
        expectRefused(r, { from: owner.address, to: root.address, exitCode: ERR.unknownOp });
        r = await root.sendBody(stranger.getSender(), toNano('0.1'), beginCell().endCell());
        expectTx(r, { from: stranger.address, to: root.address, success: true });
        assert.equal(await root.getVersion(), 0);
    });

    it('derives child contract addresses exactly as the wrappers do', async () => {
        const kp = keyPair(9);
        const po = await net.blockchain.treasury('po');
        const pc = net.codes;
        const proxyAddr = contractAddress(0, { code: pc.proxyCode, data: proxyInitData({ owner: po.address, publicKey: kp.publicKeyInt, root: root.address, params: DEV_PARAMS, clientCode: pc.clientCode, workerCode: pc.workerCode }) });
        assert.ok((await root.getProxyContractAddress(po.address, kp.publicKeyInt)).equals(proxyAddr));
        const co = await net.blockchain.treasury('co');
        const cfg = { owner: co.address, proxy: proxyAddr, root: root.address, proxyPublicKey: kp.publicKeyInt, params: DEV_PARAMS };
        assert.ok((await root.getClientContractAddress(co.address, proxyAddr, kp.publicKeyInt)).equals(contractAddress(0, { code: pc.clientCode, data: clientInitData(cfg) })));
        assert.ok((await root.getWorkerContractAddress(co.address, proxyAddr, kp.publicKeyInt)).equals(contractAddress(0, { code: pc.workerCode, data: workerInitData(cfg) })));
    });
});
