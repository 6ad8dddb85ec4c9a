// Small HTTP helpers: bounded body reading, JSON replies, and an SSE writer that flushes per event.
import {ApiError} from "./errors.mjs";

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function readBody(req, limit = MAX_BODY_BYTES) {
    return new Promise((resolve, reject) => {
        const parts = [];
        let size = 0;
        req.on("data", (part) => {
            if (size > limit) return;  // already refused: drain the rest so the client reads our 413
            size += part.length;
            if (size > limit) {
                parts.length = 0;
                reject(new ApiError(413, `request body exceeds ${limit} bytes`, {code: "request_too_large"}));
                return;
            }
            parts.push(part);
        });
        req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
        req.on("error", reject);
    });
}

export function sendJson(res, status, body) {
    const text = JSON.stringify(body);
    res.writeHead(status, {"Content-Type": "application/json", "Content-Length": Buffer.byteLength(text)});
    res.end(text);
}

export function sendError(res, err) {
    const apiError = err instanceof ApiError ? err : new ApiError(500, err?.message || "internal error");
    if (res.headersSent) {
        // Mid-stream failure: the status is already 200, so report it in-band, OpenAI style, then end.
        if (!res.writableEnded) res.end(`data: ${JSON.stringify(apiError.toJSON())}\n\n`);
        return apiError;
    }
    sendJson(res, apiError.status, apiError.toJSON());
    return apiError;
}

// Server-sent events exactly as OpenAI sends them: "data: {json}\n\n", closed by "data: [DONE]".
export class SseWriter {
    constructor(res, extraHeaders = {}) {
        this.res = res;
        res.writeHead(200, {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "Connection": "keep-alive",
            "X-Accel-Buffering": "no",
            ...extraHeaders,
        });
        res.flushHeaders();
    }

    send(obj) {
        if (!this.res.writableEnded) this.res.write(`data: ${JSON.stringify(obj)}\n\n`);
    }

    done() {
        if (!this.res.writableEnded) this.res.end("data: [DONE]\n\n");
    }
}
