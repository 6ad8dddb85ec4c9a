// The toncenter HTTP API v2 methods over a Devnet, with toncenter's JSON shapes.
import crypto from 'node:crypto';
import { Address, beginCell, Cell, loadMessage, storeMessage, storeStateInit, external } from '@ton/core';
import { WalletContractV3R2, WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { GetMethodError } from '@ton/sandbox';

export class ApiError extends Error {
    constructor(code, message) {
        super(message);
        this.code = code;
    }
}

const ZERO_HASH = Buffer.alloc(32).toString('base64');
const extra = () => `${(Date.now() / 1000).toFixed(6)}:0:${Math.random()}`;

function need(params, name) {
    const v = params[name];
    if (v === undefined || v === null || v === '') throw new ApiError(422, `${name}: field required`);
    return v;
}

function parseAddress(s) {
    try {
        return Address.parse(String(s));
    } catch {
        throw new ApiError(416, `Incorrect address: ${s}`);
    }
}

function parseBoc(b64, what = 'boc') {
    let cells;
    try {
        cells = Cell.fromBoc(Buffer.from(String(b64), 'base64'));
    } catch (e) {
        throw new ApiError(400, `Failed to deserialize ${what}: ${e.message}`);
    }
    if (cells.length !== 1) throw new ApiError(400, `Failed to deserialize ${what}: expected one root cell, got ${cells.length}`);
    return cells[0];
}

const friendly = (a) => a.toString({ bounceable: true, testOnly: false });
const hashB64 = (big) => Buffer.from(big.toString(16).padStart(64, '0'), 'hex').toString('base64');
const b64 = (cell) => cell.toBoc().toString('base64');

/** Hash of a 64-hex or base64 transaction hash parameter, as a Buffer. */
function parseHash(h) {
    const s = String(h);
    if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
    const buf = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (buf.length !== 32) throw new ApiError(422, `hash: invalid transaction hash ${s}`);
    return buf;
}

// ---------------------------------------------------------------- stack codec
function parseStackIn(stack) {
    if (stack === undefined || stack === null || stack === '') return [];
    if (typeof stack === 'string') {
        try { stack = JSON.parse(stack); } catch { throw new ApiError(422, 'stack: invalid JSON'); }
    }
    if (!Array.isArray(stack)) throw new ApiError(422, 'stack: expected a list');
    return stack.map((item) => {
        if (!Array.isArray(item) || item.length !== 2) throw new ApiError(422, 'stack: every entry is [type, value]');
        const [type, value] = item;
        switch (type) {
            case 'num':
            case 'number':
            case 'int': {
                const s = String(value).trim();
                const neg = s.startsWith('-');
                const body = neg ? s.slice(1) : s;
                let v;
                try { v = BigInt(body); } catch { throw new ApiError(422, `stack: bad number ${s}`); }
                return { type: 'int', value: neg ? -v : v };
            }
            case 'tvm.Cell':
            case 'cell':
                return { type: 'cell', cell: parseBoc(typeof value === 'object' ? value.bytes : value, 'stack cell') };
            case 'tvm.Slice':
            case 'slice':
                return { type: 'slice', cell: parseBoc(typeof value === 'object' ? value.bytes : value, 'stack slice') };
            case 'tvm.Builder':
            case 'builder':
                return { type: 'builder', cell: parseBoc(typeof value === 'object' ? value.bytes : value, 'stack builder') };
            default:
                throw new ApiError(422, `stack: unsupported entry type ${type}`);
        }
    });
}

const hexNum = (v) => (v < 0n ? '-0x' + (-v).toString(16) : '0x' + v.toString(16));

function stackOut(item) {
    switch (item.type) {
        case 'int': return ['num', hexNum(item.value)];
        case 'nan': return ['num', 'NaN'];
        case 'null': return ['list', { '@type': 'tvm.list', elements: [] }];
        case 'cell': return ['cell', { bytes: b64(item.cell) }];
        case 'slice': return ['slice', { bytes: b64(item.cell) }];
        case 'builder': return ['builder', { bytes: b64(item.cell) }];
        case 'tuple': return ['tuple', { '@type': 'tvm.tuple', elements: item.items.map(stackEntry) }];
        default: throw new ApiError(500, `unsupported stack item ${item.type}`);
    }
}

function stackEntry(item) {
    switch (item.type) {
        case 'int': return { '@type': 'tvm.stackEntryNumber', number: { '@type': 'tvm.numberDecimal', number: item.value.toString() } };
        case 'null': return { '@type': 'tvm.stackEntryList', list: { '@type': 'tvm.list', elements: [] } };
        case 'cell': return { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: b64(item.cell) } };
        case 'slice': return { '@type': 'tvm.stackEntrySlice', slice: { '@type': 'tvm.slice', bytes: b64(item.cell) } };
        case 'builder': return { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: b64(item.cell) } };
        case 'tuple': return { '@type': 'tvm.stackEntryTuple', tuple: { '@type': 'tvm.tuple', elements: item.items.map(stackEntry) } };
        default: throw new ApiError(500, `unsupported stack item ${item.type}`);
    }
}

// ---------------------------------------------------------------- transactions
function messageJson(m) {
    if (!m) return undefined;
    const info = m.info;
    const body = m.body ?? beginCell().endCell();
    const msgCell = beginCell().store(storeMessage(m)).endCell();
    const src = info.type === 'external-in' ? '' : (info.src ? (Address.isAddress(info.src) ? friendly(info.src) : '') : '');
    const dest = info.type === 'external-out' ? '' : (info.dest && Address.isAddress(info.dest) ? friendly(info.dest) : '');
    return {
        '@type': 'raw.message',
        hash: msgCell.hash().toString('base64'),
        source: src,
        destination: dest,
        value: info.type === 'internal' ? info.value.coins.toString() : '0',
        extra_currencies: [],
        fwd_fee: info.type === 'internal' ? info.forwardFee.toString() : '0',
        ihr_fee: info.type === 'internal' ? info.ihrFee.toString() : '0',
        created_lt: info.type === 'external-in' ? '0' : info.createdLt.toString(),
        body_hash: body.hash().toString('base64'),
        msg_data: { '@type': 'msg.dataRaw', body: b64(body), init_state: m.init ? b64(beginCell().store(storeStateInit(m.init)).endCell()) : '' },
    };
}

function transactionJson(tx, address) {
    const d = tx.description;
    const storageFee = d.storagePhase?.storageFeesCollected ?? 0n;
    const fee = tx.totalFees.coins;
    return {
        '@type': 'raw.transaction',
        address: { '@type': 'accountAddress', account_address: friendly(address) },
        utime: tx.now,
        data: b64(tx.raw),
        transaction_id: { '@type': 'internal.transactionId', lt: tx.lt.toString(), hash: tx.hash().toString('base64') },
        fee: fee.toString(),
        storage_fee: storageFee.toString(),
        other_fee: (fee - storageFee).toString(),
        in_msg: messageJson(tx.inMessage),
        out_msgs: [...tx.outMessages.values()].map(messageJson),
    };
}

// ---------------------------------------------------------------- wallets
const WALLET_TYPES = (() => {
    const pk = Buffer.alloc(32);
    return [
        ['wallet v3 r2', WalletContractV3R2.create({ workchain: 0, publicKey: pk }).init.code],
        ['wallet v4 r2', WalletContractV4.create({ workchain: 0, publicKey: pk }).init.code],
        ['wallet v5 r1', WalletContractV5R1.create({ workchain: 0, publicKey: pk }).init.code],
    ].map(([name, code]) => [name, code.hash().toString('hex')]);
})();

// ---------------------------------------------------------------- methods
export function createApi(net) {
    const bc = net.blockchain;

    async function accountInfo(address) {
        const sc = await bc.getContract(address);
        const st = sc.accountState;
        const state = !st || st.type === 'uninit' ? 'uninitialized' : st.type === 'frozen' ? 'frozen' : 'active';
        return {
            sc,
            state,
            balance: sc.balance,
            code: st?.type === 'active' && st.state.code ? st.state.code : null,
            data: st?.type === 'active' && st.state.data ? st.state.data : null,
            lastTx: { '@type': 'internal.transactionId', lt: sc.lastTransactionLt.toString(), hash: sc.lastTransactionLt === 0n ? ZERO_HASH : hashB64(sc.lastTransactionHash) },
        };
    }

    function accountTransactions(address) {
        return bc.transactions
            .filter((tx) => {
                const dst = tx.inMessage?.info?.dest;
                return dst && Address.isAddress(dst) && dst.equals(address);
            })
            .sort((a, b) => (a.lt < b.lt ? 1 : a.lt > b.lt ? -1 : 0));
    }

    async function runGet(address, method, stack) {
        const sc = await bc.getContract(address);
        if (sc.accountState?.type !== 'active') return { gas_used: 0, exit_code: -13, stack: [] };
        const m = /^-?\d+$/.test(String(method)) ? Number(method) : String(method);
        try {
            const res = await bc.runGetMethod(address, m, stack);
            return { gas_used: Number(res.gasUsed), exit_code: res.exitCode, stack: res.stack.map(stackOut) };
        } catch (e) {
            if (e instanceof GetMethodError || e?.exitCode !== undefined) {
                return { gas_used: Number(e.gasUsed ?? 0), exit_code: e.exitCode, stack: [] };
            }
            throw e;
        }
    }

    function externalFromBoc(boc) {
        const cell = parseBoc(boc);
        let msg;
        try {
            msg = loadMessage(cell.beginParse());
        } catch (e) {
            throw new ApiError(400, `Failed to parse message: ${e.message}`);
        }
        if (msg.info.type !== 'external-in') throw new ApiError(400, 'Only external inbound messages can be sent');
        return { cell, msg };
    }

    async function sendBoc(boc) {
        const { cell, msg } = externalFromBoc(boc);
        try {
            await net.sendExternal(cell);
        } catch (e) {
            throw new ApiError(500, `LITE_SERVER_UNKNOWN: cannot apply external message to current state : ${e.message}`);
        }
        return { cell, msg };
    }

    function normalizedHash(msg) {
        const norm = { info: { type: 'external-in', src: null, dest: msg.info.dest, importFee: 0n }, init: null, body: msg.body };
        return beginCell().store(storeMessage(norm, { forceRef: true })).endCell().hash().toString('base64');
    }

    return {
        async getMasterchainInfo() {
            const last = net.blockId();
            return { '@type': 'blocks.masterchainInfo', last, state_root_hash: last.root_hash, init: { ...last, seqno: 0 } };
        },

        async getAddressInformation(p) {
            const a = await accountInfo(parseAddress(need(p, 'address')));
            return {
                '@type': 'raw.fullAccountState',
                balance: a.balance.toString(),
                extra_currencies: [],
                code: a.code ? b64(a.code) : '',
                data: a.data ? b64(a.data) : '',
                last_transaction_id: a.lastTx,
                block_id: net.blockId(),
                frozen_hash: '',
                sync_utime: net.tick(),
                state: a.state,
            };
        },

        async getAddressBalance(p) {
            return (await accountInfo(parseAddress(need(p, 'address')))).balance.toString();
        },

        async getAddressState(p) {
            return (await accountInfo(parseAddress(need(p, 'address')))).state;
        },

        async getWalletInformation(p) {
            const address = parseAddress(need(p, 'address'));
            const a = await accountInfo(address);
            const base = { wallet: false, balance: a.balance.toString(), extra_currencies: [], account_state: a.state, last_transaction_id: a.lastTx };
            if (!a.code) return base;
            const type = WALLET_TYPES.find(([, h]) => h === a.code.hash().toString('hex'));
            if (!type) return base;
            const seqno = await runGet(address, 'seqno', []);
            const out = { ...base, wallet: true, wallet_type: type[0], seqno: seqno.exit_code === 0 ? Number(BigInt(seqno.stack[0][1])) : 0 };
            const ds = a.data.beginParse();
            if (type[0] === 'wallet v5 r1') { ds.skip(1 + 32); out.wallet_id = ds.loadUint(32); } else { ds.skip(32); out.wallet_id = ds.loadUint(32); }
            return out;
        },

        async runGetMethod(p) {
            const address = parseAddress(need(p, 'address'));
            const method = need(p, 'method');
            const stack = parseStackIn(p.stack);
            const res = await runGet(address, method, stack);
            const a = await accountInfo(address);
            return { '@type': 'smc.runResult', gas_used: res.gas_used, stack: res.stack, exit_code: res.exit_code, block_id: net.blockId(), last_transaction_id: a.lastTx };
        },

        async sendBoc(p) {
            await sendBoc(need(p, 'boc'));
            return { '@type': 'ok' };
        },

        async sendBocReturnHash(p) {
            const { cell, msg } = await sendBoc(need(p, 'boc'));
            return { '@type': 'raw.extMessageInfo', hash: cell.hash().toString('base64'), hash_norm: normalizedHash(msg) };
        },

        async getTransactions(p) {
            const address = parseAddress(need(p, 'address'));
            const limit = Math.min(Math.max(Number(p.limit ?? 10) || 10, 1), 256);
            let txs = accountTransactions(address);
            if (p.lt !== undefined && p.lt !== null && p.lt !== '') {
                const lt = BigInt(p.lt);
                if (p.hash) {
                    const h = parseHash(p.hash);
                    const i = txs.findIndex((t) => t.lt === lt && t.hash().equals(h));
                    if (i < 0) throw new ApiError(404, 'LITE_SERVER_UNKNOWN: transaction not found');
                    txs = txs.slice(i);
                } else {
                    txs = txs.filter((t) => t.lt <= lt);
                }
            }
            if (p.to_lt !== undefined && p.to_lt !== null && p.to_lt !== '' && BigInt(p.to_lt) > 0n) {
                const to = BigInt(p.to_lt);
                txs = txs.filter((t) => t.lt > to);
            }
            return txs.slice(0, limit).map((t) => transactionJson(t, address));
        },

        async estimateFee(p) {
            const address = parseAddress(need(p, 'address'));
            const body = parseBoc(need(p, 'body'), 'body');
            const code = p.init_code ? parseBoc(p.init_code, 'init_code') : null;
            const data = p.init_data ? parseBoc(p.init_data, 'init_data') : null;
            const init = code && data ? { code, data } : undefined;
            const ext = external({ to: address, init, body });
            const msgCell = beginCell().store(storeMessage(ext)).endCell();
            // import fee from the forwarding prices (basechain, config param 25 of the sandbox's mainnet config)
            const { cells, bits } = countCells(msgCell, true);
            const inFwd = 400000n + (26214400n * BigInt(bits) + 2621440000n * BigInt(cells) + 65535n) / 65536n;
            let gas = 0n, storage = 0n, fwd = 0n;
            await net.exclusive(async () => {
                const snap = bc.snapshot();
                try {
                    const r = await bc.sendMessage(msgCell);
                    const tx = r.transactions[0];
                    const dsc = tx.description;
                    gas = dsc.computePhase?.type === 'vm' ? dsc.computePhase.gasFees : 0n;
                    storage = dsc.storagePhase?.storageFeesCollected ?? 0n;
                    fwd = dsc.actionPhase?.totalFwdFees ?? 0n;
                } catch {
                    // not accepted (e.g. a signature left blank for estimation): import fee only
                } finally {
                    await bc.loadFrom(snap);
                }
            });
            return {
                '@type': 'query.fees',
                source_fees: { '@type': 'fees', in_fwd_fee: Number(inFwd), storage_fee: Number(storage), gas_fee: Number(gas), fwd_fee: Number(fwd) },
                destination_fees: [],
            };
        },
    };
}

/** Cells and bits of a message for fee purposes (root cell excluded, as TON does). */
function countCells(root, skipRoot) {
    const seen = new Set();
    let cells = 0, bits = 0;
    const walk = (c, isRoot) => {
        const h = c.hash().toString('hex');
        if (seen.has(h)) return;
        seen.add(h);
        if (!isRoot) { cells++; bits += c.bits.length; }
        c.refs.forEach((r) => walk(r, false));
    };
    walk(root, skipRoot);
    return { cells, bits };
}

export { extra };
