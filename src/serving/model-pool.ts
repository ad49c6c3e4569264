import { MlfError, toMlfError } from "../errors.js";
import { formatTime } from "../util/time.js";
import { truncate } from "./runtime/onnx.js";
import type { ModelArtifact, ModelSource } from "./sources.js";

/** One log record; the server's caller decides where it goes (the library never prints). */
export type Log = (record: Record<string, unknown>) => void;

/**
 * A loaded model version with its explainer. Both are released together once the version is
 * swapped out and its last request ends.
 */
export interface ServedModel extends ModelArtifact {
  name: string;
  version: string;
  alias?: string;
  /** ISO-8601 UTC. */
  loadedAt: string;
}

function release(version: ServedModel): Promise<unknown> {
  return Promise.all([version.model.release(), version.explainer.release()]);
}

interface Slot {
  source: ModelSource;
  current?: ServedModel;
  /** The last failed load, kept until a later load of any version succeeds. */
  failure?: { version?: string; message: string; at: string };
  /** Requests running on each loaded version, so a retired version is released only when idle. */
  inFlight: Map<ServedModel, number>;
}

/** What /models reports for one served model. */
export interface ModelStatus {
  name: string;
  uri: string;
  version: string | null;
  alias: string | null;
  loaded_at: string | null;
  inputs: string[];
  features: string[] | null;
  last_error: { version: string | null; message: string; at: string } | null;
}

/**
 * The served models and their hot swap. `refresh` re-resolves every reference; a changed
 * version is loaded and test-run beside the serving one, then swapped in by replacing one
 * reference, so a request sees either the old version or the new for its whole life. Requests
 * hold their version through `use`; a swapped-out version is released when its last one ends.
 * A failed load leaves the old version serving and is reported in `status()` and the log.
 *
 * Besides the served models the pool holds arms: model versions that requests do not name
 * but a route sends some of them to (src/serving/routing/). They are loaded, polled, swapped
 * and released exactly like served models, under a key of their own.
 */
export class ModelPool {
  private readonly slots = new Map<string, Slot>();
  private readonly arms = new Map<string, Slot>();
  private readonly listeners: ((key: string, model: ServedModel) => void)[] = [];
  private refreshing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(sources: ModelSource[], private readonly log: Log = () => {}) {
    for (const source of sources) {
      if (this.slots.has(source.name)) throw new MlfError("usage", `Two served models are named ${source.name}; serve each model once.`);
      this.slots.set(source.name, { source, inFlight: new Map() });
    }
  }

  /** Adds an arm under `key` (before the first refresh); requests reach it only through useArm. */
  addArm(key: string, source: ModelSource): void {
    this.arms.set(key, { source: { ...source, name: key, resolve: () => source.resolve() }, inFlight: new Map() });
  }

  /** Calls `listener` with the slot's name or arm key each time a version is swapped in (the first load included). */
  onLoaded(listener: (key: string, model: ServedModel) => void): void {
    this.listeners.push(listener);
  }

  /** Re-resolves every model now; concurrent calls queue behind the running one. `force` retries failed versions. */
  refresh(force = false): Promise<void> {
    this.refreshing = this.refreshing.then(() => Promise.all([...this.slots.values(), ...this.arms.values()].map((slot) => this.refreshSlot(slot, force)))).then(() => undefined);
    return this.refreshing;
  }

  /** Polls every `seconds` (the timer does not keep the process alive). */
  startPolling(seconds: number): void {
    if (seconds <= 0) return;
    this.timer = setInterval(() => void this.refresh(), seconds * 1000);
    this.timer.unref();
  }

  private async refreshSlot(slot: Slot, force: boolean): Promise<void> {
    if (this.closed) return;
    const { source } = slot;
    let version: string | undefined;
    try {
      const resolved = await source.resolve();
      version = resolved.version;
      if (resolved.version === slot.current?.version && resolved.alias === slot.current.alias) return;
      if (!force && slot.failure && slot.failure.version === resolved.version) return;
      const { model, ...recorded } = await resolved.load();
      try {
        await model.selfCheck();
      } catch (error) {
        await model.release();
        throw error;
      }
      const next: ServedModel = { ...recorded, name: source.name, version: resolved.version, ...(resolved.alias !== undefined && { alias: resolved.alias }), loadedAt: formatTime(Date.now()), model };
      const previous = slot.current;
      if (this.closed) return void (await model.release());
      slot.current = next;
      delete slot.failure;
      this.log({ level: "info", msg: "model loaded", model: source.name, version: next.version, ...(previous && { previous_version: previous.version }) });
      for (const listener of this.listeners) listener(source.name, next);
      if (previous) await this.retire(slot, previous);
    } catch (error) {
      const message = truncate(toMlfError(error).message, 300);
      // A reference that keeps failing the same way (a deleted alias) is logged once, not every poll.
      const repeated = slot.failure?.message === message && slot.failure.version === version;
      slot.failure = { ...(version !== undefined && { version }), message, at: formatTime(Date.now()) };
      if (!repeated) this.log({ level: "error", msg: "model load failed", model: source.name, version: version ?? null, serving: slot.current?.version ?? null, error: message });
    }
  }

  private async retire(slot: Slot, model: ServedModel): Promise<void> {
    if ((slot.inFlight.get(model) ?? 0) === 0) await release(model);
  }

  /**
   * Runs `fn` on the serving version of `name` (or of the only served model when `name` is
   * undefined); that version stays loaded until `fn` settles, even if a swap happens meanwhile.
   */
  use<T>(name: string | undefined, fn: (model: ServedModel) => Promise<T>): Promise<T> {
    return this.useSlot(this.slot(name), fn);
  }

  /** `use` for the arm added under `key`. */
  useArm<T>(key: string, fn: (model: ServedModel) => Promise<T>): Promise<T> {
    return this.useSlot(this.arms.get(key)!, fn);
  }

  private async useSlot<T>(slot: Slot, fn: (model: ServedModel) => Promise<T>): Promise<T> {
    const model = slot.current;
    if (!model) {
      const why = slot.failure ? ` (${slot.failure.message})` : "";
      throw new MlfError("unavailable", `The model ${slot.source.name} is not loaded yet${why}; retry later or fix it and POST /admin/reload.`);
    }
    slot.inFlight.set(model, (slot.inFlight.get(model) ?? 0) + 1);
    try {
      return await fn(model);
    } finally {
      const left = slot.inFlight.get(model)! - 1;
      if (left > 0) slot.inFlight.set(model, left);
      else {
        slot.inFlight.delete(model);
        if (slot.current !== model) await release(model);
      }
    }
  }

  private slot(name: string | undefined): Slot {
    if (name === undefined) {
      if (this.slots.size === 1) return [...this.slots.values()][0]!;
      if (this.slots.size === 0) throw new MlfError("not_found", "No model is served; start mlf serve with --model.");
      throw new MlfError("invalid_argument", `Several models are served (${[...this.slots.keys()].join(", ")}); name one with ?model=NAME.`);
    }
    const slot = this.slots.get(name);
    if (!slot) throw new MlfError("not_found", `No served model is named ${name.slice(0, 60)}; served: ${[...this.slots.keys()].join(", ") || "none"}.`);
    return slot;
  }

  /** True when every served model has a loaded version. */
  ready(): boolean {
    return [...this.slots.values()].every((s) => s.current !== undefined);
  }

  /** The served models (not the arms). */
  status(): ModelStatus[] {
    return [...this.slots.values()].map(statusOf);
  }

  /** The arm added under `key`. */
  armStatus(key: string): ModelStatus {
    return statusOf(this.arms.get(key)!);
  }

  /** Stops polling, waits for a running refresh and releases idle models. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.refreshing;
    for (const slot of [...this.slots.values(), ...this.arms.values()]) {
      const model = slot.current;
      delete slot.current;
      if (model && !slot.inFlight.has(model)) await release(model);
    }
  }
}

function statusOf({ source, current, failure }: Slot): ModelStatus {
  return {
    name: source.name,
    uri: source.uri,
    version: current?.version ?? null,
    alias: current?.alias ?? null,
    loaded_at: current?.loadedAt ?? null,
    inputs: current ? current.columns ?? current.features ?? current.model.inputs.map((i) => i.name) : [],
    features: current?.features ?? null,
    last_error: failure ? { version: failure.version ?? null, message: failure.message, at: failure.at } : null,
  };
}
