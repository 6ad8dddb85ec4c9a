// Conservation property test: a long random sequence of operations by several
// clients, workers and two proxies, checked step by step against a model of
// every contract, and at the end (after winding everything down):
//   (1) chain level: the sum of all account balances plus all fees spent
//       (transaction fees + forwarding fees of internal messages) equals what
//       the treasuries started with, to the nanoTON;
//   (2) contract ledger: every coin credited to a client or proxy contract
//       (top-ups, stakes) is either still accounted in a contract or was paid
//       out to an owner (client refunds/withdrawals, worker payouts, proxy
//       commission and stake), to the nanoTON;
//   (3) solvency: every contract's TON balance covers its accounted funds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
    createNetwork, deployProxy, deployClient, deployWorker, keyPair, toNano, flat, nextQid, DEV_PARAMS,
    clientBodies, proxyBodies,
} from './helpers.mjs';
import { ERR, OP, STATE, makeSigned } from '../wrappers/chrysalis.mjs';

const SEED = Number(process.env.CONSERVATION_SEED ?? 1);
const STEPS = Number(process.env.CONSERVATION_STEPS ?? 400);
const PRICE = DEV_PARAMS.pricePerToken;
const FEE = DEV_PARAMS.workerFeePerToken;
const TREASURY_START = 1_000_000_000_000_000n;   // sandbox treasury initial balance

function mulberry32(a) {
    return function () {
        a |= 0; a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

test(`conservation over ${STEPS} random operations (seed ${SEED})`, { timeout: 240_000 }, async () => {
    const rnd = mulberry32(SEED);
    const ri = (a, b) => a + Math.floor(rnd() * (b - a + 1));
    const rnano = (a, b) => BigInt(a) + BigInt(Math.floor(rnd() * Number(BigInt(b) - BigInt(a) + 1n)));
    const pick = (arr) => arr[Math.floor(rnd() * arr.length)];

    const net = await createNetwork();
    const bc = net.blockchain;
    const treasuries = [net.rootOwner];
    const treasury = async (name) => { const t = await bc.treasury(name); treasuries.push(t); return t; };

    let fees = 0n;          // transaction fees + forwarding fees of internal messages
    let inflow = 0n;        // coins credited to accounted funds (model)
    let outflow = 0n;       // payout messages from our contracts (observed)
    const ours = new Set();
    const account = (result) => {
        for (const tx of result.transactions) {
            fees += tx.totalFees.coins;
            for (const m of tx.outMessages.values()) {
                if (m.info.type !== 'internal') continue;
                fees += m.info.forwardFee;
                let op;
                try { op = m.body.beginParse().loadUint(32); } catch { op = undefined; }
                if (op === OP.payout && ours.has(m.info.src.toString())) outflow += m.info.value.coins;
            }
        }
        return result;
    };
    // the network fixture sent the root deploy before we could count it: replay its fees from the root's first tx
    // (simplest: start counting from a fresh baseline after setup, see `baseline` below)

    // ---- setup: 2 proxies, 3 client owners and 3 worker owners with contracts at both proxies
    const P = [];
    for (let i = 0; i < 2; i++) {
        const owner = await treasury(`proxy-owner-${i}`);
        const kp = keyPair(100 + i);
        const stake = toNano(String(10 + i * 5));
        const contract = await deployProxy(net, owner, kp, stake);
        P.push({ i, owner, kp, contract, m: { state: STATE.active, stake, balance: 0n, clientTokens: 0n, workerTokens: 0n, unlockTs: 0, lastSeqno: 0n, lastSessionHash: 0n } });
    }
    const C = [], W = [];
    for (let j = 0; j < 3; j++) {
        const owner = await treasury(`client-owner-${j}`);
        for (const p of P) {
            const balance = rnano(toNano('3'), toNano('8'));
            const stake = toNano('1');
            const contract = await deployClient(net, owner, p.contract, p.kp, { balance, stake });
            C.push({ owner, p, contract, usage: 0n, m: { state: STATE.active, balance, stake, tokensUsed: 0n, unlockTs: 0 } });
        }
    }
    for (let k = 0; k < 3; k++) {
        const owner = await treasury(`worker-owner-${k}`);
        for (const p of P) {
            const contract = await deployWorker(net, owner, p.contract, p.kp);
            W.push({ owner, p, contract, earned: 0n, m: { tokens: 0n } });
        }
    }
    const stranger = await treasury('stranger');
    for (const x of [...P, ...C, ...W]) ours.add(x.contract.address.toString());

    // baseline after setup: what the accounts hold now plus fees from here on must stay constant
    const allAddresses = () => [...treasuries.map((t) => t.address), net.root.address, ...[...P, ...C, ...W].map((x) => x.contract.address)];
    const chainTotal = async () => {
        let s = 0n;
        for (const a of allAddresses()) s += (await bc.getContract(a)).balance;
        return s;
    };
    const accountedOnChain = async () => {
        let s = 0n;
        for (const p of P) { const d = await p.contract.getProxyData(); s += d.stake + d.balance; }
        for (const c of C) { const d = await c.contract.getClientData(); s += d.balance + d.stake; }
        return s;
    };
    const baselineChain = await chainTotal();
    const baselineAccounted = await accountedOnChain();

    // ---- model checks
    const checkClient = async (c) => {
        const d = await c.contract.getClientData();
        assert.deepEqual({ state: d.state, balance: d.balance, stake: d.stake, tokensUsed: d.tokensUsed, unlockTs: d.unlockTs }, c.m);
        assert.ok(await c.contract.getBalance() >= d.balance + d.stake, 'client contract solvent');
    };
    const checkProxy = async (p) => {
        const d = await p.contract.getProxyData();
        assert.deepEqual({ state: d.state, stake: d.stake, balance: d.balance, clientTokens: d.clientTokens, workerTokens: d.workerTokens, unlockTs: d.unlockTs, lastSeqno: d.lastSeqno, lastSessionHash: d.lastSessionHash }, p.m);
        assert.ok(await p.contract.getBalance() >= d.stake + d.balance, 'proxy contract solvent');
    };
    const checkWorker = async (w) => {
        assert.equal((await w.contract.getWorkerData()).tokens, w.m.tokens);
    };
    const checkAll = async () => {
        for (const p of P) await checkProxy(p);
        for (const c of C) await checkClient(c);
        for (const w of W) await checkWorker(w);
        assert.equal(await accountedOnChain(), baselineAccounted + inflow - outflow, 'ledger: in = held + paid out');
        assert.equal(await chainTotal() + fees, baselineChain, 'chain: balances + fees constant');
    };
    const txTo = (r, to) => r.transactions.map(flat).find((f) => f.to?.equals(to) && !f.bounced);
    const expectOutcome = (r, to, exitCode, what) => {
        const t = txTo(r, to);
        assert.ok(t, `${what}: no transaction to ${to}`);
        if (exitCode === 0) assert.ok(t.success, `${what}: expected success, got exit ${t.exitCode}`);
        else assert.equal(t.exitCode, exitCode, `${what}: expected exit ${exitCode}, got ${t.exitCode} (success ${t.success})`);
    };
    // final close: the workers' unclaimed share stays in the contract, the owner gets the rest
    const closeProxyModel = (p) => {
        const reserved = p.m.clientTokens > p.m.workerTokens ? (p.m.clientTokens - p.m.workerTokens) * FEE : 0n;
        const accounted = p.m.balance + p.m.stake;
        p.m.state = STATE.closed;
        p.m.balance = reserved < accounted ? reserved : accounted;
        p.m.stake = 0n;
    };
    const deduct = (m, cost) => {
        if (cost <= m.balance) m.balance -= cost;
        else { m.stake -= cost - m.balance; m.balance = 0n; }
    };

    // ---- operations
    const counts = {};
    const ops = {
        async serve() {     // off-chain: the proxy serves a request; usage and earnings grow
            const c = pick(C.filter((x) => x.m.state !== STATE.closed));
            if (!c) return;
            const w = pick(W.filter((x) => x.p === c.p));
            const room = (c.m.balance + c.m.stake) / PRICE - (c.usage - c.m.tokensUsed);
            if (room <= 0n) return;
            const t = BigInt(ri(1, Number(room < 400_000n ? room : 400_000n)));
            c.usage += t;
            w.earned += t;
        },
        async charge() {
            const c = pick(C.filter((x) => x.usage > x.m.tokensUsed));
            if (!c) return;
            const amount = c.m.tokensUsed + BigInt(ri(1, Number(c.usage - c.m.tokensUsed)));
            const from = rnd() < 0.7 ? c.p.owner : c.owner;
            const r = account(await c.contract.sendBody(from.getSender(), rnano(toNano('0.05'), toNano('0.3')),
                makeSigned({ op: OP.clientCharge, target: c.contract.address, root: net.root.address, amount, secretKey: c.p.kp.secretKey, queryId: nextQid() })));
            const cost = (amount - c.m.tokensUsed) * PRICE;
            if (c.m.state === STATE.closed) return expectOutcome(r, c.contract.address, ERR.wrongState, 'charge closed');
            if (cost > c.m.balance + c.m.stake) return expectOutcome(r, c.contract.address, ERR.aboveBalance, 'charge above');
            expectOutcome(r, c.contract.address, 0, 'charge');
            if (c.p.m.state === STATE.closed) {
                expectOutcome(r, c.p.contract.address, ERR.wrongState, 'charge to closed proxy');
                // bounced: the coins return to the balance, the counter is restored
                const before = { ...c.m };
                deduct(c.m, cost);
                c.m.balance += cost;
                c.m.tokensUsed = before.tokensUsed;
                return;
            }
            expectOutcome(r, c.p.contract.address, 0, 'charge at proxy');
            deduct(c.m, cost);
            c.p.m.clientTokens += amount - c.m.tokensUsed;
            c.p.m.balance += cost;
            c.m.tokensUsed = amount;
        },
        async badCharge() {
            const c = pick(C);
            const kind = ri(0, 2);
            const amount = kind === 0 ? c.m.tokensUsed : c.m.tokensUsed + 1n;
            const key = kind === 1 ? keyPair(200) : c.p.kp;
            const target = kind === 2 ? pick(C.filter((x) => x !== c)).contract.address : c.contract.address;
            const r = account(await c.contract.sendBody(stranger.getSender(), toNano('0.1'),
                makeSigned({ op: OP.clientCharge, target, root: net.root.address, amount, secretKey: key.secretKey })));
            const t = txTo(r, c.contract.address);
            assert.ok(!t.success, 'bad charge must fail');
            if (c.m.state !== STATE.closed) assert.equal(t.exitCode, [ERR.notIncreasing, ERR.badSignature, ERR.wrongTarget][kind]);
        },
        async topUp() {
            const c = pick(C);
            const amount = rnano(toNano('0.1'), toNano('3'));
            const from = rnd() < 0.8 ? c.owner : stranger;
            const stake = rnd() < 0.25;
            const body = stake ? clientBodies.increaseStake(amount, nextQid()) : clientBodies.topUp(amount, nextQid());
            const r = account(await c.contract.sendBody(from.getSender(), amount + rnano(toNano('0.01'), toNano('0.2')), body));
            if (c.m.state !== STATE.active) return expectOutcome(r, c.contract.address, ERR.wrongState, 'top-up inactive');
            expectOutcome(r, c.contract.address, 0, 'top-up');
            if (stake) c.m.stake += amount; else c.m.balance += amount;
            inflow += amount;
        },
        async withdraw() {
            const c = pick(C);
            const amount = rnano(1n, c.m.balance + c.m.stake + toNano('0.5'));
            const r = account(await c.contract.sendBody(c.owner.getSender(), toNano('0.1'), clientBodies.withdraw(amount, nextQid())));
            let code = 0;
            if (c.m.state !== STATE.active) code = ERR.wrongState;
            else if (amount > c.m.balance + c.m.stake) code = ERR.aboveBalance;
            else if (amount > c.m.balance) code = ERR.belowStake;
            expectOutcome(r, c.contract.address, code, 'client withdraw');
            if (code === 0) c.m.balance -= amount;
        },
        async payout() {
            const w = pick(W.filter((x) => x.earned > x.m.tokens));
            if (!w) return;
            const amount = w.m.tokens + BigInt(ri(1, Number(w.earned - w.m.tokens)));
            const from = rnd() < 0.5 ? w.owner : w.p.owner;
            const r = account(await w.contract.sendBody(from.getSender(), rnano(toNano('0.05'), toNano('0.3')),
                makeSigned({ op: OP.workerPayout, target: w.contract.address, root: net.root.address, amount, secretKey: w.p.kp.secretKey, queryId: nextQid() })));
            expectOutcome(r, w.contract.address, 0, 'payout');
            const pm = w.p.m;
            const cost = (amount - w.m.tokens) * FEE;
            if (cost > pm.balance + pm.stake) return expectOutcome(r, w.p.contract.address, ERR.aboveBalance, 'payout above');
            expectOutcome(r, w.p.contract.address, 0, 'payout at proxy');
            deduct(pm, cost);
            pm.workerTokens += amount - w.m.tokens;
            w.m.tokens = amount;
        },
        async proxyWithdraw() {
            const p = pick(P);
            const reserved = p.m.clientTokens > p.m.workerTokens ? (p.m.clientTokens - p.m.workerTokens) * FEE : 0n;
            const amount = rnano(1n, p.m.balance + toNano('0.2'));
            const r = account(await p.contract.sendBody(p.owner.getSender(), toNano('0.1'), proxyBodies.withdraw(amount, nextQid())));
            let code = 0;
            if (p.m.state === STATE.closed) code = ERR.wrongState;
            else if (amount > p.m.balance) code = ERR.aboveBalance;
            else if (amount + reserved > p.m.balance) code = ERR.belowObligations;
            expectOutcome(r, p.contract.address, code, 'proxy withdraw');
            if (code === 0) p.m.balance -= amount;
        },
        async saveState() {
            const p = pick(P);
            const seqno = p.m.lastSeqno + BigInt(ri(0, 3));
            const hash = BigInt(ri(1, 1 << 30));
            const r = account(await p.contract.sendBody(p.owner.getSender(), toNano('0.05'), makeSigned({
                op: OP.proxySaveState, target: p.contract.address, root: net.root.address, amount: seqno, extra: hash, secretKey: p.kp.secretKey,
            })));
            let code = 0;
            if (p.m.state === STATE.closed) code = ERR.wrongState;
            else if (seqno <= p.m.lastSeqno) code = ERR.notIncreasing;
            expectOutcome(r, p.contract.address, code, 'save state');
            if (code === 0) { p.m.lastSeqno = seqno; p.m.lastSessionHash = hash; }
        },
        async clientClose(chosen, grant = rnd() < 0.5) {
            const c = chosen ?? pick(C);
            if (grant && c.m.state !== STATE.closed && c.usage >= c.m.tokensUsed && (c.usage - c.m.tokensUsed) * PRICE <= c.m.balance + c.m.stake) {
                // the proxy grants the final refund
                const r = account(await c.contract.sendBody(c.p.owner.getSender(), toNano('0.1'), makeSigned({
                    op: OP.clientRefund, target: c.contract.address, root: net.root.address, amount: c.usage, secretKey: c.p.kp.secretKey,
                })));
                expectOutcome(r, c.contract.address, 0, 'refund');
                const cost = (c.usage - c.m.tokensUsed) * PRICE;
                deduct(c.m, cost);
                if (cost > 0n || c.usage > c.m.tokensUsed) {
                    if (c.p.m.state === STATE.closed) {
                        expectOutcome(r, c.p.contract.address, ERR.wrongState, 'refund charge to closed proxy');
                        // bounced to a closed client contract: the coins go to the owner (counted as outflow)
                    } else {
                        c.p.m.balance += cost;
                        c.p.m.clientTokens += c.usage - c.m.tokensUsed;
                    }
                }
                c.m.tokensUsed = c.usage;
                c.m.state = STATE.closed;
                c.m.balance = 0n;
                c.m.stake = 0n;
                return;
            }
            const r = account(await c.contract.sendBody(c.owner.getSender(), toNano('0.1'), clientBodies.requestClose(nextQid())));
            if (c.m.state === STATE.active) {
                expectOutcome(r, c.contract.address, 0, 'request close');
                c.m.state = STATE.closing;
                c.m.unlockTs = bc.now + DEV_PARAMS.clientDelayBeforeClose;
            } else if (c.m.state === STATE.closed) {
                expectOutcome(r, c.contract.address, ERR.wrongState, 'close closed');
            } else if (bc.now < c.m.unlockTs) {
                expectOutcome(r, c.contract.address, ERR.earlyClose, 'early close');
            } else {
                expectOutcome(r, c.contract.address, 0, 'close');
                c.m.state = STATE.closed;
                c.m.balance = 0n;
                c.m.stake = 0n;
            }
        },
        async proxyClose() {     // only the second proxy winds down mid-run; its clients and workers then meet refusals
            const p = P[1];
            const r = account(await p.contract.sendBody(p.owner.getSender(), toNano('0.1'), proxyBodies.requestClose(nextQid())));
            if (p.m.state === STATE.active) {
                expectOutcome(r, p.contract.address, 0, 'proxy request close');
                p.m.state = STATE.closing;
                p.m.unlockTs = bc.now + DEV_PARAMS.proxyDelayBeforeClose;
            } else if (p.m.state === STATE.closed) {
                expectOutcome(r, p.contract.address, ERR.wrongState, 'proxy close closed');
            } else if (bc.now < p.m.unlockTs) {
                expectOutcome(r, p.contract.address, ERR.earlyClose, 'proxy early close');
            } else {
                expectOutcome(r, p.contract.address, 0, 'proxy close');
                closeProxyModel(p);
            }
        },
        async time() {
            bc.now += ri(1, 1500);
        },
    };
    const weights = [['serve', 30], ['charge', 18], ['badCharge', 4], ['topUp', 10], ['withdraw', 6], ['payout', 14], ['proxyWithdraw', 5], ['saveState', 4], ['clientClose', 3], ['proxyClose', 1], ['time', 6]];
    const total = weights.reduce((s, [, w]) => s + w, 0);
    const chooseOp = () => {
        let x = rnd() * total;
        for (const [name, w] of weights) { if ((x -= w) < 0) return name; }
        return 'serve';
    };

    for (let step = 0; step < STEPS; step++) {
        const name = chooseOp();
        counts[name] = (counts[name] ?? 0) + 1;
        await ops[name]();
        if (step % 50 === 49) await checkAll();
    }
    await checkAll();
    const statesAfterRandom = P.map((p) => p.m.state).join(',');

    // ---- wind down: every client closes, every worker is paid, proxies withdraw and close
    // half the clients get the proxy's final refund, the others close on their own after the delay
    for (const c of C) {
        if (c.m.state === STATE.active) await ops.clientClose(c, rnd() < 0.5);
    }
    bc.now += DEV_PARAMS.clientDelayBeforeClose;
    for (const c of C) {
        if (c.m.state !== STATE.closing) continue;
        const r = account(await c.contract.sendBody(c.owner.getSender(), toNano('0.1'), clientBodies.requestClose()));
        expectOutcome(r, c.contract.address, 0, 'final close');
        c.m.state = STATE.closed; c.m.balance = 0n; c.m.stake = 0n;
    }
    // every worker claims what it earned, as far as its proxy contract can pay
    const payAllWorkers = async () => {
        for (const w of W) {
            const pm = w.p.m;
            const payable = w.m.tokens + (pm.balance + pm.stake) / FEE;
            const amount = w.earned < payable ? w.earned : payable;
            if (amount <= w.m.tokens) continue;
            const r = account(await w.contract.sendBody(w.owner.getSender(), toNano('0.1'), makeSigned({
                op: OP.workerPayout, target: w.contract.address, root: net.root.address, amount, secretKey: w.p.kp.secretKey,
            })));
            expectOutcome(r, w.p.contract.address, 0, 'final payout');
            deduct(pm, (amount - w.m.tokens) * FEE);
            pm.workerTokens += amount - w.m.tokens;
            w.m.tokens = amount;
        }
    };
    await payAllWorkers();
    for (const p of P) {
        if (p.m.state !== STATE.active) continue;
        account(await p.contract.sendBody(p.owner.getSender(), toNano('0.1'), proxyBodies.requestClose()));
        p.m.state = STATE.closing;
        p.m.unlockTs = bc.now + DEV_PARAMS.proxyDelayBeforeClose;
    }
    bc.now += DEV_PARAMS.proxyDelayBeforeClose;
    for (const p of P) {
        if (p.m.state === STATE.closed) continue;
        const r = account(await p.contract.sendBody(p.owner.getSender(), toNano('0.1'), proxyBodies.requestClose()));
        expectOutcome(r, p.contract.address, 0, 'proxy close');
        closeProxyModel(p);
    }
    await payAllWorkers();     // what the closed proxies kept for workers
    await checkAll();
    // everything credited was paid out again, except the workers' share a closed proxy still holds
    const held = P.reduce((s, p) => s + p.m.balance + p.m.stake, 0n) + C.reduce((s, c) => s + c.m.balance + c.m.stake, 0n);
    assert.equal(C.reduce((s, c) => s + c.m.balance + c.m.stake, 0n), 0n);
    assert.ok(P.every((p) => p.m.stake === 0n && p.m.balance < FEE), 'closed proxies keep at most a fraction of a token');
    assert.equal(await accountedOnChain(), held);
    assert.equal(inflow + baselineAccounted, outflow + held);
    console.log(`proxy states at the end of the random run: ${statesAfterRandom}`);
    console.log(`ops: ${JSON.stringify(counts)}; credited ${inflow + baselineAccounted} nanoTON, paid out ${outflow}, fees ${fees}`);
});
