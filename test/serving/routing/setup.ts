import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setAlias } from "../../../src/models/lifecycle.js";
import { registerModel } from "../../../src/models/register.js";
import { openFeatureBackend } from "../../../src/serving/features.js";
import { modelSource } from "../../../src/serving/model-registry-source.js";
import type { RoutingClock } from "../../../src/serving/routing/route.js";
import type { RouteSpec } from "../../../src/serving/routing/spec.js";
import { parseRouteFlag } from "../../../src/serving/routing/spec.js";
import { OnnxModel, type Prediction } from "../../../src/serving/runtime/onnx.js";
import type { ServeOptions } from "../../../src/serving/server.js";
import type { ModelSource } from "../../../src/serving/sources.js";
import type { Repo } from "../../../src/repo/repo.js";
import { expected, post, serve, type Answer } from "../helpers.js";
import { variantBytes } from "../models.js";
import { cancerRepo, featureRefs } from "../repo.js";

/**
 * The models of the routing tests, all registered as "cancer" in one repository whose online
 * store holds the 30 reference patients (1000..1029):
 * - version 1: the reference model;
 * - version 2: the reference with its intercepts shifted by 1.5: a real, different and
 *   worse-calibrated model (it earns less reward on the true labels);
 * - version 3: the reference registered with a feature the repository does not have, so every
 *   request it gets fails (a bad deploy);
 * - version 4: the reference shifted the other way, a third distinct model.
 */
export interface Lab {
  repo: Repo;
  trackingDir: string;
  dir: string;
  /** Version 2's bytes, to compute its answers directly. */
  shifted: Uint8Array;
}

export async function lab(t: { after(fn: () => void): void }): Promise<Lab> {
  const { repo, trackingDir } = await cancerRepo(t);
  const dir = repo.root;
  const file = (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const shifted = variantBytes({ interceptShift: 1.5 });
  await registerModel(trackingDir, "cancer", { file: file("shifted.onnx", shifted), features: featureRefs });
  await registerModel(trackingDir, "cancer", { file: file("reference.onnx", variantBytes({})), features: [...featureRefs.slice(0, -1), "cancer:no_such_feature"] });
  await registerModel(trackingDir, "cancer", { file: file("shifted-down.onnx", variantBytes({ interceptShift: -1 })), features: featureRefs });
  return { repo, trackingDir, dir, shifted };
}

/** Points the aliases the routes use at versions. */
export function aliases(l: Lab, champion: number, challenger: number): void {
  setAlias(l.trackingDir, "cancer", "champion", champion);
  setAlias(l.trackingDir, "cancer", "challenger", challenger);
}

/** A route for model "cancer" from a --route flag, with rollback settings changed. */
export function route(flag: string, rollback: Partial<RouteSpec["rollback"]> = {}): RouteSpec {
  const spec = parseRouteFlag(flag);
  return { ...spec, rollback: { ...spec.rollback, ...rollback } };
}

/** A server for cancer@champion with `spec`, its state in the lab's data/routing.db. */
export async function routedServer(t: { after(fn: () => Promise<void>): void }, l: Lab, spec: RouteSpec, options: ServeOptions & { challengerSource?: (s: ModelSource) => ModelSource } = {}) {
  const { challengerSource = (s) => s, ...rest } = options;
  return serve(t, {
    features: await openFeatureBackend(l.repo),
    models: [modelSource(l.trackingDir, "cancer@champion")],
    routes: [{ spec, sources: spec.challengers.map((c) => challengerSource(modelSource(l.trackingDir, c.uri))) }],
    routingState: join(l.dir, "data", "routing.db"),
    ...rest,
  });
}

/** A /predict body for simulated user `uid`: its features sent with the request (reference row uid % 30). */
export function userBody(uid: number | number[]) {
  const ids = Array.isArray(uid) ? uid : [uid];
  const column = (i: number) => ids.map((u) => expected.rows[u % 30]![i]!);
  const features = Object.fromEntries(expected.feature_names.map((f, i) => [f, Array.isArray(uid) ? column(i) : column(i)[0]!]));
  return { model: "cancer", entities: { patient_id: uid }, features };
}

export function predict(server: Parameters<typeof post>[0], uid: number | number[]): Promise<Answer> {
  return post(server, "/predict", userBody(uid));
}

/** What a model file answers for users directly (the oracle for a variant's rows). */
export async function answersOf(bytes: Uint8Array, uids: number[]): Promise<Prediction[]> {
  const model = await OnnxModel.load(bytes, "oracle");
  try {
    return await model.predict({ kind: "frame", columns: featureRefs, rows: uids.map((u) => expected.rows[u % 30]!) }, featureRefs);
  } finally {
    await model.release();
  }
}

/** A clock the test moves: wall time stands still unless set, elapsed time moves only when `advance` is called. */
export function testClock(start = Date.parse("2026-01-01T00:00:00Z")): RoutingClock & { wall: number; t: number; advance(ms: number): void } {
  const clock = { wall: start, t: 0, now: () => clock.wall, elapsed: () => clock.t, advance: (ms: number) => void (clock.t += ms) };
  return clock;
}

/** `source` whose loaded model takes `ms` of the test clock per prediction (a slow version, without sleeping). */
export function slowSource(source: ModelSource, clock: { advance(ms: number): void }, ms: number): ModelSource {
  return {
    ...source,
    resolve: async () => {
      const resolved = await source.resolve();
      return {
        ...resolved,
        load: async () => {
          const artifact = await resolved.load();
          const predict = artifact.model.predict.bind(artifact.model);
          artifact.model.predict = async (input, names) => {
            clock.advance(ms);
            return predict(input, names);
          };
          return artifact;
        },
      };
    },
  };
}

/** The text of a metric sample, e.g. metric(text, 'mlf_route_share{model="cancer",variant="challenger"}'). */
export function metric(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
