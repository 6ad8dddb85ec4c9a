// The node's live counters: server-sent events from GET /stats/stream ("event: stats", data = the
// /stats JSON, about once a second); where that endpoint is missing or fails, GET /stats every 2 s.
import { useEffect, useRef, useState } from "preact/hooks";
import { apiUrl, describeError, getJson } from "../lib/api";

export type FeedMode = "connecting" | "live" | "polling" | "offline";
export type Stats = Record<string, any>;

export interface Feed {
  stats: Stats | null;
  prev: { stats: Stats; at: number } | null;
  at: number;
  mode: FeedMode;
  error: string;
  tick: number;
  /** Fetches /stats now (after an action), whatever the feed. */
  refresh: () => void;
}

const POLL_MS = 2000;
const SSE_RETRY_MS = 15_000;

export function useStatsFeed(): Feed {
  const [feed, setFeed] = useState<Omit<Feed, "refresh">>({ stats: null, prev: null, at: 0, mode: "connecting", error: "", tick: 0 });
  const alive = useRef(true);
  const refreshRef = useRef<() => void>(() => {});

  useEffect(() => {
    alive.current = true;
    let es: EventSource | null = null;
    let poll: ReturnType<typeof setInterval> | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let sseWorked = false;

    const take = (stats: Stats, mode: FeedMode) => {
      if (!alive.current || !stats || typeof stats !== "object") return;
      setFeed((f) => ({
        stats,
        prev: f.stats ? { stats: f.stats, at: f.at } : null,
        at: Date.now(),
        mode,
        error: "",
        tick: f.tick + 1,
      }));
    };
    const fetchOnce = async (mode: FeedMode) => {
      try {
        take(await getJson<Stats>("stats"), mode);
      } catch (e) {
        if (alive.current) setFeed((f) => ({ ...f, mode: "offline", error: describeError(e), tick: f.tick + 1 }));
      }
    };
    const startPolling = () => {
      if (poll) return;
      setFeed((f) => ({ ...f, mode: f.mode === "offline" ? "offline" : "polling" }));
      fetchOnce("polling");
      poll = setInterval(() => fetchOnce("polling"), POLL_MS);
    };
    const stopPolling = () => {
      if (poll) clearInterval(poll);
      poll = null;
    };
    const startSse = () => {
      if (typeof EventSource === "undefined") return startPolling();
      let source: EventSource;
      try {
        source = new EventSource(apiUrl("stats/stream"));
      } catch {
        return startPolling();
      }
      es = source;
      const onData = (ev: MessageEvent) => {
        try {
          const stats = JSON.parse(ev.data);
          sseWorked = true;
          stopPolling();
          take(stats, "live");
        } catch {
          /* a malformed event: wait for the next */
        }
      };
      source.addEventListener("stats", onData as EventListener);
      source.onmessage = onData;
      source.onerror = () => {
        // Missing endpoint (404, wrong type) or a dropped connection: poll instead. If the stream
        // worked before, try it again later (the node may have restarted).
        source.close();
        if (es === source) es = null;
        startPolling();
        if (sseWorked && alive.current) retry = setTimeout(startSse, SSE_RETRY_MS);
      };
    };

    refreshRef.current = () => fetchOnce(es ? "live" : poll ? "polling" : "connecting");
    fetchOnce("connecting"); // the first picture at once, whichever feed follows
    startSse();
    return () => {
      alive.current = false;
      es?.close();
      stopPolling();
      if (retry) clearTimeout(retry);
    };
  }, []);

  return { ...feed, refresh: () => refreshRef.current() };
}
