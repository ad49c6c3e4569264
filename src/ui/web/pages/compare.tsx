import { useState } from "preact/hooks";
import type { RunInfoJson } from "../../../mlflow/json.js";
import type { ComparedKey, Comparison } from "../../../tracking/compare.js";
import { metricHistory, metricValue, uiGet } from "../api.js";
import { Await, Section, StatusBadge } from "../components/bits.js";
import { LineChart, PALETTE } from "../components/chart.js";
import { num, shortId } from "../format.js";
import { useLoad, useTitle } from "../hooks.js";
import { href } from "../router.js";

/**
 * Two or more runs side by side: params and latest metrics compared by the server with the
 * same code as `mlf track compare` (a differing row is highlighted and marked in words), and
 * each metric's histories overlaid on one chart.
 */

type Compared = Comparison & { runs: RunInfoJson[] };

function CompareTable({ title, keys, names, onlyDiff, numeric }: { title: string; keys: ComparedKey[]; names: string[]; onlyDiff: boolean; numeric?: boolean }) {
  const shown = onlyDiff ? keys.filter((k) => k.differs) : keys;
  if (keys.length === 0) return <p class="muted">None logged.</p>;
  return (
    <div class="table-scroll">
      <table class="grid compare">
        <caption class="sr-only">{title} of the compared runs; rows whose values differ are marked</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            {names.map((n, i) => <th scope="col" key={i}><span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />{n}</th>)}
          </tr>
        </thead>
        <tbody>
          {shown.map((k) => (
            <tr key={k.key} class={k.differs ? "diff" : undefined}>
              <th scope="row">
                {k.key}
                {k.differs && <span class="diff-mark" title="The values differ">≠<span class="sr-only"> values differ</span></span>}
              </th>
              {k.values.map((v, i) => (
                <td key={i} class={numeric ? "num" : "mono"}>{v === undefined || v === null ? <span class="muted">—</span> : numeric ? num(v) : String(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p class="muted">Every value is the same in all runs.</p>}
    </div>
  );
}

function OverlaidCharts({ data }: { data: Compared }) {
  const keys = data.metrics.map((m) => m.key);
  const histories = useLoad(
    () => Promise.all(keys.map((k) => Promise.all(data.runIds.map((id, i) => (data.metrics.find((m) => m.key === k)!.values[i] === undefined ? Promise.resolve([]) : metricHistory(id, k)))))),
    [data.runIds.join(",")],
  );
  if (keys.length === 0) return <p class="muted">No metrics to chart.</p>;
  return (
    <Await load={histories}>
      {(all) => {
        const charted = keys.filter((_, ki) => all[ki]!.some((points) => points.length > 1));
        const once = keys.filter((k) => !charted.includes(k));
        return (
          <>
            <div class="charts">
              {charted.map((k) => {
                const ki = keys.indexOf(k);
                return (
                  <figure key={k} class="chart-card">
                    <figcaption><span class="metric-name">{k}</span></figcaption>
                    <LineChart
                      title={k}
                      series={data.runIds.map((id, i) => ({ label: data.runNames[i] || shortId(id), points: all[ki]![i]!.map((p) => ({ step: p.step, value: metricValue(p.value) })) }))}
                    />
                  </figure>
                );
              })}
            </div>
            {once.length > 0 && <p class="muted small">Logged once per run, so compared in the table above only: {once.join(", ")}.</p>}
          </>
        );
      }}
    </Await>
  );
}

export function ComparePage({ ids }: { ids: string[] }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  useTitle(`Compare ${ids.length} runs`);
  const compared = useLoad(() => uiGet<Compared>("/compare", { run_id: ids }), [ids.join(",")]);
  return (
    <Await load={compared}>
      {(data) => {
        const names = data.runIds.map((id, i) => data.runNames[i] || shortId(id));
        return (
          <>
            <div class="page-head">
              <h1>Compare {data.runIds.length} runs</h1>
            </div>
            <ul class="run-list">
              {data.runs.map((r, i) => (
                <li key={r.run_id}>
                  <span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
                  <a href={href("runs", r.run_id)}>{names[i]}</a> <span class="muted mono small">{shortId(r.run_id)}</span> <StatusBadge status={r.status} />
                </li>
              ))}
            </ul>
            <label class="inline check">
              <input type="checkbox" checked={onlyDiff} onChange={() => setOnlyDiff(!onlyDiff)} /> Show only differences
            </label>
            <div class="two">
              <Section title="Parameters">
                <CompareTable title="Parameters" keys={data.params} names={names} onlyDiff={onlyDiff} />
              </Section>
              <Section title="Metrics (latest values)" id="latest-metrics">
                <CompareTable title="Latest metrics" keys={data.metrics} names={names} onlyDiff={onlyDiff} numeric />
              </Section>
            </div>
            <Section title="Metric histories" id="metric-histories">
              <OverlaidCharts data={data} />
            </Section>
          </>
        );
      }}
    </Await>
  );
}
