// HTTP front of the devnet: toncenter API v2 (REST under /api/v2/ and the
// /api/v2/jsonRPC endpoint) plus test-only /devnet/ endpoints.
import http from 'node:http';
import { Address, toNano } from '@ton/core';
import { createApi, ApiError, extra } from './api.mjs';

export function createServer(net) {
    const api = createApi(net);
    const methods = new Set(Object.keys(api));

    async function call(method, params) {
        if (!methods.has(method)) throw new ApiError(404, `Method not found: ${method}`);
        return api[method](params ?? {});
    }

    function reply(res, status, obj) {
        const body = JSON.stringify(obj);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
    }

    function errorBody(e) {
        const code = e instanceof ApiError ? e.code : 500;
        return { code, body: { ok: false, error: e instanceof ApiError ? e.message : `Internal error: ${e?.message ?? e}`, code } };
    }

    async function readJson(req) {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        const text = Buffer.concat(chunks).toString('utf-8');
        if (!text.trim()) return {};
        try {
            return JSON.parse(text);
        } catch {
            throw new ApiError(400, 'Request body is not valid JSON');
        }
    }

    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url, 'http://localhost');
        const path = url.pathname.replace(/\/+$/, '');
        let rpcId;
        try {
            if (path === '/api/v2/jsonRPC' || path === '/jsonRPC') {
                if (req.method !== 'POST') throw new ApiError(405, 'Method Not Allowed');
                const body = await readJson(req);
                rpcId = body.id;
                if (typeof body.method !== 'string') throw new ApiError(422, 'method: field required');
                const result = await call(body.method, body.params);
                return reply(res, 200, { ok: true, result, '@extra': extra(), id: rpcId, jsonrpc: '2.0' });
            }
            if (path.startsWith('/api/v2/')) {
                const method = path.slice('/api/v2/'.length);
                const params = Object.fromEntries(url.searchParams.entries());
                if (req.method === 'POST') Object.assign(params, await readJson(req));
                const result = await call(method, params);
                return reply(res, 200, { ok: true, result, '@extra': extra() });
            }
            if (path === '/devnet/info') {
                return reply(res, 200, { ok: true, result: { now: net.tick(), seqno: net.meta.seqno, root: net.meta.root, giver: net.meta.giver, wallets: net.meta.wallets } });
            }
            if (path === '/devnet/advance_time' && req.method === 'POST') {
                const body = { ...Object.fromEntries(url.searchParams.entries()), ...(await readJson(req)) };
                const seconds = Number(body.seconds);
                if (!Number.isInteger(seconds) || seconds < 0) throw new ApiError(422, 'seconds: non-negative integer required');
                return reply(res, 200, { ok: true, result: { now: await net.advanceTime(seconds) } });
            }
            if (path === '/devnet/register_proxy' && req.method === 'POST') {
                const body = await readJson(req);
                const publicKey = String(body.publicKey ?? '');
                if (!/^[0-9a-fA-F]{64}$/.test(publicKey)) throw new ApiError(422, 'publicKey: 64 hex characters required');
                await net.registerProxy({ publicKey, workersEndpoint: String(body.workersEndpoint ?? ''),
                    clientsEndpoint: String(body.clientsEndpoint ?? '') });
                return reply(res, 200, { ok: true, result: { publicKey } });
            }
            if (path === '/devnet/fund' && req.method === 'POST') {
                const body = { ...Object.fromEntries(url.searchParams.entries()), ...(await readJson(req)) };
                let address;
                try { address = Address.parse(String(body.address)); } catch { throw new ApiError(416, `Incorrect address: ${body.address}`); }
                const amount = body.nano !== undefined ? BigInt(body.nano) : toNano(String(body.amount ?? '10'));
                await net.fund(address, amount);
                return reply(res, 200, { ok: true, result: { address: address.toRawString(), amount: amount.toString() } });
            }
            throw new ApiError(404, 'Not Found');
        } catch (e) {
            const { code, body } = errorBody(e);
            if (rpcId !== undefined) Object.assign(body, { id: rpcId, jsonrpc: '2.0' });
            return reply(res, code >= 400 && code < 600 ? code : 500, body);
        }
    });
    return server;
}
