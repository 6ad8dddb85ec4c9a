// Measures gas per operation of the Chrysalis contracts in @ton/sandbox and
// writes ../bench/results/contracts-gas.md (run: npm run gas).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beginCell, fromNano } from '@ton/core';
import { getTolkCompilerVersion } from '@ton/tolk-js';
import {
    createNetwork, deployProxy, deployClient, deployWorker, openClient, openWorker, keyPair, toNano, flat, nextQid, DEV_PARAMS,
} from '../tests/helpers.mjs';
import { OP, makeSigned, rootBodies, proxyBodies, clientBodies, loadCodes } from '../wrappers/chrysalis.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outFile = path.join(here, '..', '..', 'bench', 'results', 'contracts-gas.md');

const rows = [];
function record(op, result, contracts) {
    // one row per transaction executed by one of our contracts
    for (const t of result.transactions.map(flat)) {
        const name = contracts.find(([, c]) => t.to?.equals(c.address))?.[0];
        if (!name) continue;
        rows.push({ op, contract: name, msg: t.bounced ? 'bounce' : (t.op === undefined ? 'empty' : '0x' + t.op.toString(16).padStart(8, '0')), gas: t.gasUsed, fees: t.totalFees, ok: t.success });
    }
}

const net = await createNetwork();
const bc = net.blockchain;
const kp = keyPair(1);
const po = await bc.treasury('proxy-owner');
const co = await bc.treasury('client-owner');
const wo = await bc.treasury('worker-owner');
const root = net.root;
const signed = (op, target, amount, extra = 0n) => makeSigned({ op, target, root: root.address, amount, extra, secretKey: kp.secretKey, queryId: nextQid() });

// deployments (measured through fresh instances so that the deploy transaction is recorded)
{
    const net2 = await createNetwork();
    // createNetwork already deployed the root; measure a second root deployment
    const { Root } = await import('../wrappers/chrysalis.mjs');
    const codes = loadCodes();
    const r2 = net2.blockchain.openContract(Root.createFromConfig({ owner: po.address, params: DEV_PARAMS, ...codes }, codes.rootCode));
    const owner2 = await net2.blockchain.treasury('x');
    const res = await r2.sendDeploy(owner2.getSender(), toNano('1'));
    record('root: deploy (empty body)', res, [['root', r2]]);
}
const C = [['root', root]];
record('root: add proxy image hash', await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.addProxyImageHash(0x1234n)), C);
record('root: add worker image hash', await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.addWorkerImageHash(0x1234n)), C);
record('root: add model hash', await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.addModelHash(0x1234n)), C);
record('root: delete model hash', await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.delModelHash(0x1234n)), C);
record('root: register proxy', await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.registerProxy({ publicKey: kp.publicKeyInt, workersEndpoint: '10.0.0.1:8001', clientsEndpoint: '10.0.0.1:8002' })), C);
record('root: update proxy', await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.updateProxy(1, { publicKey: kp.publicKeyInt, workersEndpoint: '10.0.0.2:8001', clientsEndpoint: '10.0.0.2:8002' })), C);
record('root: change params', await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.changeParams(DEV_PARAMS)), C);
record('root: set codes', await root.sendBody(net.rootOwner.getSender(), toNano('0.1'), rootBodies.setCodes(net.codes)), C);
record('root: refused (not the owner)', await root.sendBody(po.getSender(), toNano('0.1'), rootBodies.addModelHash(1n)), C);

// self-listing, on a fresh network (the root above has moved on to other params)
{
    const net3 = await createNetwork();
    const po3 = await net3.blockchain.treasury('proxy-owner');
    const p3 = await deployProxy(net3, po3, kp);
    const L = [['proxy', p3], ['root', net3.root]];
    const announce = (fields) => p3.sendBody(po3.getSender(), toNano('0.1'),
        proxyBodies.announce({ target: p3.address, root: net3.root.address, secretKey: kp.secretKey, ...fields }, nextQid()));
    record('proxy: announce (signed) -> root (new self-listing)', await announce({ listed: true, workersEndpoint: '10.0.0.1:9001', clientsEndpoint: 'proxy.example.org:9002' }), L);
    record('proxy: announce (signed) -> root (same seqno, new endpoints)', await announce({ listed: true, workersEndpoint: '10.0.0.2:9001', clientsEndpoint: 'proxy.example.org:9002' }), L);
    record('proxy: announce refused (signed by another key)', await announce({ listed: true, workersEndpoint: 'a:1', clientsEndpoint: 'b:2', secretKey: keyPair(2).secretKey }), L);
    record('proxy: request close -> root (delists)', await p3.sendBody(po3.getSender(), toNano('0.1'), proxyBodies.requestClose()), L);
    record('root: refused listing (not the derived proxy contract)', await net3.root.sendBody(po3.getSender(), toNano('0.1'),
        rootBodies.proxyListing({ owner: po3.address, publicKey: kp.publicKeyInt, listed: true, excessTo: po3.address, workersEndpoint: 'a:1', clientsEndpoint: 'b:2' })), L);
}

// the rest runs against params v1 (the fixture's), as created above
const { ProxyContract } = await import('../wrappers/chrysalis.mjs');
const proxy = bc.openContract(ProxyContract.createFromConfig({
    owner: po.address, publicKey: kp.publicKeyInt, root: root.address, params: DEV_PARAMS, clientCode: net.codes.clientCode, workerCode: net.codes.workerCode,
}, net.codes.proxyCode));
const client = openClient(net, co, proxy, kp);
const worker = openWorker(net, wo, proxy, kp);
const all = [['proxy', proxy], ['client', client], ['worker', worker]];

record('proxy: deploy + add stake', await proxy.sendDeploy(po.getSender(), toNano('10.2'), proxyBodies.addStake(toNano('10'))), all);
record('proxy: add stake', await proxy.sendBody(po.getSender(), toNano('1.1'), proxyBodies.addStake(toNano('1'))), all);
record('proxy: save state (signed)', await proxy.sendBody(po.getSender(), toNano('0.05'), signed(OP.proxySaveState, proxy.address, 1, 0xabcdefn)), all);
record('client: deploy + top up', await client.sendDeploy(co.getSender(), toNano('5.1'), clientBodies.topUp(toNano('5'))), all);
record('client: top up', await client.sendBody(co.getSender(), toNano('1.1'), clientBodies.topUp(toNano('1'))), all);
record('client: increase stake', await client.sendBody(co.getSender(), toNano('1.1'), clientBodies.increaseStake(toNano('1'))), all);
record('client: change secret', await client.sendBody(co.getSender(), toNano('0.05'), clientBodies.changeSecret(0x55n)), all);
record('client: withdraw', await client.sendBody(co.getSender(), toNano('0.1'), clientBodies.withdraw(toNano('0.5'))), all);
record('client: signed charge -> proxy', await client.sendBody(po.getSender(), toNano('0.1'), signed(OP.clientCharge, client.address, 1_000_000)), all);
record('client: refused charge (bad signature)', await client.sendBody(po.getSender(), toNano('0.1'), makeSigned({ op: OP.clientCharge, target: client.address, root: root.address, amount: 2_000_000, secretKey: keyPair(2).secretKey })), all);
record('worker: deploy (empty body)', await worker.sendDeploy(wo.getSender(), toNano('0.1')), all);
record('worker: signed payout -> proxy -> owner', await worker.sendBody(wo.getSender(), toNano('0.1'), signed(OP.workerPayout, worker.address, 500_000)), all);
record('worker: payout beyond proxy funds (bounced, restored)', await worker.sendBody(wo.getSender(), toNano('0.1'), signed(OP.workerPayout, worker.address, 100_000_000)), all);
record('proxy: withdraw commission', await proxy.sendBody(po.getSender(), toNano('0.1'), proxyBodies.withdraw(toNano('0.5'))), all);
record('client: request close', await client.sendBody(co.getSender(), toNano('0.1'), clientBodies.requestClose()), all);
bc.now += DEV_PARAMS.clientDelayBeforeClose;
record('client: close after delay (refund to owner)', await client.sendBody(co.getSender(), toNano('0.1'), clientBodies.requestClose()), all);
const co2 = await bc.treasury('client-owner-2');
const client2 = await deployClient(net, co2, proxy, kp);
all.push(['client', client2]);
record('client: signed final refund -> proxy', await client2.sendBody(po.getSender(), toNano('0.1'), signed(OP.clientRefund, client2.address, 10_000)), all);
record('proxy: request close', await proxy.sendBody(po.getSender(), toNano('0.1'), proxyBodies.requestClose()), all);
bc.now += DEV_PARAMS.proxyDelayBeforeClose;
record('proxy: close after delay', await proxy.sendBody(po.getSender(), toNano('0.1'), proxyBodies.requestClose()), all);
const co3 = await bc.treasury('client-owner-3');
const client3 = openClient(net, co3, proxy, kp);
await client3.sendDeploy(co3.getSender(), toNano('2.1'), clientBodies.topUp(toNano('2')));
all.push(['client', client3]);
record('client: charge refused by closed proxy (bounced, restored)', await client3.sendBody(po.getSender(), toNano('0.1'), signed(OP.clientCharge, client3.address, 1000)), all);

// code sizes
const sizes = [];
for (const [name, cell] of Object.entries(loadCodes())) {
    const seen = new Set();
    let bits = 0, cells = 0;
    const walk = (c) => { const h = c.hash().toString('hex'); if (seen.has(h)) return; seen.add(h); cells++; bits += c.bits.length; c.refs.forEach(walk); };
    walk(cell);
    sizes.push(`| ${name.replace('Code', '')} | ${cells} | ${bits} | \`${cell.hash().toString('hex')}\` |`);
}

const tolk = await getTolkCompilerVersion();
const lines = [
    '# Chrysalis contracts: gas per operation',
    '',
    `Generated by \`cd contracts && npm run gas\` (scripts/gas.mjs) with @ton/sandbox, Tolk ${tolk}.`,
    'One row per transaction executed by one of our contracts; "gas" is the compute-phase gas used,',
    '"fees" the transaction\'s total fees (compute + storage + action/forwarding share) at the sandbox\'s',
    'basechain prices. Operations that chain through several contracts have one row per hop.',
    '',
    '| operation | contract | message | ok | gas | fees (TON) |',
    '| --- | --- | --- | --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.op} | ${r.contract} | ${r.msg} | ${r.ok ? 'yes' : 'refused'} | ${r.gas} | ${fromNano(r.fees)} |`),
    '',
    '## Code size',
    '',
    '| contract | cells | bits | code hash |',
    '| --- | ---: | ---: | --- |',
    ...sizes,
    '',
];
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, lines.join('\n'));
console.log(lines.join('\n'));
