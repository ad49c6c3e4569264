import { Type, type Static } from "@sinclair/typebox";
import type { RunInfo } from "./types.js";

/**
 * The shape of a run index file (see run-index.ts), checked on every read by the validator
 * compiled from it ahead of time (run-index-check.ts, see scripts/gen-checks.ts). Positional
 * info and `[value, timestamp, step]` metrics keep the file small and quick to parse (10k runs
 * are read on every search); values JSON cannot hold (NaN, ±Infinity) are stored as strings.
 */

const strict = { additionalProperties: false } as const;
const L = Type.Literal;
const Strings = Type.Record(Type.String(), Type.String());
const Time = Type.Union([Type.Number(), Type.Null()]);
const Status = Type.Union([L("RUNNING"), L("SCHEDULED"), L("FINISHED"), L("FAILED"), L("KILLED")]);
const Stage = Type.Union([L("active"), L("deleted")]);
const MetricValue = Type.Union([Type.Number(), L("NaN"), L("Infinity"), L("-Infinity")]);

/** runId, runName, experimentId, userId, status, startTime, endTime, lifecycleStage, artifactUri, artifactDir. */
const InfoTuple = Type.Tuple([Type.String(), Type.String(), Type.String(), Type.String(), Status, Time, Time, Stage, Type.String(), Type.String()]);

export const StoredEntrySchema = Type.Object(
  {
    /** The run folder's signature when it was read. */
    s: Type.String(),
    /** When it was read, epoch ms. */
    t: Type.Number(),
    i: InfoTuple,
    p: Strings,
    /** Latest metrics: [value, timestamp, step]. */
    m: Type.Record(Type.String(), Type.Tuple([MetricValue, Type.Number(), Type.Number()])),
    g: Strings,
    /** Warnings met while reading the run. */
    w: Type.Optional(Type.Array(Type.String())),
  },
  strict,
);

export const RunIndexSchema = Type.Object({ format: L(2), experimentDir: Type.String(), runs: Type.Record(Type.String(), StoredEntrySchema) }, strict);

export type StoredEntry = Static<typeof StoredEntrySchema>;
export type RunIndexFile = Static<typeof RunIndexSchema>;

// The stored info must decode to exactly RunInfo's types.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const infoMatches: Same<Static<typeof Status>, RunInfo["status"]> & Same<Static<typeof Stage>, RunInfo["lifecycleStage"]> = true;
void infoMatches;
