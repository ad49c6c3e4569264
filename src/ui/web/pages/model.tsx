import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { RegistryEvent } from "../../../models/events.js";
import type { UiInfo, VersionView } from "../../types.js";
import { mlflowGet, uiGet, type ModelVersionJson, type RegisteredModelJson } from "../api.js";
import { Await, Chip, ColumnHeads, Facts, KeyValues, Section, StageBadge } from "../components/bits.js";
import { num, shortId, time } from "../format.js";
import { useLoad, useTitle } from "../hooks.js";
import { href } from "../router.js";
import { AliasForm, RemoveAlias, StageForm } from "./model-writes.js";

/**
 * One registered model: its versions with stages and aliases, the lineage of a version (the
 * run, its git commit and metrics, the features or feature service it is fed by, its
 * digest), and the audit log. With --allow-writes, aliases and stages can be changed here.
 */

function VersionsTable({ name, versions, selected, info, changed }: { name: string; versions: ModelVersionJson[]; selected: number; info: UiInfo; changed: () => void }) {
  return (
    <table class="grid">
      <caption class="sr-only">Versions of {name}, newest first</caption>
      <ColumnHeads names={["Version", "Stage", "Aliases", "Run", "Registered", "Description"]} />
      <tbody>
        {versions.map((v) => (
          <tr key={v.version} class={Number(v.version) === selected ? "selected" : undefined}>
            <th scope="row"><a href={href("models", name, v.version)} aria-current={Number(v.version) === selected ? "true" : undefined}>v{v.version}</a></th>
            <td><StageBadge stage={v.current_stage} /></td>
            <td>
              {(v.aliases ?? []).map((a) => (
                <Chip key={a}>
                  {a}
                  {info.allowWrites && <RemoveAlias name={name} alias={a} changed={changed} />}
                </Chip>
              ))}
            </td>
            <td class="mono">{v.run_id ? <a href={href("runs", v.run_id)}>{shortId(v.run_id)}</a> : <span class="muted">from a file</span>}</td>
            <td class="nowrap">{time(v.creation_timestamp)}</td>
            <td class="wrap">{v.description}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A signature's tensors as `name: dtype[shape]`, separated by semicolons. */
const tensors = (list: NonNullable<VersionView["signature"]>["inputs"]) => list.map((t) => `${t.name}: ${t.dtype}[${t.shape.join(", ")}]`).join("; ");

function VersionLineage({ d }: { d: VersionView }) {
  const run = d.lineage;
  const facts: [string, ComponentChildren][] = [
    ["URI", <span class="mono">{d.uri}</span>],
    ["Run", run === null ? "registered from a file" : "missing" in run ? <span title={run.missing}>{shortId(run.runId)} (not in this store)</span> : <a href={href("runs", run.runId)}>{run.runName || shortId(run.runId)}</a>],
    ["Git commit", run && !("missing" in run) && run.gitCommit ? <span class="mono">{run.gitCommit.slice(0, 12)}</span> : undefined],
    ["Feature service", d.featureService ? <a href={href("features", { focus: `service:${d.featureService}` })}>{d.featureService}</a> : undefined],
    ["Features", d.features ? d.features.join(", ") : undefined],
    ["Entity keys", d.entityKeys.length > 0 ? d.entityKeys.join(", ") : undefined],
    ["Inputs", d.signature ? tensors(d.signature.inputs) : undefined],
    ["Outputs", d.signature ? tensors(d.signature.outputs) : undefined],
    ["Flavors", d.flavors.join(", ")],
    ["Reference data", d.reference ? <><span class="mono" title={d.reference.path}>{d.reference.path.split("/").at(-1)}</span> <span class="muted">({num(d.reference.rows)} rows)</span> <a href={href("drift", { model: `${d.name}/${d.version}` })}>check drift</a></> : undefined],
    ["sha256", d.digest.recorded ? <><span class="mono" title={d.digest.recorded}>{d.digest.recorded.slice(0, 16)}…</span> {d.digest.verified ? <span class="badge ok">verified</span> : <span class="badge bad">does not match the file</span>}</> : undefined],
  ];
  return (
    <>
      <Facts facts={facts} />
      {run && !("missing" in run) && (
        <div class="two tight">
          <div>
            <h3>Run parameters</h3>
            <KeyValues values={run.params} empty="None." label="Run parameters" />
          </div>
          <div>
            <h3>Run metrics</h3>
            <KeyValues values={Object.fromEntries(Object.entries(run.metrics).map(([k, v]) => [k, num(v)]))} empty="None." label="Run metrics" />
          </div>
        </div>
      )}
    </>
  );
}

const change = (x: Record<string, unknown> | null) => (x === null ? "" : Object.entries(x).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", "));

function AuditLog({ events }: { events: RegistryEvent[] }) {
  return (
    <div class="table-scroll">
      <table class="grid compact audit">
        <caption class="sr-only">Audit log, newest first</caption>
        <ColumnHeads names={["When", "User", "Action", "Version", "Alias", "Before", "After"]} />
        <tbody>
          {[...events].reverse().map((e, i) => (
            <tr key={i}>
              <td class="nowrap">{e.at}</td>
              <td>{e.user}</td>
              <td class="mono">{e.action}</td>
              <td class="num">{e.version ?? ""}</td>
              <td>{e.alias ?? ""}</td>
              <td class="mono wrap small change">{change(e.before)}</td>
              <td class="mono wrap small change">{change(e.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ModelPage({ name, version, info }: { name: string; version?: string; info: UiInfo }) {
  useTitle(`Model ${name}`);
  const [tick, setTick] = useState(0);
  const changed = () => setTick((t) => t + 1);
  const model = useLoad(async () => {
    const [m, v, e] = await Promise.all([
      mlflowGet<{ registered_model: RegisteredModelJson }>("/registered-models/get", { name }),
      mlflowGet<{ model_versions?: ModelVersionJson[] }>("/model-versions/search", { filter: `name = '${name.replaceAll("'", "\\'")}'` }),
      uiGet<{ events: RegistryEvent[] }>(`/models/${encodeURIComponent(name)}/events`),
    ]);
    return { model: m.registered_model, versions: (v.model_versions ?? []).sort((a, b) => Number(b.version) - Number(a.version)), events: e.events };
  }, [name, tick]);
  return (
    <Await load={model}>
      {({ model: m, versions, events }) => {
        const selected = version !== undefined ? Number(version) : Number(versions[0]?.version ?? 0);
        return (
          <>
            <nav class="crumbs" aria-label="Breadcrumb">
              <a href={href("models")}>Models</a>
              <span aria-hidden="true"> / </span>
              <span aria-current="page">{m.name}</span>
            </nav>
            <div class="page-head">
              <h1>{m.name}</h1>
              {(m.aliases ?? []).map((a) => <Chip key={a.alias}>{a.alias} → v{a.version}</Chip>)}
            </div>
            {m.description && <p>{m.description}</p>}
            <Section title="Versions">
              {versions.length === 0 ? <p class="muted">No live versions.</p> : <VersionsTable name={m.name} versions={versions} selected={selected} info={info} changed={changed} />}
              {info.allowWrites ? (
                versions.length > 0 && <AliasForm name={m.name} versions={versions} changed={changed} />
              ) : (
                <p class="muted small note">Read-only: start mlf ui with --allow-writes to change aliases and stages here (each change is written to the audit log).</p>
              )}
            </Section>
            {selected > 0 && (
              <Section title={`Version ${selected}`} id="version-detail" actions={info.allowWrites ? <StageForm name={m.name} version={selected} current={versions.find((v) => Number(v.version) === selected)?.current_stage ?? "None"} changed={changed} /> : undefined}>
                <VersionDetailView name={m.name} version={selected} tick={tick} />
              </Section>
            )}
            <Section title="Audit log">
              <AuditLog events={events} />
            </Section>
          </>
        );
      }}
    </Await>
  );
}

function VersionDetailView({ name, version, tick }: { name: string; version: number; tick: number }) {
  const detail = useLoad(() => uiGet<VersionView>(`/models/${encodeURIComponent(name)}/versions/${version}`), [name, version, tick]);
  return <Await load={detail}>{(d) => <VersionLineage d={d} />}</Await>;
}
