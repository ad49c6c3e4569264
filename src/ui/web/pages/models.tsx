import { mlflowGet, type RegisteredModelJson } from "../api.js";
import { Await, Chip, ColumnHeads, StageBadge } from "../components/bits.js";
import { time } from "../format.js";
import { useLoad, useTitle } from "../hooks.js";
import { href } from "../router.js";

/** The registered models (MLflow's registered-models/search): versions, stages and aliases at a glance. */

export function ModelsPage() {
  useTitle("Models");
  const models = useLoad(() => mlflowGet<{ registered_models?: RegisteredModelJson[] }>("/registered-models/search", { max_results: 1000 }), []);
  return (
    <>
      <div class="page-head">
        <h1>Registered models</h1>
      </div>
      <Await load={models}>
        {({ registered_models: list = [] }) =>
          list.length === 0 ? (
            <p class="empty">No registered models yet; register one with mlf registry register NAME --run RUN_ID.</p>
          ) : (
            <div class="card flush">
              <table class="grid models">
                <caption class="sr-only">Registered models with their latest versions, stages and aliases</caption>
                <ColumnHeads names={["Model", "Latest version", "Stages", "Aliases", "Updated", "Description"]} />
                <tbody>
                  {list.map((m) => {
                    const latest = Math.max(0, ...(m.latest_versions ?? []).map((v) => Number(v.version)));
                    const staged = (m.latest_versions ?? []).filter((v) => v.current_stage !== "None");
                    return (
                      <tr key={m.name}>
                        <th scope="row"><a href={href("models", m.name)}>{m.name}</a></th>
                        <td class="num">{latest > 0 ? <a href={href("models", m.name, String(latest))}>v{latest}</a> : "—"}</td>
                        <td>{staged.length === 0 ? <span class="muted">none</span> : staged.map((v) => <span key={v.version} class="stage-pair"><StageBadge stage={v.current_stage} /> v{v.version}</span>)}</td>
                        <td>{(m.aliases ?? []).map((a) => <Chip key={a.alias}>{a.alias} → v{a.version}</Chip>)}</td>
                        <td class="nowrap">{time(m.last_updated_timestamp ?? m.creation_timestamp)}</td>
                        <td class="wrap">{m.description ?? ""}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </Await>
    </>
  );
}
