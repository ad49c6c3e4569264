import { userInfo } from "node:os";
import { join } from "node:path";
import { appendLine, readFileIfExists } from "../util/fs.js";
import { formatTime } from "../util/time.js";
import { modelDir } from "./store.js";

/** What changed in one registry event. */
export type EventAction =
  | "create_model" | "register" | "set_alias" | "delete_alias" | "transition_stage" | "delete_version"
  | "rename_model" | "update_description" | "set_tag" | "delete_tag"
  | "pipeline_decision";

/**
 * One line of `<name>/events.jsonl`, the append-only audit log of a model. `before` and
 * `after` hold the changed values only (e.g. `{stage: "Staging"}`), null when there was none.
 */
export interface RegistryEvent {
  /** ISO-8601 UTC */
  at: string;
  /** The user who made the change: $MLF_USER, else the OS user. */
  user: string;
  action: EventAction;
  model: string;
  version?: number;
  alias?: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLF_USER) return env.MLF_USER;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? "unknown";
  }
}

type NewEvent = Omit<RegistryEvent, "at" | "user"> & { at?: number };

/** Appends an event to `file` with one O_APPEND write, so concurrent writers never interleave lines. */
export function appendEventTo(file: string, event: NewEvent): RegistryEvent {
  const { at, ...rest } = event;
  const full: RegistryEvent = { at: formatTime(at ?? Date.now()), user: currentUser(), ...rest };
  appendLine(file, JSON.stringify(full));
  return full;
}

export function appendEvent(trackingDir: string, event: NewEvent): RegistryEvent {
  return appendEventTo(join(modelDir(trackingDir, event.model), "events.jsonl"), event);
}

/** The audit log, oldest first. A torn line (a writer killed mid-write) is skipped, not fatal. */
export function readEvents(trackingDir: string, name: string): RegistryEvent[] {
  const text = readFileIfExists(join(modelDir(trackingDir, name), "events.jsonl")) ?? "";
  const events: RegistryEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as RegistryEvent);
    } catch {
      // Only a crash mid-append produces this; the complete lines around it still count.
    }
  }
  return events;
}
