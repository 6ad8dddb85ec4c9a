// Message builders, storage builders and get-method readers for the Chrysalis
// contracts. Plain ESM on @ton/core, usable by the tests, the devnet and any
// Node tool; contracts/README.md documents the same layouts in prose.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Address, beginCell, Cell, contractAddress, Dictionary, SendMode } from '@ton/core';
import { sign } from '@ton/crypto';
import { PARAM_FIELDS, loadParams, storeParams } from '../lib/params_cell.mjs';


const here = path.dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = path.join(here, '..', 'build');

export const OP = {
    // common outgoing
    excesses: 0x2565934c,
    payout: 0xc59a7cd3,
    // root (owner only)
    addProxyImageHash: 0x71860e80,
    delProxyImageHash: 0x3c41d0b2,
    addWorkerImageHash: 0xe34b1c60,
    delWorkerImageHash: 0x8d94a79a,
    addModelHash: 0x5d1a8f01,
    delModelHash: 0x5d1a8f02,
    registerProxy: 0x927c7cb5,
    unregisterProxy: 0x6d49eaf2,
    updateProxy: 0x9c7924ba,
    changeParams: 0xc52ed8d4,
    setCodes: 0xa2370f61,
    changeOwner: 0x5d1a8f03,
    upgradeRoot: 0x11aefd51,
    // root (from the derived proxy contract only)
    rootProxyListing: 0x3e1f5a02,
    // proxy contract
    clientChargeNotify: 0x65448ff4,
    workerPayoutRequest: 0x4d725d2c,
    proxySaveState: 0x53109c0f,
    proxyAddStake: 0x9713f187,
    proxyWithdraw: 0x7610e6eb,
    proxyRequestClose: 0xb51d5a01,
    proxyAnnounce: 0x3e1f5a01,
    // client contract
    clientTopUp: 0xf172e6c2,
    clientIncreaseStake: 0x6a1f6a60,
    clientWithdraw: 0xda068e78,
    clientChangeSecret: 0xa9357034,
    clientRequestClose: 0xfafa6cc1,
    clientCharge: 0xbb63ff93,
    clientRefund: 0xefd711e1,
    // worker contract
    workerPayout: 0xa040ad28,
};

export const ERR = {
    wrongSender: 101,
    badSignature: 102,
    wrongTarget: 103,
    wrongRoot: 104,
    wrongOp: 105,
    notIncreasing: 106,
    aboveBalance: 107,
    belowStake: 108,
    earlyClose: 109,
    wrongState: 110,
    lowValue: 111,
    badParams: 112,
    notFound: 113,
    exists: 114,
    belowObligations: 115,
    full: 116,
    badEndpoint: 117,
    badListing: 118,
    unknownOp: 0xffff,
};

export const STATE = { active: 0, closing: 1, closed: 2 };

export const MAX_SELF_LISTED = 256;     // self-listed proxies the root holds at most
export const MAX_ENDPOINT_BITS = 1016;  // an announced endpoint: one cell, no refs, at most 127 bytes

export const STORAGE_RESERVE = 50_000_000n; // 0.05 TON kept above accounted funds
export const MIN_CHAIN_VALUE = 50_000_000n;
export const MIN_GAS_VALUE = 10_000_000n;

// ------------------------------------------------------------------ code
export function loadCode(name) {
    const file = path.join(BUILD_DIR, `${name}.json`);
    if (!fs.existsSync(file)) throw new Error(`${file} missing: run "npm run build" in contracts/`);
    const json = JSON.parse(fs.readFileSync(file, 'utf-8'));
    return Cell.fromBoc(Buffer.from(json.codeBoc64, 'base64'))[0];
}

export function loadCodes() {
    return { proxyCode: loadCode('proxy'), clientCode: loadCode('client'), workerCode: loadCode('worker'), rootCode: loadCode('root') };
}

// ------------------------------------------------------------------ params
export { PARAM_FIELDS };

export function paramsCell(p) {
    return beginCell().store(storeParams(p)).endCell();
}

export function parseParamsCell(cell) {
    return loadParams(cell.beginParse());
}

function readParams(stack) {
    const out = {};
    for (const f of PARAM_FIELDS) out[f] = stack.readBigNumber();
    for (const f of ['paramsVersion', 'promptMult', 'cachedMult', 'completionMult', 'reasoningMult', 'proxyDelayBeforeClose', 'clientDelayBeforeClose']) {
        out[f] = Number(out[f]);
    }
    return out;
}

// ------------------------------------------------------------------ signed payloads
/** The cell the proxy key signs: op u32 | target addr | root addr | amount u64 | extra u256. */
export function signedPayloadCell({ op, target, root, amount, extra = 0n }) {
    return beginCell()
        .storeUint(op, 32)
        .storeAddress(target)
        .storeAddress(root)
        .storeUint(BigInt(amount), 64)
        .storeUint(BigInt(extra), 256)
        .endCell();
}

/** Ed25519 signature (64 bytes) over the payload cell's representation hash. */
export function signPayload(payload, secretKey) {
    return sign(payload.hash(), secretKey);
}

/** Outer body of a signed message: op u32 | query_id u64 | signature 512 bits | ^payload. */
export function signedBody(op, queryId, signature, payload) {
    return beginCell().storeUint(op, 32).storeUint(BigInt(queryId), 64).storeBuffer(signature, 64).storeRef(payload).endCell();
}

/** ProxyAnnounce body from its parts: op u32 | query_id u64 | signature 512 bits | ^payload | ^endpoints. */
export function announceBody(queryId, signature, payload, endpoints) {
    return beginCell().storeUint(OP.proxyAnnounce, 32).storeUint(BigInt(queryId), 64).storeBuffer(signature, 64)
        .storeRef(payload).storeRef(endpoints).endCell();
}

/** Builds and signs in one step. */
export function makeSigned({ op, target, root, amount, extra = 0n, queryId = 0n, secretKey, signatureOverride }) {
    const payload = signedPayloadCell({ op, target, root, amount, extra });
    const signature = signatureOverride ?? signPayload(payload, secretKey);
    return signedBody(op, queryId, signature, payload);
}

// ------------------------------------------------------------------ simple bodies
export function opAmountBody(op, queryId, amount) {
    return beginCell().storeUint(op, 32).storeUint(BigInt(queryId), 64).storeCoins(BigInt(amount)).endCell();
}

export function opBody(op, queryId = 0n) {
    return beginCell().storeUint(op, 32).storeUint(BigInt(queryId), 64).endCell();
}

export function hashBody(op, queryId, hash) {
    return beginCell().storeUint(op, 32).storeUint(BigInt(queryId), 64).storeUint(BigInt(hash), 256).endCell();
}

function stringCell(s) {
    return beginCell().storeStringTail(s).endCell();
}

/** What a ProxyAnnounce carries and signs (through its hash): a cell with no data bits and
 *  exactly two refs, ^workers_endpoint ^clients_endpoint (snake strings). */
export function endpointsCell(workersEndpoint = '', clientsEndpoint = '') {
    return beginCell().storeRef(stringCell(workersEndpoint)).storeRef(stringCell(clientsEndpoint)).endCell();
}

/** A cell's representation hash as a uint256 (the payload `extra` of an announce). */
export function cellHashInt(cell) {
    return BigInt('0x' + cell.hash().toString('hex'));
}

export function storeProxyEntry(b, { publicKey, workersEndpoint, clientsEndpoint }) {
    return b.storeUint(BigInt(publicKey), 256).storeRef(stringCell(workersEndpoint)).storeRef(stringCell(clientsEndpoint));
}

export const rootBodies = {
    addProxyImageHash: (hash, queryId = 0n) => hashBody(OP.addProxyImageHash, queryId, hash),
    delProxyImageHash: (hash, queryId = 0n) => hashBody(OP.delProxyImageHash, queryId, hash),
    addWorkerImageHash: (hash, queryId = 0n) => hashBody(OP.addWorkerImageHash, queryId, hash),
    delWorkerImageHash: (hash, queryId = 0n) => hashBody(OP.delWorkerImageHash, queryId, hash),
    addModelHash: (hash, queryId = 0n) => hashBody(OP.addModelHash, queryId, hash),
    delModelHash: (hash, queryId = 0n) => hashBody(OP.delModelHash, queryId, hash),
    registerProxy: (entry, queryId = 0n) =>
        storeProxyEntry(beginCell().storeUint(OP.registerProxy, 32).storeUint(BigInt(queryId), 64), entry).endCell(),
    unregisterProxy: (seqno, queryId = 0n) =>
        beginCell().storeUint(OP.unregisterProxy, 32).storeUint(BigInt(queryId), 64).storeUint(seqno, 32).endCell(),
    updateProxy: (seqno, entry, queryId = 0n) =>
        storeProxyEntry(beginCell().storeUint(OP.updateProxy, 32).storeUint(BigInt(queryId), 64).storeUint(seqno, 32), entry).endCell(),
    changeParams: (params, queryId = 0n) =>
        beginCell().storeUint(OP.changeParams, 32).storeUint(BigInt(queryId), 64).storeRef(paramsCell(params)).endCell(),
    setCodes: ({ proxyCode, clientCode, workerCode }, queryId = 0n) =>
        beginCell().storeUint(OP.setCodes, 32).storeUint(BigInt(queryId), 64)
            .storeRef(beginCell().storeRef(proxyCode).storeRef(clientCode).storeRef(workerCode).endCell()).endCell(),
    changeOwner: (newOwner, queryId = 0n) =>
        beginCell().storeUint(OP.changeOwner, 32).storeUint(BigInt(queryId), 64).storeAddress(newOwner).endCell(),
    upgradeRoot: (code, queryId = 0n) =>
        beginCell().storeUint(OP.upgradeRoot, 32).storeUint(BigInt(queryId), 64).storeRef(code).endCell(),
    /** Sent by a proxy contract (the root refuses it from any other address):
     *  op u32 | query_id u64 | owner addr | public_key u256 | listed bit | excess_to addr | ^workers_endpoint | ^clients_endpoint */
    proxyListing: ({ owner, publicKey, listed, excessTo, workersEndpoint = '', clientsEndpoint = '' }, queryId = 0n) =>
        beginCell().storeUint(OP.rootProxyListing, 32).storeUint(BigInt(queryId), 64)
            .storeAddress(owner).storeUint(BigInt(publicKey), 256).storeBit(!!listed).storeAddress(excessTo)
            .storeRef(stringCell(workersEndpoint)).storeRef(stringCell(clientsEndpoint)).endCell(),
};

export const proxyBodies = {
    addStake: (amount, queryId = 0n) => opAmountBody(OP.proxyAddStake, queryId, amount),
    withdraw: (amount, queryId = 0n) => opAmountBody(OP.proxyWithdraw, queryId, amount),
    requestClose: (queryId = 0n) => opBody(OP.proxyRequestClose, queryId),
    /** Owner only, signed by the proxy key:
     *  op u32 | query_id u64 | signature 512 bits | ^SignedPayload | ^endpoints, where the payload is
     *  { op: proxyAnnounce, target: the proxy contract, root, amount: listed ? 1 : 0, extra: hash of the endpoints cell }
     *  and endpoints = endpointsCell(workersEndpoint, clientsEndpoint) unless given as a cell. */
    announce: ({ listed, workersEndpoint = '', clientsEndpoint = '', endpoints, target, root, secretKey, signatureOverride }, queryId = 0n) => {
        const eps = endpoints ?? endpointsCell(workersEndpoint, clientsEndpoint);
        const payload = signedPayloadCell({ op: OP.proxyAnnounce, target, root, amount: listed ? 1n : 0n, extra: cellHashInt(eps) });
        const signature = signatureOverride ?? signPayload(payload, secretKey);
        return announceBody(queryId, signature, payload, eps);
    },
    /** Signed state commit: seqno (strictly rising) and a 256-bit session hash. */
    saveState: ({ target, root, seqno, sessionHash, secretKey, queryId = 0n }) =>
        makeSigned({ op: OP.proxySaveState, target, root, amount: seqno, extra: sessionHash, queryId, secretKey }),
};

export const clientBodies = {
    topUp: (amount, queryId = 0n) => opAmountBody(OP.clientTopUp, queryId, amount),
    increaseStake: (amount, queryId = 0n) => opAmountBody(OP.clientIncreaseStake, queryId, amount),
    withdraw: (amount, queryId = 0n) => opAmountBody(OP.clientWithdraw, queryId, amount),
    changeSecret: (secretHash, queryId = 0n) => hashBody(OP.clientChangeSecret, queryId, secretHash),
    requestClose: (queryId = 0n) => opBody(OP.clientRequestClose, queryId),
    charge: ({ target, root, tokens, secretKey, queryId = 0n }) =>
        makeSigned({ op: OP.clientCharge, target, root, amount: tokens, queryId, secretKey }),
    refund: ({ target, root, tokens, secretKey, queryId = 0n }) =>
        makeSigned({ op: OP.clientRefund, target, root, amount: tokens, queryId, secretKey }),
};

export const workerBodies = {
    payout: ({ target, root, tokens, secretKey, queryId = 0n }) =>
        makeSigned({ op: OP.workerPayout, target, root, amount: tokens, queryId, secretKey }),
};

// ------------------------------------------------------------------ initial data
function identCell(owner, proxy, root) {
    return beginCell().storeAddress(owner).storeAddress(proxy).storeAddress(root).endCell();
}

export function clientInitData({ owner, proxy, root, proxyPublicKey, params }) {
    return beginCell()
        .storeUint(0, 2).storeCoins(0).storeCoins(0).storeUint(0, 64).storeUint(0, 32).storeUint(0, 256)
        .storeUint(BigInt(proxyPublicKey), 256)
        .storeRef(identCell(owner, proxy, root))
        .storeRef(params instanceof Cell ? params : paramsCell(params))
        .endCell();
}

export function workerInitData({ owner, proxy, root, proxyPublicKey, params }) {
    return beginCell()
        .storeUint(0, 2).storeUint(0, 64)
        .storeUint(BigInt(proxyPublicKey), 256)
        .storeRef(identCell(owner, proxy, root))
        .storeRef(params instanceof Cell ? params : paramsCell(params))
        .endCell();
}

export function proxyInitData({ owner, publicKey, root, params, clientCode, workerCode }) {
    return beginCell()
        .storeUint(0, 2).storeCoins(0).storeCoins(0).storeUint(0, 64).storeUint(0, 64).storeUint(0, 32).storeUint(0, 64).storeUint(0, 256)
        .storeRef(beginCell().storeAddress(owner).storeUint(BigInt(publicKey), 256).storeAddress(root).endCell())
        .storeRef(params instanceof Cell ? params : paramsCell(params))
        .storeRef(beginCell().storeRef(clientCode).storeRef(workerCode).endCell())
        .endCell();
}

export function rootInitData({ owner, params, proxyCode, clientCode, workerCode, version = 0 }) {
    const empty = beginCell().storeBit(0).storeBit(0).storeBit(0).storeBit(0).endCell();
    return beginCell()
        .storeAddress(owner)
        .storeUint(version, 32)
        .storeUint(0, 32)
        .storeRef(params instanceof Cell ? params : paramsCell(params))
        .storeRef(beginCell().storeRef(proxyCode).storeRef(clientCode).storeRef(workerCode).endCell())
        .storeRef(empty)
        .storeUint(0, 16)       // listed_count
        .storeBit(0)            // proxy_keys: empty map
        .endCell();
}

// ------------------------------------------------------------------ contract wrappers
class Base {
    constructor(address, init) {
        this.address = address;
        this.init = init;
    }
    async sendBody(provider, via, value, body, bounce = true) {
        await provider.internal(via, { value: BigInt(value), sendMode: SendMode.PAY_GAS_SEPARATELY, body, bounce });
    }
    async sendDeploy(provider, via, value, body = beginCell().endCell()) {
        await this.sendBody(provider, via, value, body);
    }
    async getBalance(provider) {
        return (await provider.getState()).balance;
    }
}

async function hashSet(provider, method) {
    const c = (await provider.get(method, [])).stack.readCellOpt();
    if (!c) return [];
    const d = Dictionary.loadDirect(Dictionary.Keys.BigUint(256), Dictionary.Values.Bool(), c);
    return d.keys().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function isIn(provider, method, hash) {
    return (await provider.get(method, [{ type: 'int', value: BigInt(hash) }])).stack.readBoolean();
}

export class Root extends Base {
    static createFromAddress(address) {
        return new Root(address);
    }
    static createFromConfig(config, code = loadCode('root')) {
        const data = rootInitData(config);
        const init = { code, data };
        return new Root(contractAddress(0, init), init);
    }
    async getRootData(provider) {
        const { stack } = await provider.get('get_root_data', []);
        return {
            owner: stack.readAddress(),
            version: stack.readNumber(),
            lastProxySeqno: stack.readNumber(),
            paramsVersion: stack.readNumber(),
        };
    }
    async getVersion(provider) {
        return (await provider.get('get_version', [])).stack.readNumber();
    }
    async getParams(provider) {
        return readParams((await provider.get('get_params', [])).stack);
    }
    async getParamsCell(provider) {
        return (await provider.get('get_params_cell', [])).stack.readCell();
    }
    async getCodes(provider) {
        const { stack } = await provider.get('get_codes', []);
        return { proxyCode: stack.readCell(), clientCode: stack.readCell(), workerCode: stack.readCell() };
    }
    getProxyImageHashes(provider) { return hashSet(provider, 'get_proxy_image_hashes'); }
    getWorkerImageHashes(provider) { return hashSet(provider, 'get_worker_image_hashes'); }
    getModelHashes(provider) { return hashSet(provider, 'get_model_hashes'); }
    isProxyImageAllowed(provider, hash) { return isIn(provider, 'is_proxy_image_allowed', hash); }
    isWorkerImageAllowed(provider, hash) { return isIn(provider, 'is_worker_image_allowed', hash); }
    isModelAllowed(provider, hash) { return isIn(provider, 'is_model_allowed', hash); }
    async getProxies(provider) {
        const c = (await provider.get('get_proxies', [])).stack.readCellOpt();
        if (!c) return [];
        const d = Dictionary.loadDirect(Dictionary.Keys.Uint(32), {
            serialize: () => { throw new Error('read only'); },
            parse: (s) => ({
                publicKey: s.loadUintBig(256),
                workersEndpoint: s.loadRef().beginParse().loadStringTail(),
                clientsEndpoint: s.loadRef().beginParse().loadStringTail(),
            }),
        }, c);
        return d.keys().sort((a, b) => a - b).map((k) => ({ seqno: k, ...d.get(k) }));
    }
    async getProxy(provider, seqno) {
        const { stack } = await provider.get('get_proxy', [{ type: 'int', value: BigInt(seqno) }]);
        const found = stack.readBoolean();
        const publicKey = stack.readBigNumber();
        const workersEndpoint = stack.readCell().beginParse().loadStringTail();
        const clientsEndpoint = stack.readCell().beginParse().loadStringTail();
        return found ? { publicKey, workersEndpoint, clientsEndpoint } : null;
    }
    /** The seqno of the proxy's self-listed entry: { found, seqno } (found only while that entry still holds the key). */
    async getListedProxy(provider, publicKey) {
        const { stack } = await provider.get('get_listed_proxy', [{ type: 'int', value: BigInt(publicKey) }]);
        const found = stack.readBoolean();
        const seqno = stack.readNumber();
        return { found, seqno };
    }
    async getListedCount(provider) {
        return (await provider.get('get_listed_count', [])).stack.readNumber();
    }
    async getProxyContractAddress(provider, owner, publicKey) {
        const { stack } = await provider.get('get_proxy_contract_address', [
            { type: 'slice', cell: beginCell().storeAddress(owner).endCell() },
            { type: 'int', value: BigInt(publicKey) },
        ]);
        return stack.readAddress();
    }
    async getClientContractAddress(provider, owner, proxyContract, proxyPublicKey) {
        const { stack } = await provider.get('get_client_contract_address', [
            { type: 'slice', cell: beginCell().storeAddress(owner).endCell() },
            { type: 'slice', cell: beginCell().storeAddress(proxyContract).endCell() },
            { type: 'int', value: BigInt(proxyPublicKey) },
        ]);
        return stack.readAddress();
    }
    async getWorkerContractAddress(provider, owner, proxyContract, proxyPublicKey) {
        const { stack } = await provider.get('get_worker_contract_address', [
            { type: 'slice', cell: beginCell().storeAddress(owner).endCell() },
            { type: 'slice', cell: beginCell().storeAddress(proxyContract).endCell() },
            { type: 'int', value: BigInt(proxyPublicKey) },
        ]);
        return stack.readAddress();
    }
}

export class ProxyContract extends Base {
    static createFromAddress(address) {
        return new ProxyContract(address);
    }
    /** config: { owner, publicKey, root, params (object or cell), clientCode, workerCode } */
    static createFromConfig(config, code = loadCode('proxy')) {
        const data = proxyInitData(config);
        const init = { code, data };
        return new ProxyContract(contractAddress(0, init), init);
    }
    async getProxyData(provider) {
        const { stack } = await provider.get('get_proxy_data', []);
        return {
            state: stack.readNumber(),
            stake: stack.readBigNumber(),
            balance: stack.readBigNumber(),
            clientTokens: stack.readBigNumber(),
            workerTokens: stack.readBigNumber(),
            unlockTs: stack.readNumber(),
            lastSeqno: stack.readBigNumber(),
            lastSessionHash: stack.readBigNumber(),
            owner: stack.readAddress(),
            publicKey: stack.readBigNumber(),
            root: stack.readAddress(),
        };
    }
    async getWithdrawable(provider) {
        return (await provider.get('get_withdrawable', [])).stack.readBigNumber();
    }
    async getParams(provider) {
        return readParams((await provider.get('get_params', [])).stack);
    }
    async getChildCodes(provider) {
        const { stack } = await provider.get('get_child_codes', []);
        return { clientCode: stack.readCell(), workerCode: stack.readCell() };
    }
    async getClientAddress(provider, owner) {
        const { stack } = await provider.get('get_client_address', [{ type: 'slice', cell: beginCell().storeAddress(owner).endCell() }]);
        return stack.readAddress();
    }
    async getWorkerAddress(provider, owner) {
        const { stack } = await provider.get('get_worker_address', [{ type: 'slice', cell: beginCell().storeAddress(owner).endCell() }]);
        return stack.readAddress();
    }
}

export class ClientContract extends Base {
    static createFromAddress(address) {
        return new ClientContract(address);
    }
    /** config: { owner, proxy, root, proxyPublicKey, params (object or cell) } */
    static createFromConfig(config, code = loadCode('client')) {
        const data = clientInitData(config);
        const init = { code, data };
        return new ClientContract(contractAddress(0, init), init);
    }
    async getClientData(provider) {
        const { stack } = await provider.get('get_client_data', []);
        return {
            state: stack.readNumber(),
            balance: stack.readBigNumber(),
            stake: stack.readBigNumber(),
            tokensUsed: stack.readBigNumber(),
            unlockTs: stack.readNumber(),
            secretHash: stack.readBigNumber(),
            proxyPublicKey: stack.readBigNumber(),
            owner: stack.readAddress(),
            proxy: stack.readAddress(),
            root: stack.readAddress(),
        };
    }
    async getParams(provider) {
        return readParams((await provider.get('get_params', [])).stack);
    }
}

export class WorkerContract extends Base {
    static createFromAddress(address) {
        return new WorkerContract(address);
    }
    /** config: { owner, proxy, root, proxyPublicKey, params (object or cell) } */
    static createFromConfig(config, code = loadCode('worker')) {
        const data = workerInitData(config);
        const init = { code, data };
        return new WorkerContract(contractAddress(0, init), init);
    }
    async getWorkerData(provider) {
        const { stack } = await provider.get('get_worker_data', []);
        return {
            state: stack.readNumber(),
            tokens: stack.readBigNumber(),
            proxyPublicKey: stack.readBigNumber(),
            owner: stack.readAddress(),
            proxy: stack.readAddress(),
            root: stack.readAddress(),
        };
    }
    async getParams(provider) {
        return readParams((await provider.get('get_params', [])).stack);
    }
}

export { Address };
