import type { ComponentChildren } from "preact";
import type { Loaded } from "../hooks.js";

/** Small pieces every page uses: sections, states, badges, key-value tables. */

export function Section({ title, id, children, actions }: { title: string; id?: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-heading`;
  return (
    <section class="card" aria-labelledby={headingId} id={id}>
      <div class="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function ErrorBox({ error }: { error: Error }) {
  return (
    <div class="error" role="alert">
      {error.message}
    </div>
  );
}

/** The loading and error states of a load; renders `children(data)` once it is there. */
export function Await<T>({ load, children }: { load: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (load.error) return <ErrorBox error={load.error} />;
  if (load.data === undefined) return <p class="muted" aria-busy="true">Loading…</p>;
  return <>{children(load.data)}</>;
}

const STATUS_CLASS: Record<string, string> = { FINISHED: "ok", FAILED: "bad", KILLED: "neutral", RUNNING: "info", SCHEDULED: "info" };

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${STATUS_CLASS[status] ?? "neutral"}`}>{status.toLowerCase()}</span>;
}

export function Chip({ children, kind = "alias", title }: { children: ComponentChildren; kind?: "alias" | "tag"; title?: string }) {
  return (
    <span class={`chip ${kind}`} title={title}>
      {children}
    </span>
  );
}

export function StageBadge({ stage }: { stage: string }) {
  const kind = stage === "Production" ? "ok" : stage === "Staging" ? "info" : stage === "Archived" ? "neutral" : "plain";
  return <span class={`badge ${kind}`}>{stage}</span>;
}

/** A table's column headings, each a `<th scope="col">` (what a screen reader announces with every cell). */
export function ColumnHeads({ names }: { names: ComponentChildren[] }) {
  return (
    <thead>
      <tr>
        {names.map((name, i) => (
          <th key={i} scope="col">
            {name}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A two-column table of keys and values (params, tags); empty → a short sentence. */
export function KeyValues({ values, empty, label }: { values: Record<string, ComponentChildren>; empty: string; label: string }) {
  const keys = Object.keys(values).sort();
  if (keys.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class="kv">
      <caption class="sr-only">{label}</caption>
      <ColumnHeads names={["Key", "Value"]} />
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td class="mono wrap">{values[k]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Labelled facts (a version's lineage, a run's, a pipeline's settings); empty values are left out. */
export function Facts({ facts }: { facts: [string, ComponentChildren][] }) {
  const shown = facts.filter(([, v]) => v !== undefined && v !== null && v !== "");
  if (shown.length === 0) return null;
  return (
    <dl class="facts">
      {shown.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd class="wrap">{v}</dd>
        </div>
      ))}
    </dl>
  );
}
