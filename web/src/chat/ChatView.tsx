// The chat: model picker, conversation, streamed answers with their cost and provenance, the
// wallet. Talks only to the client node's own API (same origin).
import type { TargetedKeyboardEvent } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, appRoot, describeError, getJson } from "../lib/api";
import { type AnswerMeta, type ChatMessage, streamChat } from "../lib/chat";
import { readJson, readText, writeJson, writeText, ADMIN_TOKEN_KEY, API_KEY_KEY } from "../lib/storage";
import { fmtCost } from "../lib/format";
import { haptic, inTelegram, setBackButton } from "../telegram";
import { AnswerInfo } from "./AnswerInfo";
import {
  type Conversation,
  type Turn,
  loadConversations,
  loadCurrentId,
  newId,
  saveConversations,
  saveCurrentId,
  titleFrom,
} from "./conversations";
import { ModelCard, type ModelEntry } from "./ModelCard";
import { Wallet } from "./Wallet";

type Panel = null | "chats" | "wallet";
interface Settings {
  maxTokens: number;
  temperature: string;
}
const SETTINGS_KEY = "chrysalis.chatSettings";
const MODEL_KEY = "chrysalis.model";

function history(turns: Turn[]): ChatMessage[] {
  return turns.filter((t) => t.content).map((t) => ({ role: t.role, content: t.content }));
}

export function ChatView() {
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [modelsError, setModelsError] = useState("");
  const [modelsLoaded, setModelsLoaded] = useState(false);
  const [model, setModel] = useState(() => readText("local", MODEL_KEY));
  const [convs, setConvs] = useState<Conversation[]>(loadConversations);
  const [currentId, setCurrentId] = useState(loadCurrentId);
  const [input, setInput] = useState("");
  const [streaming, setStreaming] = useState<{ turnId: string; controller: AbortController } | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [token, setTokenState] = useState(() => readText("session", ADMIN_TOKEN_KEY));
  const [apiKey, setApiKeyState] = useState(() => readText("session", API_KEY_KEY));
  const [needKey, setNeedKey] = useState(false);
  const [settings, setSettings] = useState<Settings>(() => ({ maxTokens: 256, temperature: "", ...readJson("local", SETTINGS_KEY, {}) }));
  const [status, setStatus] = useState("");
  const [walletRefresh, setWalletRefresh] = useState(0);
  const listRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const stickToBottom = useRef(true);

  const current = convs.find((c) => c.id === currentId);
  const turns = current?.turns ?? [];

  const setToken = (t: string) => {
    writeText("session", ADMIN_TOKEN_KEY, t);
    setTokenState(t);
  };
  const setApiKey = (k: string) => {
    writeText("session", API_KEY_KEY, k);
    setApiKeyState(k);
  };

  // Models: at start, every 30 s, and after each answer (what the client verified grows).
  const loadModels = useCallback(async () => {
    try {
      const list = await getJson<{ data?: ModelEntry[] }>("v1/models", apiKey || undefined);
      const data = Array.isArray(list.data) ? list.data.filter((m) => m && typeof m.id === "string") : [];
      setModels(data);
      setModelsError("");
      setNeedKey(false);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setNeedKey(true);
      setModelsError(describeError(e, "apikey"));
    } finally {
      setModelsLoaded(true);
    }
  }, [apiKey]);
  useEffect(() => {
    loadModels();
    const t = setInterval(loadModels, 30_000);
    return () => clearInterval(t);
  }, [loadModels]);
  useEffect(() => {
    if (models.length && !models.some((m) => m.id === model)) setModel(models[0].id);
  }, [models, model]);
  useEffect(() => writeText("local", MODEL_KEY, model), [model]);
  useEffect(() => {
    writeJson("local", SETTINGS_KEY, settings);
  }, [settings]);

  // Panels: Escape and Telegram's back button close them; focus goes in, and back to where it was.
  const opener = useRef<HTMLElement | null>(null);
  useEffect(() => {
    setBackButton(panel ? () => setPanel(null) : null);
    if (!panel) {
      opener.current?.focus();
      opener.current = null;
      return;
    }
    if (!opener.current && document.activeElement instanceof HTMLElement) opener.current = document.activeElement;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setPanel(null);
    };
    window.addEventListener("keydown", onKey);
    const first = document.querySelector<HTMLElement>(".drawer.open [data-autofocus], .drawer.open button, .drawer.open input");
    first?.focus();
    return () => window.removeEventListener("keydown", onKey);
  }, [panel]);

  // Keep the newest text in view while the user has not scrolled up.
  useEffect(() => {
    const el = listRef.current;
    if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
  });

  const persist = (next: Conversation[]) => saveConversations(next);

  const updateTurn = (convId: string, turnId: string, f: (t: Turn) => Turn, save = false) => {
    setConvs((list) => {
      const next = list.map((c) =>
        c.id !== convId ? c : { ...c, updated: Date.now(), turns: c.turns.map((t) => (t.id === turnId ? f(t) : t)) },
      );
      if (save) persist(next);
      return next;
    });
  };

  const run = async (convId: string, turnId: string, messages: ChatMessage[]) => {
    const controller = new AbortController();
    setStreaming({ turnId, controller });
    setStatus("Answering…");
    stickToBottom.current = true;
    let meta: AnswerMeta = { model };
    const temperature = settings.temperature.trim() === "" ? undefined : Number(settings.temperature);
    try {
      meta = await streamChat(
        {
          model,
          messages,
          max_tokens: settings.maxTokens > 0 ? settings.maxTokens : undefined,
          ...(temperature !== undefined && Number.isFinite(temperature) ? { temperature } : {}),
        },
        controller.signal,
        {
          onRoute: (route) => updateTurn(convId, turnId, (t) => ({ ...t, meta: { ...t.meta, route } })),
          onDelta: (text) => updateTurn(convId, turnId, (t) => ({ ...t, content: t.content + text })),
          onMeta: (m) => {
            meta = m;
            updateTurn(convId, turnId, (t) => ({ ...t, meta: { ...t.meta, ...m } }));
          },
        },
        apiKey || undefined,
      );
      updateTurn(convId, turnId, (t) => ({ ...t, meta: { ...t.meta, ...meta } }), true);
      const cost = meta.chrysalis?.cost_nano;
      setStatus(`Answer complete${meta.usage ? `: ${meta.usage.total_tokens ?? "?"} tokens` : ""}${cost ? `, ${fmtCost(cost)}` : ""}.`);
      haptic("success");
    } catch (e) {
      const aborted = e instanceof DOMException && e.name === "AbortError";
      updateTurn(
        convId,
        turnId,
        (t) => ({ ...t, meta: { ...t.meta, ...meta, ...(aborted ? { stopped: true } : { error: describeError(e, "apikey") }) } }),
        true,
      );
      setStatus(aborted ? "Stopped." : "The answer failed: " + describeError(e, "apikey"));
      if (!aborted) haptic("error");
      if (e instanceof ApiError && e.status === 402) setWalletRefresh((n) => n + 1);
    } finally {
      setStreaming(null);
      loadModels();
      setWalletRefresh((n) => n + 1);
    }
  };

  const send = (e?: Event) => {
    e?.preventDefault();
    const text = input.trim();
    if (!text || streaming || !model) return;
    haptic("tap");
    const now = Date.now();
    const user: Turn = { id: newId(), role: "user", content: text, at: now };
    const answer: Turn = { id: newId(), role: "assistant", content: "", meta: { model }, at: now };
    let conv = current;
    let next: Conversation[];
    if (!conv) {
      conv = { id: newId(), title: titleFrom(text), model, turns: [user, answer], updated: now };
      next = [conv, ...convs];
      setCurrentId(conv.id);
      saveCurrentId(conv.id);
    } else {
      const updated: Conversation = { ...conv, model, updated: now, turns: [...conv.turns, user, answer] };
      if (conv.turns.length === 0) updated.title = titleFrom(text);
      next = convs.map((c) => (c.id === conv!.id ? updated : c));
      conv = updated;
    }
    setConvs(next);
    persist(next);
    setInput("");
    run(conv.id, answer.id, history([...conv.turns.slice(0, -1)]));
  };

  const regenerate = () => {
    if (!current || streaming) return;
    const last = current.turns[current.turns.length - 1];
    if (!last || last.role !== "assistant") return;
    const answer: Turn = { id: newId(), role: "assistant", content: "", meta: { model }, at: Date.now() };
    const kept = current.turns.slice(0, -1);
    const updated: Conversation = { ...current, model, updated: Date.now(), turns: [...kept, answer] };
    const next = convs.map((c) => (c.id === current.id ? updated : c));
    setConvs(next);
    persist(next);
    run(current.id, answer.id, history(kept));
  };

  const stop = () => streaming?.controller.abort();

  const newChat = () => {
    if (streaming) return;
    setCurrentId("");
    saveCurrentId("");
    setPanel(null);
    inputRef.current?.focus();
  };

  const openConversation = (id: string) => {
    if (streaming) return;
    setCurrentId(id);
    saveCurrentId(id);
    setPanel(null);
  };

  const deleteConversation = (id: string) => {
    const next = convs.filter((c) => c.id !== id);
    setConvs(next);
    persist(next);
    if (id === currentId) {
      setCurrentId("");
      saveCurrentId("");
    }
  };

  const onKeyDown = (e: TargetedKeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  };

  const selected = useMemo(() => models.find((m) => m.id === model), [models, model]);
  const lastTurn = turns[turns.length - 1];
  const sorted = useMemo(() => [...convs].sort((a, b) => b.updated - a.updated), [convs]);

  const conversationsList = (
    <nav aria-label="Conversations" class="conv-nav">
      <button type="button" class="btn block" onClick={newChat} disabled={!!streaming}>
        New chat
      </button>
      {sorted.length === 0 ? (
        <p class="muted small">Conversations are kept in this browser only.</p>
      ) : (
        <ul class="conv-list">
          {sorted.map((c) => (
            <li key={c.id} class={c.id === currentId ? "active" : ""}>
              <button
                type="button"
                class="conv-open"
                aria-current={c.id === currentId ? "true" : undefined}
                onClick={() => openConversation(c.id)}
                disabled={!!streaming}
              >
                <span class="conv-title">{c.title}</span>
                <span class="muted small">{new Date(c.updated).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" })}</span>
              </button>
              <button type="button" class="icon-btn" aria-label={`Delete conversation “${c.title}”`} onClick={() => deleteConversation(c.id)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );

  return (
    <div class="chat-app">
      <header class="topbar">
        <button
          type="button"
          class="btn ghost small only-narrow"
          aria-expanded={panel === "chats"}
          aria-controls="drawer-chats"
          onClick={() => setPanel(panel === "chats" ? null : "chats")}
        >
          Chats
        </button>
        <h1 class="brand">
          <span class="logo" aria-hidden="true" />
          Chrysalis
        </h1>
        <div class="model-pick">
          <label for="model-select">Model</label>
          <select id="model-select" value={model} onChange={(e) => setModel(e.currentTarget.value)} disabled={!models.length}>
            {!models.length && <option value="">{modelsLoaded ? "no model available" : "loading…"}</option>}
            {models.map((m) => (
              <option value={m.id} key={m.id}>
                {m.id} ({m.workers ?? 0} worker{m.workers === 1 ? "" : "s"})
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          class="btn ghost small"
          aria-expanded={panel === "wallet"}
          aria-controls="drawer-wallet"
          onClick={() => setPanel(panel === "wallet" ? null : "wallet")}
        >
          Wallet
        </button>
        {!inTelegram() && (
          <a class="btn ghost small hide-narrow" href={appRoot() + "dashboard"}>
            Dashboard
          </a>
        )}
      </header>

      <div class="chat-body">
        <aside class="sidebar hide-narrow" aria-label="Conversation list">
          {conversationsList}
        </aside>

        <main class="chat-main" id="main">
          {modelsError && (
            <div class="alert" role="alert">
              {modelsError}
              {needKey && (
                <form
                  class="row"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const v = (e.currentTarget.elements.namedItem("apikey") as HTMLInputElement).value.trim();
                    setApiKey(v);
                  }}
                >
                  <label for="apikey">API key</label>
                  <input id="apikey" name="apikey" type="password" autocomplete="off" />
                  <button class="btn small" type="submit">
                    Use key
                  </button>
                </form>
              )}
            </div>
          )}
          <ModelCard model={selected} />
          <div
            class="messages"
            ref={listRef}
            onScroll={(e) => {
              const el = e.currentTarget;
              stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
            }}
          >
            {turns.length === 0 ? (
              <div class="empty">
                <p>Ask something. The answer streams from an attested worker, sealed end to end, and you pay per token.</p>
                <p class="muted small">Your conversations stay in this browser.</p>
              </div>
            ) : (
              <ol class="turns" aria-label="Conversation">
                {turns.map((t) => {
                  const isStreaming = streaming?.turnId === t.id;
                  return (
                    <li key={t.id} class={"turn " + t.role} data-testid={t.role === "assistant" ? "answer" : "question"} aria-busy={isStreaming ? "true" : undefined}>
                      <div class="who">{t.role === "user" ? "You" : (t.meta?.route?.worker ?? t.meta?.model ?? "Assistant")}</div>
                      <div class="bubble">
                        {(t.content || isStreaming || !t.meta?.error) && (
                          <div class="text" data-testid={t.role === "assistant" ? "answer-text" : undefined} data-chars={t.content.length}>
                            {t.content || (isStreaming ? <span class="muted">waiting for the first token…</span> : <span class="muted">(no text)</span>)}
                            {isStreaming && t.content && <span class="cursor" aria-hidden="true" />}
                          </div>
                        )}
                        {t.role === "assistant" && t.meta && <AnswerInfo meta={t.meta} streaming={isStreaming} />}
                        {t.role === "assistant" && t === lastTurn && !streaming && (
                          <div class="turn-actions">
                            <button type="button" class="btn ghost small" onClick={regenerate}>
                              Regenerate
                            </button>
                          </div>
                        )}
                      </div>
                    </li>
                  );
                })}
              </ol>
            )}
          </div>

          <form class="composer" onSubmit={send} aria-label="Send a message">
            <label for="message" class="sr-only">
              Message
            </label>
            <textarea
              id="message"
              ref={inputRef}
              rows={2}
              placeholder={model ? `Message ${model}` : "No model yet"}
              value={input}
              onInput={(e) => setInput(e.currentTarget.value)}
              onKeyDown={onKeyDown}
            />
            <div class="composer-buttons">
              {streaming ? (
                <button type="button" class="btn danger" onClick={stop} data-testid="stop">
                  Stop
                </button>
              ) : (
                <button type="submit" class="btn" disabled={!input.trim() || !model} data-testid="send">
                  Send
                </button>
              )}
            </div>
            <details class="options">
              <summary>Options</summary>
              <div class="row wrap">
                <label>
                  Max tokens{" "}
                  <input
                    type="number"
                    min={1}
                    max={32768}
                    value={settings.maxTokens}
                    onInput={(e) => setSettings({ ...settings, maxTokens: Math.max(0, Math.floor(Number(e.currentTarget.value) || 0)) })}
                  />
                </label>
                <label>
                  Temperature{" "}
                  <input
                    type="text"
                    inputMode="decimal"
                    placeholder="default"
                    value={settings.temperature}
                    onInput={(e) => setSettings({ ...settings, temperature: e.currentTarget.value })}
                  />
                </label>
              </div>
            </details>
          </form>
          <p class="sr-only" role="status" aria-live="polite" data-testid="status">
            {status}
          </p>
        </main>
      </div>

      <div class={"drawer left" + (panel === "chats" ? " open" : "")} id="drawer-chats" hidden={panel !== "chats"} role="dialog" aria-label="Conversations">
        <div class="drawer-head">
          <h2>Conversations</h2>
          <button type="button" class="icon-btn" aria-label="Close conversations" onClick={() => setPanel(null)}>
            ×
          </button>
        </div>
        {conversationsList}
      </div>
      <div class={"drawer right" + (panel === "wallet" ? " open" : "")} id="drawer-wallet" hidden={panel !== "wallet"} role="dialog" aria-label="Wallet">
        <div class="drawer-head">
          <h2>Wallet</h2>
          <button type="button" class="icon-btn" aria-label="Close wallet" onClick={() => setPanel(null)}>
            ×
          </button>
        </div>
        {panel === "wallet" && <Wallet token={token} onToken={setToken} refreshKey={walletRefresh} />}
      </div>
      {panel && <div class="scrim" onClick={() => setPanel(null)} aria-hidden="true" />}
    </div>
  );
}
