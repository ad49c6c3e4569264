import { hostname } from "node:os";
import { pidAlive } from "../util/fs.js";
import type { Liveness, RunStatus } from "./types.js";

/**
 * Liveness of RUNNING runs. MLflow leaves a run whose process died RUNNING forever; mlf's
 * wrapper records its pid and host as tags and refreshes a heartbeat tag while the command
 * runs, so a reader can tell a live run from an orphan.
 */
export const livenessTags = { pid: "mlf.pid", host: "mlf.host", heartbeat: "mlf.heartbeat" } as const;

/** How often `track run` refreshes the heartbeat, in ms. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A heartbeat older than this (ms) means the owner is gone, whatever host it ran on. */
export const HEARTBEAT_STALE_MS = 6 * HEARTBEAT_INTERVAL_MS;


/**
 * `alive`/`dead` for a RUNNING run that carries mlf's liveness tags: dead when its process is
 * gone (same host) or its heartbeat is stale. `unknown` for runs without them (runs written by
 * MLflow, or opened by hand with `track start`), and for runs that are not RUNNING.
 */
export function runLiveness(status: RunStatus, tags: Record<string, string>, now = Date.now()): Liveness {
  if (status !== "RUNNING") return "unknown";
  const beat = Number(tags[livenessTags.heartbeat]);
  const pid = Number(tags[livenessTags.pid]);
  if (!Number.isFinite(beat) && !Number.isInteger(pid)) return "unknown";
  if (tags[livenessTags.host] === hostname() && Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) return "dead";
  if (Number.isFinite(beat) && now - beat > HEARTBEAT_STALE_MS) return "dead";
  return "alive";
}
