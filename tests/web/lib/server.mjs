// A tiny static server for web/dist that forwards the node's API (/v1, /admin, /stats*, /healthz)
// to one Chrysalis node, so the page under test is same-origin with the API, as it is when the
// node serves the bundle itself: index.html at any page path (/, /app/, /dashboard) with the
// node's Content-Security-Policy, files only at /assets/<file>. A request whose Origin is this server's own origin is forwarded without it (a
// node must accept its own page's requests); another Origin is forwarded as is.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
};
const API = /^\/(v1\/|admin\/|stats(\/|$)|healthz$|metrics$)/;
// The page's Content-Security-Policy as the nodes send it with index.html (src/http/node_web.cpp),
// so a test fails here on what a node would block (an inline script, a <base> element, ...).
export const NODE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; " +
    "connect-src 'self' https: wss:; frame-ancestors 'self' https://web.telegram.org; base-uri 'none'; " +
    "form-action 'self'; object-src 'none'";

export async function startStaticServer({root, target, host = "127.0.0.1"}) {
    const upstream = new URL(target);
    const requests = [];  // every forwarded API request: {method, path, status}, for assertions
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, "http://x");
        if (API.test(url.pathname)) return forward(req, res, url);
        if (req.method !== "GET" && req.method !== "HEAD") {
            res.writeHead(405).end();
            return;
        }
        let file;
        if (url.pathname.startsWith("/assets/")) {
            file = path.join(root, "assets", path.basename(decodeURIComponent(url.pathname)));
        } else {
            file = path.join(root, "index.html");
        }
        fs.readFile(file, (err, data) => {
            if (err) {
                res.writeHead(404, {"Content-Type": "text/plain"}).end("not found");
                return;
            }
            const page = file.endsWith("index.html");
            res.writeHead(200, {
                "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
                "Cache-Control": page ? "no-cache" : "public, max-age=31536000, immutable",
                "X-Content-Type-Options": "nosniff",
                ...(page ? {"Content-Security-Policy": NODE_CSP} : {}),
            });
            res.end(req.method === "HEAD" ? undefined : data);
        });
    });

    function forward(req, res, url) {
        const own = `http://${req.headers.host}`;
        const headers = {...req.headers, host: upstream.host};
        if (headers.origin === own) delete headers.origin;
        delete headers.referer;
        const entry = {method: req.method, path: url.pathname + url.search, status: 0, ended: false};
        requests.push(entry);
        const up = http.request({host: upstream.hostname, port: upstream.port, method: req.method, path: url.pathname + url.search, headers},
            (ur) => {
                entry.status = ur.statusCode;
                res.writeHead(ur.statusCode, ur.headers);
                res.flushHeaders();
                ur.on("data", (chunk) => res.write(chunk));
                ur.on("end", () => {
                    entry.ended = true;
                    res.end();
                });
                ur.on("error", () => res.destroy());
            });
        up.on("error", (e) => {
            entry.status = 502;
            if (!res.headersSent) res.writeHead(502, {"Content-Type": "application/json"});
            res.end(JSON.stringify({error: {message: `test server: ${e.message}`, code: "upstream_unreachable"}}));
        });
        // The page went away (Stop, reload): drop the upstream request too, as a node would see it.
        res.on("close", () => {
            if (!res.writableFinished) {
                entry.aborted = true;
                up.destroy();
            }
        });
        req.pipe(up);
    }

    await new Promise((resolve) => server.listen(0, host, resolve));
    const {port} = server.address();
    return {
        url: `http://${host}:${port}`,
        requests,
        close: () => new Promise((resolve) => {
            server.closeAllConnections?.();
            server.close(() => resolve());
        }),
    };
}

// Run directly: serve web/dist against a node, e.g.
//   node lib/server.mjs http://127.0.0.1:10000 [port]
if (import.meta.url === `file://${process.argv[1]}`) {
    const target = process.argv[2] || "http://127.0.0.1:10000";
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../web/dist");
    const s = await startStaticServer({root, target});
    console.log(`serving ${root} at ${s.url}, API → ${target}`);
}
