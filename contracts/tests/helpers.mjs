// Shared fixtures for the contract tests: a sandbox chain with a root contract,
// proxy contracts, client and worker contracts, plus transaction finders.
import assert from 'node:assert/strict';
import { Blockchain } from '@ton/sandbox';
import { toNano, beginCell } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import {
    Root, ProxyContract, ClientContract, WorkerContract, loadCodes, paramsCell,
    clientBodies, proxyBodies, workerBodies, rootBodies,
} from '../wrappers/chrysalis.mjs';

export const T0 = 1_750_000_000;

export const DEV_PARAMS = {
    paramsVersion: 1,
    pricePerToken: 2000n,          // nanoTON per adjusted token, paid by clients
    workerFeePerToken: 1000n,      // nanoTON per adjusted token, earned by workers
    promptMult: 10000,
    cachedMult: 1000,
    completionMult: 10000,
    reasoningMult: 10000,
    proxyDelayBeforeClose: 7200,
    clientDelayBeforeClose: 3600,
    minProxyStake: toNano('10'),
    minClientStake: toNano('1'),
};

export function keyPair(n) {
    const kp = keyPairFromSeed(Buffer.alloc(32, n));
    return { ...kp, publicKeyInt: BigInt('0x' + kp.publicKey.toString('hex')) };
}

export function pubInt(kp) {
    return BigInt('0x' + kp.publicKey.toString('hex'));
}

let qid = 1n;
export const nextQid = () => qid++;

/** A fresh chain with the root deployed. */
export async function createNetwork({ params = DEV_PARAMS } = {}) {
    const blockchain = await Blockchain.create();
    blockchain.now = T0;
    const codes = loadCodes();
    const rootOwner = await blockchain.treasury('root-owner');
    const root = blockchain.openContract(Root.createFromConfig({
        owner: rootOwner.address, params, proxyCode: codes.proxyCode, clientCode: codes.clientCode, workerCode: codes.workerCode,
    }, codes.rootCode));
    const r = await root.sendDeploy(rootOwner.getSender(), toNano('1'));
    expectTx(r, { from: rootOwner.address, to: root.address, success: true, deploy: true });
    return { blockchain, codes, rootOwner, root, params };
}

/** Deploys a proxy contract for `owner` (a treasury) with key pair `kp` and stakes `stake`. */
export async function deployProxy(net, owner, kp, stake = net.params.minProxyStake) {
    const proxy = net.blockchain.openContract(ProxyContract.createFromConfig({
        owner: owner.address, publicKey: pubInt(kp), root: net.root.address, params: net.params,
        clientCode: net.codes.clientCode, workerCode: net.codes.workerCode,
    }, net.codes.proxyCode));
    const r = await proxy.sendDeploy(owner.getSender(), stake + toNano('0.2'), proxyBodies.addStake(stake, nextQid()));
    expectTx(r, { from: owner.address, to: proxy.address, success: true, deploy: true });
    return proxy;
}

export function openClient(net, owner, proxy, kp) {
    return net.blockchain.openContract(ClientContract.createFromConfig({
        owner: owner.address, proxy: proxy.address, root: net.root.address, proxyPublicKey: pubInt(kp), params: net.params,
    }, net.codes.clientCode));
}

export function openWorker(net, owner, proxy, kp) {
    return net.blockchain.openContract(WorkerContract.createFromConfig({
        owner: owner.address, proxy: proxy.address, root: net.root.address, proxyPublicKey: pubInt(kp), params: net.params,
    }, net.codes.workerCode));
}

/** Deploys a client contract with a top-up of `balance` then a stake of `stake`. */
export async function deployClient(net, owner, proxy, kp, { balance = toNano('5'), stake = net.params.minClientStake } = {}) {
    const client = openClient(net, owner, proxy, kp);
    let r = await client.sendDeploy(owner.getSender(), balance + toNano('0.1'), clientBodies.topUp(balance, nextQid()));
    expectTx(r, { from: owner.address, to: client.address, success: true, deploy: true });
    if (stake > 0n) {
        r = await client.sendBody(owner.getSender(), stake + toNano('0.05'), clientBodies.increaseStake(stake, nextQid()));
        expectTx(r, { from: owner.address, to: client.address, success: true });
    }
    return client;
}

/** Deploys a worker contract (empty body, it only needs gas money). */
export async function deployWorker(net, owner, proxy, kp) {
    const worker = openWorker(net, owner, proxy, kp);
    const r = await worker.sendDeploy(owner.getSender(), toNano('0.1'));
    expectTx(r, { from: owner.address, to: worker.address, success: true, deploy: true });
    return worker;
}

// ------------------------------------------------------------------ transactions
export function flat(tx) {
    const info = tx.inMessage?.info;
    const d = tx.description;
    const compute = d.computePhase;
    const body = tx.inMessage?.body;
    let op;
    try {
        const s = body.beginParse();
        if (s.remainingBits >= 32) op = s.loadUint(32);
    } catch { /* no body */ }
    return {
        from: info?.src,
        to: info?.dest,
        value: info?.type === 'internal' ? info.value.coins : undefined,
        bounced: info?.type === 'internal' ? info.bounced : false,
        op,
        success: compute?.type === 'vm' ? compute.success && d.actionPhase?.success !== false && !d.aborted : !d.aborted,
        exitCode: compute?.type === 'vm' ? compute.exitCode : undefined,
        gasUsed: compute?.type === 'vm' ? compute.gasUsed : 0n,
        aborted: d.aborted,
        deploy: tx.oldStatus !== 'active' && tx.endStatus === 'active',
        totalFees: tx.totalFees.coins,
        outMessagesCount: tx.outMessagesCount,
    };
}

function matches(f, pattern) {
    for (const [k, v] of Object.entries(pattern)) {
        if (v === undefined) continue;
        if (k === 'from' || k === 'to') {
            if (!f[k] || !f[k].equals || !f[k].equals(v)) return false;
        } else if (f[k] !== v) {
            return false;
        }
    }
    return true;
}

export function findTx(result, pattern) {
    return result.transactions.map(flat).find((f) => matches(f, pattern));
}

export function expectTx(result, pattern) {
    const f = findTx(result, pattern);
    if (!f) {
        const all = result.transactions.map(flat).map((x) => ({
            from: x.from?.toString(), to: x.to?.toString(), op: x.op?.toString(16), success: x.success, exitCode: x.exitCode, bounced: x.bounced, aborted: x.aborted, deploy: x.deploy,
        }));
        const want = Object.fromEntries(Object.entries(pattern).map(([k, v]) => [k, v?.toString?.() ?? v]));
        assert.fail(`no transaction matching ${JSON.stringify(want, (k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n` +
            `got: ${JSON.stringify(all, null, 1)}`);
    }
    return f;
}

/** Asserts the message into `to` failed with `exitCode` and that it bounced back to `from`. */
export function expectRefused(result, { from, to, exitCode }) {
    expectTx(result, { from, to, success: false, exitCode, aborted: true });
    // the bounce goes back to the sender
    expectTx(result, { from: to, to: from, bounced: true });
}

/** All transactions succeeded except those listed. */
export function expectAllOk(result) {
    for (const t of result.transactions.map(flat)) {
        assert.ok(t.success, `transaction ${t.from?.toString()} -> ${t.to?.toString()} op ${t.op?.toString(16)} failed: exit ${t.exitCode}`);
    }
}

export { toNano, beginCell, paramsCell, clientBodies, proxyBodies, workerBodies, rootBodies };
