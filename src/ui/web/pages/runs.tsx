import { useEffect, useState } from "preact/hooks";
import { mlflowGet, mlflowSend, metricValue, record, type ExperimentJson, type RunJson, type RunsPage } from "../api.js";
import { ErrorBox, StatusBadge } from "../components/bits.js";
import { duration, minute, num, shortId, time } from "../format.js";
import { useLoad, useTitle } from "../hooks.js";
import { href, setQuery, type Route } from "../router.js";

/**
 * Experiments and their runs: MLflow's runs/search, paged on the server (one page of rows is
 * fetched and drawn, whatever the store's size), filtered with MLflow's grammar and sorted by
 * any column. The columns are the metrics and params of the runs on the page.
 */

const PAGE_SIZES = [25, 50, 100, 200];

/** `metrics.\`auc\`` and the like: backticks let any key name through MLflow's parser. */
const sortKey = (kind: "metrics" | "params" | "attributes", name: string) => `${kind}.\`${name}\``;

function parseOrder(order: string | null): { key: string; descending: boolean } {
  const m = /^(.*?)\s+(ASC|DESC)$/i.exec(order ?? "");
  return m ? { key: m[1]!, descending: m[2]!.toUpperCase() === "DESC" } : { key: sortKey("attributes", "start_time"), descending: true };
}

function Experiments({ experiments, current }: { experiments: ExperimentJson[]; current: string }) {
  return (
    <nav class="side" aria-label="Experiments">
      <h2 class="side-title">Experiments</h2>
      <ul>
        {experiments.map((e) => (
          <li key={e.experiment_id}>
            <a href={href("experiments", e.experiment_id)} aria-current={e.experiment_id === current ? "page" : undefined}>
              <span class="name">{e.name}</span>
              <span class="muted small">id {e.experiment_id}</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function FilterForm({ route, error }: { route: Route; error?: Error }) {
  const [text, setText] = useState(route.query.get("filter") ?? "");
  useEffect(() => setText(route.query.get("filter") ?? ""), [route.query.get("filter")]);
  return (
    <form
      class="filter"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        setQuery(route, { filter: text.trim() || undefined });
      }}
    >
      <label for="run-filter">Filter runs</label>
      <div class="filter-row">
        <input
          id="run-filter"
          class="mono"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          placeholder="metrics.auc > 0.8 and params.model = 'lr'"
          aria-describedby="run-filter-help"
          aria-invalid={error ? "true" : undefined}
          spellcheck={false}
          autocomplete="off"
        />
        <button type="submit" class="primary">Search</button>
        {route.query.get("filter") && (
          <button type="button" onClick={() => setQuery(route, { filter: undefined })}>
            Clear
          </button>
        )}
      </div>
      <p id="run-filter-help" class="muted small">
        MLflow's search syntax: <code>metrics.</code>, <code>params.</code>, <code>tags.</code> and <code>attributes.</code> keys joined by <code>and</code>.
      </p>
    </form>
  );
}

function SortHeader({ label, sort, order, route, kind }: { label: string; sort: string; order: { key: string; descending: boolean }; route: Route; kind?: string }) {
  const active = order.key === sort;
  // A first click sorts metrics best-first (descending) and names A-Z; a second click turns it round.
  const firstDescending = kind === "metric" || sort.endsWith("start_time`");
  const descending = active ? !order.descending : firstDescending;
  return (
    <th scope="col" aria-sort={active ? (order.descending ? "descending" : "ascending") : "none"} class={kind}>
      <button type="button" class="sort" onClick={() => setQuery(route, { order: `${sort} ${descending ? "DESC" : "ASC"}` })}>
        {label}
        <span aria-hidden="true" class="arrow">{active ? (order.descending ? "▼" : "▲") : "↕"}</span>
      </button>
    </th>
  );
}

function RunsTable({ runs, route, selected, toggle }: { runs: RunJson[]; route: Route; selected: Set<string>; toggle: (id: string) => void }) {
  const order = parseOrder(route.query.get("order"));
  const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  useEffect(() => {
    // The benchmark's first-paint mark: the rows are in the document and the next frame is drawn.
    requestAnimationFrame(() => performance.mark("mlf:runs-table"));
  }, [runs]);
  return (
    <div class="table-scroll runs-wrap">
      <table class="runs grid">
        <caption class="sr-only">Runs of the experiment, one per row, with their metrics and parameters</caption>
        <thead>
          <tr class="groups">
            <td colSpan={5} />
            {metricKeys.length > 0 && <th scope="colgroup" colSpan={metricKeys.length} class="metric">Metrics</th>}
            {paramKeys.length > 0 && <th scope="colgroup" colSpan={paramKeys.length} class="param">Parameters</th>}
          </tr>
          <tr>
            <th scope="col"><span class="sr-only">Select for comparison</span></th>
            <SortHeader label="Run" sort={sortKey("attributes", "run_name")} order={order} route={route} />
            <SortHeader label="Status" sort={sortKey("attributes", "status")} order={order} route={route} />
            <SortHeader label="Started" sort={sortKey("attributes", "start_time")} order={order} route={route} />
            <th scope="col">Duration</th>
            {metricKeys.map((k) => <SortHeader key={`m${k}`} label={k} sort={sortKey("metrics", k)} order={order} route={route} kind="metric" />)}
            {paramKeys.map((k) => <SortHeader key={`p${k}`} label={k} sort={sortKey("params", k)} order={order} route={route} kind="param" />)}
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const metrics = Object.fromEntries((r.data.metrics ?? []).map((m) => [m.key, metricValue(m.value)]));
            const params = record(r.data.params);
            const id = r.info.run_id;
            const end = r.info.end_time ?? (r.info.status === "RUNNING" ? Date.now() : undefined);
            return (
              <tr key={id} class={selected.has(id) ? "selected" : undefined}>
                <td>
                  <input type="checkbox" checked={selected.has(id)} onChange={() => toggle(id)} aria-label={`Select run ${r.info.run_name ?? id} for comparison`} />
                </td>
                <th scope="row" class="run-name">
                  <a href={href("runs", id)}>{r.info.run_name || shortId(id)}</a>
                  <span class="muted small mono">{shortId(id)}</span>
                </th>
                <td><StatusBadge status={r.info.status} /></td>
                <td class="nowrap" title={time(r.info.start_time)}>{minute(r.info.start_time)}</td>
                <td class="nowrap num">{r.info.start_time !== undefined && end !== undefined ? duration(end - r.info.start_time) : ""}</td>
                {metricKeys.map((k) => <td key={`m${k}`} class="num metric" title={metrics[k] === undefined ? undefined : String(metrics[k])}>{num(metrics[k])}</td>)}
                {paramKeys.map((k) => <td key={`p${k}`} class="param">{params[k] ?? ""}</td>)}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Runs({ experimentId, experiment, route }: { experimentId: string; experiment?: ExperimentJson; route: Route }) {
  const name = experiment?.name ?? `experiment ${experimentId}`;
  const filter = route.query.get("filter") ?? "";
  const order = route.query.get("order") ?? "";
  const size = Number(route.query.get("size")) || 50;
  // Page tokens of the pages before this one; a new query starts again from the first page.
  const query = JSON.stringify([filter, order, size]);
  const [paging, setPaging] = useState<{ query: string; tokens: string[] }>({ query, tokens: [] });
  const tokens = paging.query === query ? paging.tokens : [];
  const setTokens = (change: (t: string[]) => string[]) => setPaging({ query, tokens: change(tokens) });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useTitle(`${name} runs`);
  const token = tokens.at(-1);
  const page = useLoad(
    () => mlflowSend<RunsPage>("POST", "/runs/search", {
      experiment_ids: [experimentId], max_results: size,
      ...(filter && { filter }), ...(order && { order_by: [order] }), ...(token && { page_token: token }),
    }),
    [query, token],
  );
  const toggle = (id: string) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  const runs = page.data?.runs ?? [];
  const first = tokens.length * size + 1;
  return (
    <div class="runs-main">
      <div class="page-head">
        <h1>{name}</h1>
        {experiment && <span class="muted">experiment {experimentId}</span>}
      </div>
      <FilterForm route={route} {...(page.error && { error: page.error })} />
      <div class="toolbar">
        <button type="button" class="primary" disabled={selected.size < 2} onClick={() => (location.hash = href("compare", { runs: [...selected].join(",") }))}>
          Compare selected ({selected.size})
        </button>
        {selected.size > 0 && <button type="button" onClick={() => setSelected(new Set())}>Clear selection</button>}
        <span class="spacer" />
        <span class="muted" aria-live="polite">
          {page.loading ? "Loading…" : runs.length === 0 ? "No runs" : `Runs ${first}–${first + runs.length - 1}`}
        </span>
        <button type="button" disabled={tokens.length === 0} onClick={() => setTokens((t) => t.slice(0, -1))}>Previous</button>
        <button type="button" disabled={!page.data?.next_page_token} onClick={() => setTokens((t) => [...t, page.data!.next_page_token!])}>Next</button>
        <label class="inline">
          Rows per page{" "}
          <select value={String(size)} onChange={(e) => setQuery(route, { size: (e.target as HTMLSelectElement).value })}>
            {PAGE_SIZES.map((n) => <option key={n} value={String(n)}>{n}</option>)}
          </select>
        </label>
      </div>
      {page.error ? (
        <ErrorBox error={page.error} />
      ) : page.data === undefined ? (
        <p class="muted" aria-busy="true">Loading runs…</p>
      ) : runs.length === 0 ? (
        <p class="empty">{filter ? "No runs match this filter." : "This experiment has no runs yet; log one with mlf track run."}</p>
      ) : (
        <RunsTable runs={runs} route={route} selected={selected} toggle={toggle} />
      )}
    </div>
  );
}

export function RunsPage({ route }: { route: Route }) {
  const experiments = useLoad(() => mlflowGet<{ experiments?: ExperimentJson[] }>("/experiments/search", { max_results: 1000 }), []);
  const list = experiments.data?.experiments ?? (experiments.data ? [] : undefined);
  // An experiment named in the route is searched at once, beside the list (first paint needs no second round trip).
  const wanted = route.parts[1] ?? list?.[0]?.experiment_id;
  const experiment = list?.find((e) => e.experiment_id === wanted);
  return (
    <div class="with-side">
      {list ? <Experiments experiments={list} current={wanted ?? ""} /> : <nav class="side" aria-label="Experiments" aria-busy="true" />}
      {experiments.error ? (
        <ErrorBox error={experiments.error} />
      ) : wanted === undefined ? (
        list ? <ErrorBox error={new Error("The store has no experiments yet; log a run with mlf track run.")} /> : <p class="muted" aria-busy="true">Loading…</p>
      ) : (
        <Runs key={wanted} experimentId={wanted} {...(experiment && { experiment })} route={route} />
      )}
    </div>
  );
}
