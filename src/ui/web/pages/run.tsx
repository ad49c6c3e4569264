import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { artifactUrl, metricHistory, metricValue, mlflowGet, mlflowSend, record, type ExperimentJson, type ModelVersionJson, type RunJson, type RunsPage } from "../api.js";
import { Await, Chip, ColumnHeads, ErrorBox, Facts, KeyValues, Section, StatusBadge } from "../components/bits.js";
import { LineChart } from "../components/chart.js";
import { bytes, duration, num, shortId, time } from "../format.js";
import { useLoad, useTitle } from "../hooks.js";
import { href } from "../router.js";

/** One run: its metrics with their histories, params, tags, artifacts and lineage. */

const SYSTEM_TAG = /^(mlflow|mlf|feast)\./;

interface ArtifactFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

function ArtifactFolder({ runId, path }: { runId: string; path: string }) {
  const listing = useLoad(() => mlflowGet<{ files?: ArtifactFile[] }>("/artifacts/list", { run_id: runId, ...(path && { path }) }), [runId, path]);
  return (
    <Await load={listing}>
      {({ files = [] }) =>
        files.length === 0 ? (
          <p class="muted">{path ? "Empty folder." : "No artifacts."}</p>
        ) : (
          <ul class="tree">
            {files.map((f) => (f.is_dir ? <ArtifactDir key={f.path} runId={runId} file={f} /> : (
              <li key={f.path} class="file">
                <a href={artifactUrl(runId, f.path)} download>{f.path.split("/").at(-1)}</a>
                <span class="muted small"> {bytes(f.file_size)}</span>
              </li>
            )))}
          </ul>
        )
      }
    </Await>
  );
}

function ArtifactDir({ runId, file }: { runId: string; file: ArtifactFile }) {
  const [open, setOpen] = useState(false);
  return (
    <li>
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span aria-hidden="true">{open ? "▾" : "▸"} </span>
        {file.path.split("/").at(-1)}/
      </button>
      {open && <ArtifactFolder runId={runId} path={file.path} />}
    </li>
  );
}

function Lineage({ tags }: { tags: Record<string, string> }) {
  let inputs: { path: string; sha256: string; bytes: number }[] = [];
  try {
    inputs = tags["mlf.inputs"] ? (JSON.parse(tags["mlf.inputs"]) as typeof inputs) : [];
  } catch {
    inputs = [];
  }
  const commit = tags["mlflow.source.git.commit"];
  const service = tags["feast.feature_service"];
  const parent = tags["mlflow.parentRunId"];
  const rows: [string, ComponentChildren][] = [
    ["Parent run", parent ? <a href={href("runs", parent)} class="mono">{shortId(parent)}</a> : undefined],
    ["Pipeline", tags["mlf.pipeline"] ? <a href={href("pipelines", tags["mlf.pipeline"])}>{tags["mlf.pipeline"]}</a> : undefined],
    ["Git commit", commit ? <><span class="mono">{commit.slice(0, 12)}</span>{tags["mlf.git.dirty"] === "true" && <Chip kind="tag" title="The work tree had uncommitted changes">uncommitted changes</Chip>}</> : undefined],
    ["Command", tags["mlf.command"] ?? tags["mlflow.source.name"]],
    ["Exit status", tags["mlf.exit_status"]],
    ["Feature registry version", tags["mlf.feature_registry.version"]],
    ["Feature service", service ? <a href={href("features", { focus: `service:${service}` })}>{service}</a> : undefined],
    ["Feature views", tags["feast.feature_views"]?.split(",").join(", ")],
    ["Features", tags["feast.feature_refs"]?.split(",").join(", ")],
    ["Entity rows", tags["feast.entity_count"]],
  ];
  const shown = rows.filter(([, v]) => v !== undefined && v !== "");
  return (
    <>
      {shown.length === 0 && inputs.length === 0 && <p class="muted">No lineage recorded; runs started with mlf track run record their git commit, inputs and features.</p>}
      <Facts facts={shown} />
      {inputs.length > 0 && (
        <table class="grid compact">
          <caption>Inputs and their digests</caption>
          <ColumnHeads names={["File", "sha256", "Size"]} />
          <tbody>
            {inputs.map((i) => (
              <tr key={i.path}>
                <td class="mono wrap">{i.path}</td>
                <td class="mono" title={i.sha256}>{i.sha256.slice(0, 16)}…</td>
                <td class="num">{bytes(i.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Metrics({ run }: { run: RunJson }) {
  const keys = (run.data.metrics ?? []).map((m) => m.key).sort();
  const histories = useLoad(() => Promise.all(keys.map((k) => metricHistory(run.info.run_id, k))), [run.info.run_id]);
  if (keys.length === 0) return <p class="muted">No metrics logged.</p>;
  const latest = (k: string) => run.data.metrics!.find((m) => m.key === k)!.value;
  return (
    <Await load={histories}>
      {(all) => {
        // A metric logged once is a number, not a curve: it gets a tile; histories get charts.
        const singles = keys.filter((_, i) => all[i]!.length < 2);
        return (
          <>
            {singles.length > 0 && (
              <dl class="stats">
                {singles.map((k) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd title={String(latest(k))}>{num(metricValue(latest(k)))}</dd>
                  </div>
                ))}
              </dl>
            )}
            <div class="charts">
              {keys.map((k, i) => all[i]!.length < 2 ? null : (
                <figure key={k} class="chart-card">
                  <figcaption>
                    <span class="metric-name">{k}</span>
                    <span class="metric-value" title={String(latest(k))}>{num(metricValue(latest(k)))}</span>
                  </figcaption>
                  <LineChart title={k} series={[{ label: run.info.run_name ?? shortId(run.info.run_id), points: all[i]!.map((p) => ({ step: p.step, value: metricValue(p.value) })) }]} />
                </figure>
              ))}
            </div>
          </>
        );
      }}
    </Await>
  );
}

function Registered({ runId }: { runId: string }) {
  const versions = useLoad(() => mlflowGet<{ model_versions?: ModelVersionJson[] }>("/model-versions/search", { filter: `run_id = '${runId}'` }), [runId]);
  return (
    <Await load={versions}>
      {({ model_versions = [] }) => model_versions.length === 0 ? null : (
        <p class="registered">
          Registered as{" "}
          {model_versions.map((v, i) => (
            <span key={`${v.name}/${v.version}`}>
              {i > 0 && ", "}
              <a href={href("models", v.name, v.version)}>{v.name} v{v.version}</a>
            </span>
          ))}
        </p>
      )}
    </Await>
  );
}

/**
 * Runs nested under this one (tag mlflow.parentRunId, as MLflow nests runs): the steps of an
 * `mlf pipeline run`, a hyperparameter search's trials. Shown only when there are any.
 */
function ChildRuns({ run }: { run: RunJson }) {
  const children = useLoad(
    () => mlflowSend<RunsPage>("POST", "/runs/search", { experiment_ids: [run.info.experiment_id], filter: `tags.\`mlflow.parentRunId\` = '${run.info.run_id}'`, order_by: ["attributes.start_time ASC"], max_results: 1000 }),
    [run.info.run_id],
  );
  if (children.error) return <Section title="Child runs"><ErrorBox error={children.error} /></Section>;
  const runs = children.data?.runs ?? [];
  if (runs.length === 0) return null;
  return (
    <Section title="Child runs">
      <table class="grid compact children">
        <caption class="sr-only">Runs nested under this one, in the order they started</caption>
        <ColumnHeads names={["Run", "Status", "Started", "Took"]} />
        <tbody>
          {runs.map((c) => (
            <tr key={c.info.run_id}>
              <th scope="row"><a href={href("runs", c.info.run_id)}>{c.info.run_name || shortId(c.info.run_id)}</a></th>
              <td><StatusBadge status={c.info.status} /></td>
              <td class="nowrap">{time(c.info.start_time)}</td>
              <td class="num">{c.info.end_time !== undefined && c.info.start_time !== undefined ? duration(c.info.end_time - c.info.start_time) : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function RunView({ run, experiment }: { run: RunJson; experiment?: ExperimentJson }) {
  const i = run.info;
  const tags = record(run.data.tags);
  const userTags = Object.fromEntries(Object.entries(tags).filter(([k]) => !SYSTEM_TAG.test(k)));
  const systemTags = Object.fromEntries(Object.entries(tags).filter(([k]) => SYSTEM_TAG.test(k)));
  useTitle(`Run ${i.run_name ?? shortId(i.run_id)}`);
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href("experiments", i.experiment_id)}>{experiment?.name ?? `experiment ${i.experiment_id}`}</a>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{i.run_name ?? shortId(i.run_id)}</span>
      </nav>
      <div class="page-head">
        <h1>{i.run_name || shortId(i.run_id)}</h1>
        <StatusBadge status={i.status} />
      </div>
      <p class="meta">
        <span>run <span class="mono">{i.run_id}</span></span>
        <span>started {time(i.start_time)}</span>
        {i.end_time !== undefined && i.start_time !== undefined && <span>took {duration(i.end_time - i.start_time)}</span>}
        {i.user_id && <span>by {i.user_id}</span>}
      </p>
      <Registered runId={i.run_id} />
      <Section title="Metrics">
        <Metrics run={run} />
      </Section>
      <ChildRuns run={run} />
      <div class="two">
        <Section title="Parameters">
          <KeyValues values={record(run.data.params)} empty="No parameters logged." label="Parameters" />
        </Section>
        <Section title="Lineage">
          <Lineage tags={tags} />
        </Section>
        <Section title="Tags">
          <KeyValues values={userTags} empty="No tags of your own." label="Tags" />
          {Object.keys(systemTags).length > 0 && (
            <details>
              <summary>System tags ({Object.keys(systemTags).length})</summary>
              <KeyValues values={systemTags} empty="" label="System tags" />
            </details>
          )}
        </Section>
        <Section title="Artifacts">
          <ArtifactFolder runId={i.run_id} path="" />
        </Section>
      </div>
    </>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const run = useLoad(async () => {
    const { run: r } = await mlflowGet<{ run: RunJson }>("/runs/get", { run_id: runId });
    const experiment = await mlflowGet<{ experiment: ExperimentJson }>("/experiments/get", { experiment_id: r.info.experiment_id }).then((e) => e.experiment, () => undefined);
    return { run: r, experiment };
  }, [runId]);
  return <Await load={run}>{({ run: r, experiment }) => <RunView run={r} {...(experiment && { experiment })} />}</Await>;
}
