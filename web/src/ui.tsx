// Small shared pieces: sections, key/value lists, tables, badges, hashes, the admin token form.
import type { ComponentChildren, TargetedEvent } from "preact";
import { useState } from "preact/hooks";
import { DASH, fmtAny } from "./lib/format";

export function Section(props: { title: string; id?: string; children: ComponentChildren; actions?: ComponentChildren; class?: string }) {
  const id = props.id ?? "s-" + props.title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return (
    <section class={"card " + (props.class ?? "")} aria-labelledby={id}>
      <div class="card-head">
        <h2 id={id}>{props.title}</h2>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

export type KVRow = [label: string, value: ComponentChildren, title?: string];

/** A definition list; rows whose value is undefined are left out. */
export function KV(props: { rows: (KVRow | null | undefined | false)[]; class?: string }) {
  const rows = props.rows.filter((r): r is KVRow => !!r && r[1] !== undefined);
  if (!rows.length) return <p class="muted">Nothing reported.</p>;
  return (
    <dl class={"kv " + (props.class ?? "")}>
      {rows.map(([k, v, title]) => (
        <div class="kv-row" key={k}>
          <dt>{k}</dt>
          <dd title={title}>{v === null || v === "" ? DASH : v}</dd>
        </div>
      ))}
    </dl>
  );
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  class?: string;
  title?: (row: T) => string | undefined;
}

/** A table that scrolls sideways inside its own box on narrow screens. */
export function Table<T>(props: { rows: T[]; columns: Column<T>[]; caption: string; empty?: string; rowKey?: (r: T, i: number) => string; testid?: string }) {
  if (!props.rows.length) return <p class="muted">{props.empty ?? "None."}</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={props.caption} data-testid={props.testid}>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" class={c.class} key={c.label}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={props.rowKey ? props.rowKey(r, i) : String(i)}>
              {props.columns.map((c) => (
                <td class={c.class} key={c.label} title={c.title?.(r)}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Badge(props: { tone?: "ok" | "warn" | "bad" | "info" | "muted"; children: ComponentChildren; title?: string; testid?: string }) {
  return (
    <span class={"badge " + (props.tone ?? "info")} title={props.title} data-testid={props.testid}>
      {props.children}
    </span>
  );
}

/** A shortened hash; the whole value in the tooltip and selectable. */
export function Hash(props: { value: unknown; n?: number }) {
  const v = typeof props.value === "string" ? props.value : "";
  if (!v) return <span class="muted">{DASH}</span>;
  const n = props.n ?? 10;
  return (
    <code class="hash" title={v}>
      {v.length > n + 1 ? v.slice(0, n) + "…" : v}
    </code>
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Every scalar field of an object, nested keys joined with "·" (for sections we do not model). */
export function AutoKV(props: { data: unknown; skip?: string[]; prefix?: string }) {
  const rows: KVRow[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (isPlainObject(v)) {
      const keys = Object.keys(v);
      if (!keys.length && path.length) rows.push([path.join(" · "), "none"]);
      for (const k of keys) {
        if (!path.length && props.skip?.includes(k)) continue;
        walk(v[k], [...path, k.replace(/_/g, " ")]);
      }
    } else if (Array.isArray(v) && v.some(isPlainObject)) {
      rows.push([path.join(" · "), `${v.length} item(s)`]);
    } else {
      rows.push([path.join(" · ") || (props.prefix ?? "value"), fmtAny(v)]);
    }
  };
  walk(props.data, []);
  return <KV rows={rows} class="auto" />;
}

/** The node's admin token, kept for this tab (sessionStorage). */
export function TokenForm(props: { token: string; onToken: (t: string) => void; hint: ComponentChildren; idPrefix: string }) {
  const [draft, setDraft] = useState("");
  const submit = (e: TargetedEvent<HTMLFormElement, Event>) => {
    e.preventDefault();
    if (draft.trim()) props.onToken(draft.trim());
    setDraft("");
  };
  if (props.token)
    return (
      <div class="token-set">
        <span>
          <Badge tone="ok">admin token set</Badge> <span class="muted">for this tab only</span>
        </span>
        <button type="button" class="btn ghost small" onClick={() => props.onToken("")}>
          Forget token
        </button>
      </div>
    );
  return (
    <form class="token-form" onSubmit={submit}>
      <label for={props.idPrefix + "-token"}>Admin token</label>
      <div class="row">
        <input
          id={props.idPrefix + "-token"}
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          placeholder="paste the node's admin token"
        />
        <button type="submit" class="btn" disabled={!draft.trim()}>
          Use token
        </button>
      </div>
      <p class="muted small">{props.hint}</p>
    </form>
  );
}
