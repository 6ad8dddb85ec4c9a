// Streams one chat completion from the client node's OpenAI API and collects what Chrysalis
// says about it: usage by kind, cost, receipt, serving worker (headers and the `chrysalis` object
// of the final usage chunk).
import { ApiError, apiUrl, authHeaders, errorFrom } from "./api";
import { SseParser } from "./sse";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export interface Receipt {
  verified?: boolean;
  problem?: string;
  summary?: string;
  worker?: {
    worker_key?: string;
    model_hash?: string;
    coefficient?: number;
    outcome?: string;
    request_id?: string;
    started_ms?: number;
    ended_ms?: number;
  };
  proxy?: { proxy_key?: string; ledger_seqno?: number; charged_tokens?: number; cost_nano?: number | string };
  [k: string]: unknown;
}

export interface ResumedPart {
  worker?: string;
  request_id?: string;
  completion_tokens?: number;
  cost_nano?: string;
  error?: string;
}

/** The `chrysalis` object of the last chunk. */
export interface ChrysalisInfo {
  cost_nano?: string;
  charged_tokens?: number;
  available_nano?: string;
  capped?: boolean;
  receipt?: Receipt | null;
  resumed?: ResumedPart[];
}

/** What the answer's headers say about how it travelled. */
export interface Route {
  worker?: string;
  proxy?: string;
  e2e?: string;
  workerKey?: string;
  workerImage?: string;
  workerModelHash?: string;
  requestId?: string;
  route?: string;
}

export interface AnswerMeta {
  model?: string;
  route?: Route;
  usage?: Usage;
  chrysalis?: ChrysalisInfo;
  finishReason?: string;
  ttftMs?: number;
  totalMs?: number;
  tokensPerS?: number;
  stopped?: boolean;
  error?: string;
}

export interface StreamHandlers {
  onRoute?: (r: Route) => void;
  onDelta?: (text: string) => void;
  onMeta?: (m: AnswerMeta) => void;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
}

function routeFrom(h: Headers): Route {
  const g = (k: string) => h.get(k) ?? undefined;
  return {
    worker: g("X-Chrysalis-Worker"),
    proxy: g("X-Chrysalis-Proxy"),
    e2e: g("X-Chrysalis-E2E"),
    workerKey: g("X-Chrysalis-Worker-Key"),
    workerImage: g("X-Chrysalis-Worker-Image"),
    workerModelHash: g("X-Chrysalis-Worker-Model-Hash"),
    requestId: g("X-Chrysalis-Request-Id") ?? g("X-Request-Id"),
    route: g("X-Chrysalis-Route"),
  };
}

/**
 * Sends the request with stream + include_usage and reads the SSE body itself. Resolves with
 * the answer's meta when the stream ends; rejects with ApiError (HTTP or in-band error) or the
 * AbortError of `signal` (the partial meta so far is passed to onMeta before that).
 */
export async function streamChat(
  req: ChatRequest,
  signal: AbortSignal,
  handlers: StreamHandlers = {},
  apiKey?: string,
): Promise<AnswerMeta> {
  const meta: AnswerMeta = { model: req.model };
  const started = performance.now();
  let firstAt = 0;
  const body = { ...req, stream: true, stream_options: { include_usage: true } };
  let res: Response;
  try {
    res = await fetch(apiUrl("v1/chat/completions"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...authHeaders(apiKey) },
      body: JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) throw await errorFrom(res);
  meta.route = routeFrom(res.headers);
  handlers.onRoute?.(meta.route);
  if (!res.body) throw new ApiError(502, "no_body", "the node answered without a body");

  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let done = false;
  const finish = () => {
    const now = performance.now();
    meta.totalMs = now - started;
    const completion = meta.usage?.completion_tokens;
    if (firstAt && completion && now > firstAt) meta.tokensPerS = completion / ((now - firstAt) / 1000);
  };
  const handle = (data: string) => {
    if (data === "[DONE]") {
      done = true;
      return;
    }
    let chunk: any;
    try {
      chunk = JSON.parse(data);
    } catch {
      return; // not ours to judge: skip a line we cannot read
    }
    if (chunk && chunk.error) {
      const e = chunk.error;
      throw new ApiError(502, String(e.code ?? "stream_error"), String(e.message ?? "the answer failed mid-stream"));
    }
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    const text: unknown = choice?.delta?.content;
    if (typeof text === "string" && text) {
      if (!firstAt) {
        firstAt = performance.now();
        meta.ttftMs = firstAt - started;
      }
      handlers.onDelta?.(text);
    }
    if (choice?.finish_reason) meta.finishReason = choice.finish_reason;
    if (chunk.usage) meta.usage = chunk.usage as Usage;
    if (chunk.chrysalis) meta.chrysalis = chunk.chrysalis as ChrysalisInfo;
    if (chunk.usage || chunk.chrysalis) {
      finish();
      handlers.onMeta?.({ ...meta });
    }
  };
  try {
    while (!done) {
      const { value, done: eof } = await reader.read();
      const events = eof ? parser.end() : parser.push(decoder.decode(value, { stream: true }));
      for (const ev of events) handle(ev.data);
      if (eof) break;
    }
  } catch (e) {
    finish();
    handlers.onMeta?.({ ...meta });
    try {
      reader.cancel().catch(() => {});
    } catch {
      /* already closed */
    }
    throw e;
  }
  finish();
  if (!done && !meta.usage) throw new ApiError(502, "stream_cut", "the answer ended before it was complete");
  return meta;
}
