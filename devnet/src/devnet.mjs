// A local TON for development and tests: @ton/sandbox with the Chrysalis root
// contract deployed from a JSON config, named v4r2 wallets funded by a giver,
// wall-clock time (plus a test-only offset), and a snapshot file so that the
// state survives restarts.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Blockchain, snapshotToSerializable, snapshotFromSerializable } from '@ton/sandbox';
import { Address, beginCell, Cell, contractAddress, Dictionary, internal, toNano, storeStateInit } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { WalletContractV4 } from '@ton/ton';
import { runTolkCompiler } from '@ton/tolk-js';
import { storeParams } from '../../contracts/lib/params_cell.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CONTRACTS_SRC = path.join(here, '..', '..', 'contracts', 'src');

/** Compiles the four contracts from ../contracts/src. */
export async function compileContracts(srcDir = CONTRACTS_SRC) {
    const out = {};
    for (const name of ['root', 'proxy', 'client', 'worker']) {
        const res = await runTolkCompiler({
            entrypointFileName: `${name}.tolk`,
            fsReadCallback: (p) => fs.readFileSync(path.join(srcDir, p), 'utf-8'),
        });
        if (res.status === 'error') throw new Error(`tolk: ${name}.tolk: ${res.message}`);
        out[name] = Cell.fromBase64(res.codeBoc64);
    }
    return out;
}

/** Params cell, layout as in contracts/README.md (contracts/lib/params_cell.mjs). */
export function paramsCell(p) {
    return beginCell().store(storeParams(p)).endCell();
}

function hashSet(list) {
    const d = Dictionary.empty(Dictionary.Keys.BigUint(256), Dictionary.Values.Bool());
    for (const h of list ?? []) d.set(BigInt(h.startsWith('0x') ? h : '0x' + h), true);
    return d;
}

const stringRef = (s) => beginCell().storeStringTail(s).endCell();

/** Root initial data with the registry pre-filled from the config (layout in contracts/README.md). */
export function rootInitData({ owner, params, codes, proxyImageHashes, workerImageHashes, modelHashes, proxies }) {
    const proxyDict = Dictionary.empty(Dictionary.Keys.Uint(32), {
        serialize: (e, b) => b.storeUint(BigInt(e.publicKey), 256).storeRef(stringRef(e.workersEndpoint)).storeRef(stringRef(e.clientsEndpoint)),
        parse: () => { throw new Error('write only'); },
    });
    (proxies ?? []).forEach((e, i) => proxyDict.set(i + 1, e));
    const registry = beginCell()
        .storeDict(hashSet(proxyImageHashes))
        .storeDict(hashSet(workerImageHashes))
        .storeDict(hashSet(modelHashes))
        .storeDict(proxyDict)
        .endCell();
    return beginCell()
        .storeAddress(owner)
        .storeUint(0, 32)
        .storeUint((proxies ?? []).length, 32)
        .storeRef(paramsCell(params))
        .storeRef(beginCell().storeRef(codes.proxy).storeRef(codes.client).storeRef(codes.worker).endCell())
        .storeRef(registry)
        .storeUint(0, 16)       // listed_count: the config's proxies are owner-registered, not self-listed
        .storeBit(0)            // proxy_keys: empty map
        .endCell();
}

/** Deterministic development key pair of a named wallet. */
export function walletKeys(name) {
    return keyPairFromSeed(crypto.createHash('sha256').update(`chrysalis-devnet:${name}`).digest());
}

export class Devnet {
    constructor({ blockchain, meta, snapshotFile }) {
        this.blockchain = blockchain;
        this.meta = meta;              // { seqno, timeOffset, lastNow, root, wallets, giver, createdAt }
        this.snapshotFile = snapshotFile;
        this.queue = Promise.resolve();
    }

    /** Loads the snapshot if there is one, otherwise builds a fresh chain from the config. */
    static async open(config, { snapshotFile = config.snapshot, reset = false } = {}) {
        if (snapshotFile && !reset && fs.existsSync(snapshotFile)) {
            const saved = JSON.parse(fs.readFileSync(snapshotFile, 'utf-8'));
            const blockchain = await Blockchain.create();
            await blockchain.loadFrom(snapshotFromSerializable(saved.snapshot));
            const net = new Devnet({ blockchain, meta: saved.meta, snapshotFile });
            net.tick();
            return net;
        }
        return Devnet.create(config, { snapshotFile });
    }

    static async create(config, { snapshotFile } = {}) {
        const blockchain = await Blockchain.create();
        const meta = { seqno: 1, timeOffset: 0, lastNow: 0, wallets: {}, createdAt: Math.floor(Date.now() / 1000) };
        const net = new Devnet({ blockchain, meta, snapshotFile });
        net.tick();
        const giver = await blockchain.treasury('giver', { balance: toNano('1000000000') });
        meta.giver = giver.address.toRawString();

        for (const w of config.wallets ?? []) {
            const keys = walletKeys(w.name);
            const wallet = WalletContractV4.create({ workchain: 0, publicKey: keys.publicKey });
            await net.send(giver, wallet.address, toNano(w.balance ?? '100'), wallet.init);
            meta.wallets[w.name] = {
                address: wallet.address.toRawString(),
                friendly: wallet.address.toString({ testOnly: true, bounceable: false }),
                type: 'v4r2',
                walletId: wallet.walletId,
                publicKey: keys.publicKey.toString('hex'),
                secretKey: keys.secretKey.toString('hex'),
            };
        }

        const codes = await compileContracts();
        const rc = config.root ?? {};
        const ownerName = rc.owner ?? 'root-owner';
        const owner = meta.wallets[ownerName] ? Address.parse(meta.wallets[ownerName].address) : giver.address;
        const data = rootInitData({ ...rc, owner, params: rc.params, codes });
        const init = { code: codes.root, data };
        const rootAddress = contractAddress(0, init);
        await net.send(giver, rootAddress, toNano(rc.balance ?? '10'), init);
        meta.root = rootAddress.toRawString();
        meta.codes = Object.fromEntries(Object.entries(codes).map(([k, c]) => [k, c.toBoc().toString('base64')]));
        net.save();
        return net;
    }

    /** Current chain time: wall clock plus the test offset, never going backwards. */
    tick() {
        const now = Math.max(Math.floor(Date.now() / 1000) + this.meta.timeOffset, this.meta.lastNow);
        this.meta.lastNow = now;
        this.blockchain.now = now;
        return now;
    }

    /** Serializes state-changing work (one "block" per call). */
    exclusive(fn) {
        const run = this.queue.then(async () => {
            this.tick();
            const res = await fn();
            return res;
        });
        this.queue = run.catch(() => {});
        return run;
    }

    async send(from, to, value, init, body) {
        const sc = await this.blockchain.getContract(from.address);
        const r = await from.send({ to, value, init, body, bounce: false });
        this.meta.seqno += 1;
        return { sc, r };
    }

    /** Sends an external message (BoC cell); returns the sandbox result. */
    async sendExternal(cell) {
        return this.exclusive(async () => {
            const res = await this.blockchain.sendMessage(cell);
            this.meta.seqno += 1;
            this.save();
            return res;
        });
    }

    /** Test-only: gives coins from the giver. */
    async fund(address, amount) {
        return this.exclusive(async () => {
            const giver = await this.blockchain.treasury('giver');
            await giver.send({ to: address, value: amount, bounce: false });
            this.meta.seqno += 1;
            this.save();
        });
    }

    /** Test-only: the root's owner (a named devnet wallet) registers a proxy's public key (64 hex) in the root. */
    async registerProxy({ publicKey, workersEndpoint = '', clientsEndpoint = '' }) {
        return this.exclusive(async () => {
            const ownerName = Object.keys(this.meta.wallets).find((n) => n === 'root-owner');
            if (!ownerName) throw new Error('this devnet has no root-owner wallet: the root cannot be changed');
            const keys = walletKeys(ownerName);
            const wallet = this.blockchain.openContract(WalletContractV4.create({ workchain: 0, publicKey: keys.publicKey }));
            const body = beginCell().storeUint(0x927c7cb5, 32).storeUint(0, 64).storeUint(BigInt('0x' + publicKey), 256)
                .storeRef(beginCell().storeStringTail(workersEndpoint).endCell())
                .storeRef(beginCell().storeStringTail(clientsEndpoint).endCell()).endCell();
            const seqno = await wallet.getSeqno();
            const r = await wallet.sendTransfer({ seqno, secretKey: keys.secretKey, timeout: this.tick() + 60,
                messages: [internal({ to: Address.parse(this.meta.root), value: toNano('0.1'), body })] });
            this.meta.seqno += 1;
            this.save();
            const failed = r.transactions.find((t) => t.description.type === 'generic' && t.description.computePhase.type === 'vm' &&
                t.description.computePhase.exitCode !== 0);
            if (failed) throw new Error(`the root refused the registration (exit code ${failed.description.computePhase.exitCode})`);
        });
    }

    /** Test-only: moves chain time forward. */
    async advanceTime(seconds) {
        return this.exclusive(async () => {
            this.meta.timeOffset += seconds;
            const now = this.tick();
            this.save();
            return now;
        });
    }

    blockId() {
        const seqno = this.meta.seqno;
        const h = crypto.createHash('sha256').update(`chrysalis-devnet-block:${seqno}`).digest('base64');
        return { '@type': 'ton.blockIdExt', workchain: -1, shard: '-9223372036854775808', seqno, root_hash: h, file_hash: h };
    }

    save() {
        if (!this.snapshotFile) return;
        const snapshot = snapshotToSerializable(this.blockchain.snapshot());
        const json = JSON.stringify({ meta: this.meta, snapshot });
        fs.mkdirSync(path.dirname(path.resolve(this.snapshotFile)), { recursive: true });
        const tmp = this.snapshotFile + '.tmp';
        fs.writeFileSync(tmp, json);
        fs.renameSync(tmp, this.snapshotFile);
    }
}
