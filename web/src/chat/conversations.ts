// Conversations live in this browser only (localStorage); the network keeps nothing.
import type { AnswerMeta } from "../lib/chat";
import { readJson, readText, writeJson, writeText } from "../lib/storage";

export interface Turn {
  id: string;
  role: "user" | "assistant";
  content: string;
  meta?: AnswerMeta;
  at: number;
}

export interface Conversation {
  id: string;
  title: string;
  model: string;
  turns: Turn[];
  updated: number;
}

const KEY = "chrysalis.conversations.v1";
const CURRENT = "chrysalis.currentConversation";
const MAX_CONVERSATIONS = 50;

export function newId(): string {
  const a = new Uint8Array(8);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function loadConversations(): Conversation[] {
  const list = readJson<unknown>("local", KEY, []);
  if (!Array.isArray(list)) return [];
  return list.filter(
    (c): c is Conversation => !!c && typeof c === "object" && typeof c.id === "string" && Array.isArray(c.turns),
  );
}

export function saveConversations(list: Conversation[]): void {
  const kept = [...list].sort((a, b) => b.updated - a.updated).slice(0, MAX_CONVERSATIONS);
  if (!writeJson("local", KEY, kept)) {
    // Full: drop the oldest half and try once more.
    writeJson("local", KEY, kept.slice(0, Math.ceil(kept.length / 2)));
  }
}

export function loadCurrentId(): string {
  return readText("local", CURRENT);
}

export function saveCurrentId(id: string): void {
  writeText("local", CURRENT, id);
}

export function titleFrom(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 48 ? t.slice(0, 47) + "…" : t || "New chat";
}
