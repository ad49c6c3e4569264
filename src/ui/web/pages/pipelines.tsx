import type { ComponentChildren } from "preact";
import type { PipelineRun } from "../../../pipeline/history.js";
import type { Pipeline } from "../../../repo/pipelines.js";
import type { PipelineView, UiInfo } from "../../types.js";
import { uiGet } from "../api.js";
import { Await, Chip, ColumnHeads, Facts, Section } from "../components/bits.js";
import { duration, num, shortId } from "../format.js";
import { useLoad, useTitle } from "../hooks.js";
import { href } from "../router.js";

/**
 * Continuous training (`mlf pipeline list|history`): each applied pipeline, the version its
 * alias points at, and its latest runs with the gate's decision. A run links to its tracked
 * run, whose child runs are the steps.
 */

const OUTCOME_CLASS: Record<PipelineRun["outcome"], string> = { promoted: "ok", rejected: "neutral", failed: "bad", running: "info", interrupted: "warn" };

function triggers(t: Pipeline["triggers"]): string {
  const parts = [
    t.onNewData && "on new data",
    t.scheduleSeconds !== null && `every ${duration(t.scheduleSeconds * 1000)}`,
    t.onDrift && `on drift${t.onDrift.windowSeconds ? ` (last ${duration(t.onDrift.windowSeconds * 1000)})` : ""}`,
  ];
  return parts.filter(Boolean).join(", ") || "none (run with --force)";
}

const score = (s: PipelineRun["challenger"]) => (s.version === null ? "" : `v${s.version}${s.value === null ? "" : ` ${num(s.value)}`}`);

function Runs({ view }: { view: PipelineView }) {
  const { pipeline: p, runs, total } = view;
  if (runs.length === 0) return <p class="muted">No runs yet; start one with mlf pipeline run {p.name}.</p>;
  return (
    <div class="table-scroll">
      <table class="grid compact pipeline-runs">
        <caption class="sr-only">Runs of pipeline {p.name}, newest first</caption>
        <ColumnHeads names={["Started", "Run", "Outcome", "Triggers", `Challenger ${p.metric}`, `Champion ${p.metric}`, "Reason"]} />
        <tbody>
          {runs.map((r) => (
            <tr key={r.runId}>
              <td class="nowrap">{r.startedAt?.replace(/\.\d{3}Z$/, "Z") ?? ""}</td>
              <th scope="row"><a href={href("runs", r.runId)} class="mono">{shortId(r.runId)}</a></th>
              <td><span class={`badge ${OUTCOME_CLASS[r.outcome]}`}>{r.outcome}</span></td>
              <td>{r.forced ? "forced" : r.triggers.filter((t) => t.fired).map((t) => t.trigger).join(", ")}</td>
              <td class="num">{score(r.challenger)}</td>
              <td class="num">{score(r.champion)}</td>
              <td class="wrap small">{r.failedStep ? `${r.failedStep}: ` : ""}{r.reason ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > runs.length && <p class="muted small">The latest {runs.length} of {total} runs; mlf pipeline history {p.name} lists them all.</p>}
    </div>
  );
}

function PipelineCard({ view }: { view: PipelineView }) {
  const { pipeline: p, champion } = view;
  const facts: [string, ComponentChildren][] = [
    ["Model", <a href={href("models", p.model)}>{p.model}</a>],
    [`@${p.alias}`, champion === null ? <span class="muted">no version yet</span> : <a href={href("models", p.model, String(champion))}>version {champion}</a>],
    ["Feature service", <a href={href("features", { focus: `service:${p.featureService}` })}>{p.featureService}</a>],
    ["Gate", `${p.metric}, better by at least ${num(p.minImprovement)} on the last ${duration(p.holdoutSeconds * 1000)} held out`],
    ["Triggers", triggers(p.triggers)],
    ["Experiment", p.experiment],
  ];
  return (
    <Section title={p.name} id={`pipeline-${p.name}`} actions={<Chip kind="tag">{view.total} runs</Chip>}>
      {p.description && <p>{p.description}</p>}
      <Facts facts={facts} />
      <Runs view={view} />
    </Section>
  );
}

/** Every pipeline, or only `name`'s (`#/pipelines/NAME`, where a pipeline run's page links). */
export function PipelinesPage({ info, name }: { info: UiInfo; name?: string }) {
  useTitle(name ? `Pipeline ${name}` : "Pipelines");
  const pipelines = useLoad(() => uiGet<{ pipelines: PipelineView[] }>("/pipelines"), []);
  return (
    <>
      <div class="page-head">
        <h1>Pipelines</h1>
      </div>
      <Await load={pipelines}>
        {({ pipelines: all }) => {
          const list = name ? all.filter((v) => v.pipeline.name === name) : all;
          if (list.length > 0) return list.map((v) => <PipelineCard key={v.pipeline.name} view={v} />);
          if (name) return <p class="empty">No pipeline named {name} is applied; see <a href={href("pipelines")}>all pipelines</a>.</p>;
          return <p class="empty">{info.repo ? "No pipelines applied; define one under pipelines: and run mlf apply." : "This server has no feature repository; start mlf ui inside one or pass -C <repo>."}</p>;
        }}
      </Await>
    </>
  );
}
