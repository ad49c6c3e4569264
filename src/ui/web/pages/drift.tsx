import type { FeatureDrift } from "../../../monitor/drift.js";
import type { ModelDriftReport } from "../../../monitor/model-drift.js";
import type { DriftVersion, UiInfo } from "../../types.js";
import { uiGet } from "../api.js";
import { Await, Chip, ColumnHeads, Section, StageBadge } from "../components/bits.js";
import { CURRENT, HistogramBars, REFERENCE } from "../components/histogram.js";
import { num, time } from "../format.js";
import { useLoad, useTitle } from "../hooks.js";
import { href, type Route } from "../router.js";

/**
 * Drift: the model versions that have a reference (recorded at registration), and, for the
 * one picked, `mlf monitor drift --model NAME/N --since ...`: each input's test, score and
 * verdict, its distribution on both sides, the share of values served too old, and the data
 * set's verdict. Computed on request (it reads the logs with DuckDB); nothing is written.
 */

const SINCE = [["1h", "last hour"], ["24h", "last 24 hours"], ["7d", "last 7 days"], ["", "all logs"]] as const;
const pct = (x: number | undefined) => (x === undefined ? "" : `${(x * 100).toFixed(1)}%`);

function Versions({ versions, route }: { versions: DriftVersion[]; route: Route }) {
  if (versions.length === 0) {
    return <p class="empty">No model version has reference data yet. Register with mlf registry register --reference TRAINING_SET (or from a run with one --input) to monitor it.</p>;
  }
  const since = route.query.get("since") ?? "24h";
  return (
    <table class="grid">
      <caption class="sr-only">Model versions with reference data</caption>
      <ColumnHeads names={["Model version", "Stage and aliases", "Reference data", "Inputs", "Feature logs", <span class="sr-only">Check</span>]} />
      <tbody>
        {versions.map((v) => {
          const ref = `${v.model}/${v.version}`;
          return (
            <tr key={ref} class={route.query.get("model") === ref ? "selected" : undefined}>
              <th scope="row"><a href={href("models", v.model, String(v.version))}>{v.model} v{v.version}</a></th>
              <td><StageBadge stage={v.stage} /> {v.aliases.map((a) => <Chip key={a}>{a}</Chip>)}</td>
              <td class="wrap">
                <span class="mono small" title={v.reference.path}>{v.reference.path.split("/").at(-1)}</span>
                <span class="muted small"> {num(v.reference.rows)} rows{v.reference.present ? "" : ", file gone: the stored profile is used"}</span>
              </td>
              <td class="num">{v.reference.features.length}</td>
              <td class="num">{v.logs.files === 0 ? <span class="muted">none yet</span> : `${v.logs.files} file${v.logs.files === 1 ? "" : "s"}`}</td>
              <td><a class="button" href={href("drift", { model: ref, since })} aria-label={`Check drift of ${v.model} version ${v.version}`}>Check drift</a></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function FeatureRow({ f }: { f: FeatureDrift }) {
  const stale = f.current.statusShares?.OUTSIDE_MAX_AGE;
  return (
    <tr class={f.drifted ? "drifted" : undefined}>
      <th scope="row" class="wrap">{f.name}</th>
      <td>{f.kind}</td>
      <td>{f.title ?? <span class="muted">{f.note ?? "not tested"}</span>}</td>
      <td class="num">{f.score === null ? "" : `${f.approximate ? "~" : ""}${num(f.score)}`}</td>
      <td class="num">{f.threshold === null ? "" : num(f.threshold)}</td>
      <td>{f.drifted ? <span class="badge bad">drift</span> : <span class="badge ok">no drift</span>}</td>
      <td class="num">{pct(f.reference.missingShare)} / {pct(f.current.missingShare)}</td>
      <td class="num">{stale === undefined ? "" : pct(stale)}</td>
      <td><HistogramBars histogram={f.histogram} label={f.name} /></td>
    </tr>
  );
}

function sideText(side: ModelDriftReport["reference"]): string {
  switch (side.kind) {
    case "file":
      return `${side.path.split("/").at(-1)} (${num(side.rows)} rows)`;
    case "profile":
      return `stored profile of ${side.reference.split("/").at(-1)} (${num(side.rows)} rows)`;
    case "logs":
      return `${side.files} feature log file${side.files === 1 ? "" : "s"}${side.since ? ` since ${side.since}` : ""} (${num(side.rows)} rows)`;
  }
}

function Report({ model, since }: { model: string; since: string }) {
  const report = useLoad(() => uiGet<ModelDriftReport>("/drift/report", { model, ...(since && { since }) }), [model, since]);
  return (
    <Section title={`Drift of ${model.replace("/", " v")}`} id="drift-report" actions={
      <nav class="segmented" aria-label="Period">
        {SINCE.map(([value, label]) => <a key={value} href={href("drift", { model, since: value || "all" })} aria-current={(since || "all") === (value || "all") ? "true" : undefined}>{label}</a>)}
      </nav>
    }>
      <Await load={report}>
        {(r) => (
          <>
            <p class={`verdict ${r.dataset.drift ? "bad" : "ok"}`} role="status">
              <strong>{r.dataset.drift ? "Data set drift detected" : "No data set drift"}</strong>: {r.dataset.drifted} of {r.dataset.features} inputs drifted ({pct(r.dataset.share)}; the data set drifts at {pct(r.dataset.driftShare)}).
            </p>
            <p class="meta">
              <span>reference: {sideText(r.reference)}</span>
              <span>current: {sideText(r.current)}</span>
              <span>computed {time(Date.parse(r.generatedAt))}</span>
            </p>
            <div class="table-scroll">
              <table class="grid drift">
                <caption class="sr-only">Each input's drift test, score and verdict, with its distribution in the reference and the current data</caption>
                <ColumnHeads names={["Input", "Kind", "Test", "Score", "Threshold", "Verdict", "Missing (ref / cur)", "Too old", "Distribution"]} />
                <tbody>
                  {r.features.map((f) => <FeatureRow key={f.name} f={f} />)}
                  {r.prediction && <FeatureRow f={{ ...r.prediction, name: "prediction (not in the share)" }} />}
                </tbody>
              </table>
            </div>
            {r.skipped.length > 0 && <p class="muted small">Not tested: {r.skipped.map((s) => `${s.name} (${s.reason})`).join("; ")}.</p>}
            <p class="muted small">
              Distribution: shares of rows per bin,<span class="key" style={{ background: REFERENCE }} aria-hidden="true" />reference<span class="key" style={{ background: CURRENT }} aria-hidden="true" />current.
            </p>
            <p class="muted small">Too old: the share of served values whose age was over their view's ttl (status OUTSIDE_MAX_AGE), which the model saw as missing. A score with ~ comes from the reference's stored sketch.</p>
          </>
        )}
      </Await>
    </Section>
  );
}

export function DriftPage({ info, route }: { info: UiInfo; route: Route }) {
  useTitle("Drift");
  const versions = useLoad(() => uiGet<{ versions: DriftVersion[] }>("/drift"), []);
  const model = route.query.get("model");
  const since = route.query.get("since") ?? "24h";
  return (
    <>
      <div class="page-head">
        <h1>Drift</h1>
        <span class="muted">served inputs against each model version's training data</span>
      </div>
      {!info.repo && <p class="muted">No feature repository: feature logs are read from one (start mlf ui inside it, or pass -C).</p>}
      <Section title="Monitored model versions">
        <Await load={versions}>{({ versions: list }) => <Versions versions={list} route={route} />}</Await>
      </Section>
      {model && <Report key={`${model}@${since}`} model={model} since={since === "all" ? "" : since} />}
    </>
  );
}
