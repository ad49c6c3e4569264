import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import type { FeatureCatalogue, UiInfo } from "../../types.js";
import { uiGet } from "../api.js";
import { Await, Chip, ColumnHeads, Section, StageBadge } from "../components/bits.js";
import { LineageGraph } from "../components/graph.js";
import { freshnessText, MaterializationTimeline } from "../components/timeline.js";
import { time } from "../format.js";
import { useLoad, useTitle } from "../hooks.js";
import { href } from "../router.js";

/**
 * The feature repository as applied: the lineage graph source -> view -> service -> model,
 * views with their freshness and materialization intervals, services, entities and sources.
 * `?focus=kind:name` lights one object's lineage and scrolls to its row.
 */

const FRESHNESS_CLASS = { fresh: "ok", stale: "warn", never: "bad", offline: "neutral" } as const;
const anchor = (id: string) => `obj-${id.replace(":", "-")}`;

/** A row for one object of the repository (`kind:name`): its name links to its lineage, and the focused one is marked. */
function ObjectRow({ id, name, focus, children }: { id: string; name: string; focus: string | undefined; children: ComponentChildren }) {
  return (
    <tr id={anchor(id)} class={focus === id ? "selected" : undefined}>
      <th scope="row"><a href={href("features", { focus: id })}>{name}</a></th>
      {children}
    </tr>
  );
}

function Catalogue({ c, focus }: { c: FeatureCatalogue; focus?: string }) {
  useEffect(() => {
    if (focus) document.getElementById(anchor(focus))?.scrollIntoView({ block: "center" });
  }, [focus]);
  const usedBy = (service: string) => c.models.filter((m) => m.featureService === service);
  return (
    <>
      <div class="page-head">
        <h1>Feature repository {c.project}</h1>
        <span class="muted">registry version {c.registryVersion}, applied {c.updatedAt}</span>
      </div>
      <Section title="Lineage" actions={focus && <a href={href("features")}>Show everything</a>}>
        <LineageGraph nodes={c.graph.nodes} edges={c.graph.edges} {...(focus && { focus })} />
      </Section>
      <Section title="Feature views">
        <div class="table-scroll">
          <table class="grid">
            <caption class="sr-only">Feature views with their features and freshness</caption>
            <ColumnHeads names={["View", "Entities", "Source", "ttl", "Features", "Materialized until", "Freshness"]} />
            <tbody>
              {c.views.map((v) => (
                <ObjectRow key={v.name} id={`view:${v.name}`} name={v.name} focus={focus}>
                  <td>{v.entities.join(", ") || <span class="muted">none</span>}</td>
                  <td>{v.source}</td>
                  <td class="num">{v.ttl === "0" ? "unlimited" : v.ttl}</td>
                  <td class="wrap">{v.schema.map((f) => <span key={f.name} class="feature">{f.name}<span class="muted small"> {f.dtype}</span></span>)}</td>
                  <td class="nowrap">{v.materializedUntil ?? <span class="muted">—</span>}</td>
                  <td><span class={`badge ${FRESHNESS_CLASS[v.freshness]}`}>{freshnessText(v)}</span></td>
                </ObjectRow>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Materialization">
        <div class="graph-scroll">
          <MaterializationTimeline views={c.views} now={Date.parse(c.now)} />
        </div>
        <p class="muted small">Bars are materialize runs; the shaded band is each view's ttl window before now ({time(Date.parse(c.now))}). A view whose newest bar ends before its band serves no values online.</p>
      </Section>
      <div class="two">
        <Section title="Feature services">
          {c.services.length === 0 ? <p class="muted">None defined.</p> : (
            <table class="grid">
              <caption class="sr-only">Feature services, their features and the model versions they feed</caption>
              <ColumnHeads names={["Service", "Features", "Models"]} />
              <tbody>
                {c.services.map((s) => (
                  <ObjectRow key={s.name} id={`service:${s.name}`} name={s.name} focus={focus}>
                    <td class="wrap">{s.features.map((p) => <div key={p.view}><strong>{p.view}</strong>: {p.all ? "all" : p.features.join(", ")}</div>)}</td>
                    <td>{usedBy(s.name).map((m) => (
                      <div key={`${m.model}/${m.version}`}>
                        <a href={href("models", m.model, String(m.version))}>{m.model} v{m.version}</a> {m.stage !== "None" && <StageBadge stage={m.stage} />} {m.aliases.map((a) => <Chip key={a}>{a}</Chip>)}
                      </div>
                    ))}</td>
                  </ObjectRow>
                ))}
              </tbody>
            </table>
          )}
        </Section>
        <Section title="Entities">
          <table class="grid">
            <caption class="sr-only">Entities and their join keys</caption>
            <ColumnHeads names={["Entity", "Join key", "Type", "Description"]} />
            <tbody>
              {c.entities.map((e) => (
                <tr key={e.name}>
                  <th scope="row">{e.name}</th>
                  <td class="mono">{e.joinKey}</td>
                  <td>{e.valueType}</td>
                  <td class="wrap">{e.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      </div>
      <Section title="Sources">
        <table class="grid">
          <caption class="sr-only">Data sources: files and DuckDB queries</caption>
          <ColumnHeads names={["Source", "Type", "Definition", "Timestamp", "Reads"]} />
          <tbody>
            {c.sources.map((s) => (
              <ObjectRow key={s.name} id={`source:${s.name}`} name={s.name} focus={focus}>
                <td>{s.type}</td>
                <td>{s.type === "query" ? <pre class="sql">{s.definition}</pre> : <span class="mono">{s.definition}</span>}</td>
                <td class="mono">{s.timestampField}{s.createdTimestampColumn && <span class="muted small"> (ties: {s.createdTimestampColumn})</span>}</td>
                <td>{s.reads.join(", ")}</td>
              </ObjectRow>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}

export function FeaturesPage({ info, focus }: { info: UiInfo; focus?: string }) {
  useTitle(info.repo ? `Features of ${info.repo.project}` : "Features");
  const catalogue = useLoad(() => (info.repo ? uiGet<FeatureCatalogue>("/features") : Promise.reject(new Error("No feature repository: start mlf ui inside one, or pass -C <repo>."))), [info.repo?.root]);
  return <Await load={catalogue}>{(c) => <Catalogue c={c} {...(focus && { focus })} />}</Await>;
}
