// A toncenter relay in front of the devnet that can serve a stale view of the chain: while `stale`
// is on, every get_proxy_data answer is the first one it relayed (the proxy contract as deployed),
// as a lagging or lying API node would. Everything else passes through unchanged.
import http from "node:http";

export async function startStaleChainRelay(upstreamEndpoint) {
    const upstream = new URL(upstreamEndpoint);
    const relay = {stale: false, staleAnswers: 0, first: null};
    const server = http.createServer(async (req, res) => {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        const body = Buffer.concat(chunks);
        let call = null;
        try {
            call = JSON.parse(body.toString("utf8"));
        } catch {
            // not JSON: relayed as it is
        }
        const proxyData = call?.method === "runGetMethod" && call?.params?.method === "get_proxy_data";
        if (proxyData && relay.stale && relay.first) {
            relay.staleAnswers++;
            res.writeHead(200, {"Content-Type": "application/json"});
            res.end(JSON.stringify({...relay.first, id: call.id}));
            return;
        }
        const target = new URL(req.url, upstream);
        let r, text;
        try {
            r = await fetch(target, {method: req.method, headers: {"Content-Type": "application/json"},
                body: req.method === "GET" ? undefined : body});
            text = await r.text();
        } catch (e) {  // the devnet is gone (the test is ending): the caller sees a failed API
            res.writeHead(502, {"Content-Type": "application/json"});
            res.end(JSON.stringify({ok: false, error: `relay: ${e.message}`, code: 502}));
            return;
        }
        if (proxyData && !relay.first && r.status === 200) relay.first = JSON.parse(text);
        res.writeHead(r.status, {"Content-Type": "application/json"});
        res.end(text);
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    relay.endpoint = `http://127.0.0.1:${server.address().port}${upstream.pathname}`;
    relay.close = () => new Promise((resolve) => server.close(resolve));
    return relay;
}
