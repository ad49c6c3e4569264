import { useState } from "preact/hooks";
import { mlflowSend, type ModelVersionJson } from "../api.js";

/**
 * The page's registry changes (only offered with --allow-writes): MLflow's alias and
 * transition-stage routes, which call the library functions `mlf registry alias|unalias|
 * promote` call, so each change lands in the model's audit log. Promoting to Production
 * archives the version there before, as `mlf registry promote` does.
 */

const STAGES = ["None", "Staging", "Production", "Archived"];

function useSubmit(changed: () => void) {
  const [state, setState] = useState<{ busy: boolean; message?: string; error?: string }>({ busy: false });
  const run = async (action: () => Promise<unknown>, done: string) => {
    setState({ busy: true });
    try {
      await action();
      setState({ busy: false, message: done });
      changed();
    } catch (error) {
      setState({ busy: false, error: (error as Error).message });
    }
  };
  const status = (
    <span class="form-status" role="status" aria-live="polite">
      {state.error ? <span class="error-text">{state.error}</span> : state.message}
    </span>
  );
  return { busy: state.busy, run, status };
}

export function AliasForm({ name, versions, changed }: { name: string; versions: ModelVersionJson[]; changed: () => void }) {
  const [alias, setAlias] = useState("");
  const [version, setVersion] = useState(versions[0]?.version ?? "");
  const { busy, run, status } = useSubmit(changed);
  return (
    <form
      class="inline-form"
      aria-label="Set an alias"
      onSubmit={(e) => {
        e.preventDefault();
        const a = alias.trim();
        void run(() => mlflowSend("POST", "/registered-models/alias", { name, alias: a, version }), `${a} now points at version ${version}.`);
      }}
    >
      <label for="alias-name">Alias</label>
      <input id="alias-name" value={alias} required placeholder="champion" onInput={(e) => setAlias((e.target as HTMLInputElement).value)} autocomplete="off" />
      <label for="alias-version">points at</label>
      <select id="alias-version" value={version} onChange={(e) => setVersion((e.target as HTMLSelectElement).value)}>
        {versions.map((v) => <option key={v.version} value={v.version}>version {v.version}</option>)}
      </select>
      <button type="submit" class="primary" disabled={busy || alias.trim() === ""}>Set alias</button>
      {status}
    </form>
  );
}

export function RemoveAlias({ name, alias, changed }: { name: string; alias: string; changed: () => void }) {
  const { busy, run } = useSubmit(changed);
  return (
    <button type="button" class="chip-x" disabled={busy} aria-label={`Remove alias ${alias}`} title={`Remove alias ${alias}`}
      onClick={() => void run(() => mlflowSend("DELETE", "/registered-models/alias", { name, alias }), `${alias} removed.`)}>
      ×
    </button>
  );
}

export function StageForm({ name, version, current, changed }: { name: string; version: number; current: string; changed: () => void }) {
  const [stage, setStage] = useState(current === "Production" ? "Archived" : "Production");
  const { busy, run, status } = useSubmit(changed);
  return (
    <form
      class="inline-form"
      aria-label={`Move version ${version} to another stage`}
      onSubmit={(e) => {
        e.preventDefault();
        void run(
          () => mlflowSend("POST", "/model-versions/transition-stage", { name, version: String(version), stage, archive_existing_versions: stage === "Production" }),
          `Version ${version} is now in ${stage}.`,
        );
      }}
    >
      <label for="stage-select">Move to stage</label>
      <select id="stage-select" value={stage} onChange={(e) => setStage((e.target as HTMLSelectElement).value)}>
        {STAGES.filter((s) => s !== current).map((s) => <option key={s} value={s}>{s}</option>)}
      </select>
      <button type="submit" disabled={busy}>Move</button>
      {status}
    </form>
  );
}
