import { MlfError } from "../../errors.js";
import { preview } from "../../util/json.js";
import type { Prediction } from "../runtime/onnx.js";
import type { FeedbackBody } from "../schemas.js";
import { entityKey } from "./hash.js";
import type { Route } from "./route.js";
import type { AnsweredRow } from "./window.js";

/** A label the caller observed for a prediction. */
type Label = number | string | boolean;

/**
 * The reward a prediction earns given the true label, in [0, 1]:
 * - a probability (a number in [0, 1]) against a binary label (0/1, true/false, "0"/"1"):
 *   1 - (label - p)², one minus the Brier score, a proper scoring rule (a model earns most by
 *   saying the true probability, not by saying 0 or 1);
 * - any other single value (a class label) against a label: 1 when they are equal, else 0.
 * Vectors have no rule: send a reward instead.
 */
function rewardFromLabel(prediction: Prediction, label: Label): number {
  if (typeof prediction === "number" && prediction >= 0 && prediction <= 1) {
    const y = label === true || label === 1 || label === "1" ? 1 : label === false || label === 0 || label === "0" ? 0 : undefined;
    if (y !== undefined) return 1 - (y - prediction) ** 2;
  }
  if (typeof prediction !== "object") return String(prediction) === String(label) ? 1 : 0;
  throw new MlfError("invalid_argument", 'The prediction is a vector, which a label can not score; send "reward" (0 to 1) instead.');
}

/**
 * Records an outcome for a remembered prediction of one of the `routed` models (by model
 * name) at `now` (epoch ms): finds the row by request id or by its entities' latest row, and
 * rewards the variant that answered it (and, given a label, the shadow). See the README's
 * /feedback. Throws an MlfError when the body names no remembered row, or one already rewarded.
 */
export function recordFeedback(routed: ReadonlyMap<string, Route>, body: FeedbackBody, now: number) {
  if ((body.request_id === undefined) === (body.entities === undefined)) throw new MlfError("invalid_argument", 'Name the prediction with "request_id" (from the /predict answer) or with "entities", not both or neither.');
  if ((body.reward === undefined) === (body.label === undefined)) throw new MlfError("invalid_argument", 'Send "reward" (a number from 0 to 1) or "label" (the true outcome), not both or neither.');
  const routes = body.model === undefined ? [...routed.values()] : [routed.get(body.model) ?? notRouted(routed, body.model)];
  let route: Route | undefined;
  let row: AnsweredRow | undefined;
  if (body.request_id !== undefined) {
    for (route of routes) {
      const first = route.window.first(body.request_id, now);
      if (!first) continue;
      if (body.row === undefined && first.rows > 1) throw new MlfError("invalid_argument", `Request ${body.request_id} predicted ${first.rows} rows; say which one with "row" (from 0).`);
      if ((body.row ?? 0) >= first.rows) throw new MlfError("invalid_argument", `Request ${body.request_id} predicted ${first.rows} row${first.rows > 1 ? "s" : ""}; "row" must be below that.`);
      row = route.window.row(first, body.row ?? 0);
      break;
    }
    if (!row) throw new MlfError("not_found", `No routed prediction has request id ${preview(body.request_id)}${body.row ? ` row ${body.row}` : ""} (feedback is taken for ${windowText(routes)}, on the server that answered, until it restarts); check the id from the /predict answer.`);
  } else {
    if (routes.length !== 1) throw new MlfError("invalid_argument", `Several models are routed (${[...routed.keys()].join(", ")}); name one with "model".`);
    route = routes[0]!;
    const entities = body.entities!;
    row = route.window.latest(entityKey(entities, route.keyNamesOf(entities), 0), now);
    if (!row) throw new MlfError("not_found", `No prediction of ${route.spec.model} for ${Object.entries(entities).map(([k, v]) => `${k}=${preview(v)}`).join(", ")} in the feedback window (${windowText([route])}); send the request_id instead, or check the keys.`);
  }
  if (row.rewarded) throw new MlfError("conflict", `Request ${row.requestId} row ${row.row} already has its feedback; a prediction is rewarded once.`);
  const reward = body.reward ?? rewardFromLabel(row.prediction, body.label!);
  row.rewarded = true;
  const arm = (variant: string) => route!.arms.find((a) => a.variant === variant)!;
  route!.reward(arm(row.variant), row.version, reward);
  let shadow: { variant: string; model_version: string; reward: number } | undefined;
  if (row.shadow && body.label !== undefined) {
    shadow = { variant: row.shadow.variant, model_version: row.shadow.version, reward: rewardFromLabel(row.shadow.prediction, body.label) };
    route!.reward(arm(row.shadow.variant), row.shadow.version, shadow.reward);
  }
  return { model: route!.spec.model, request_id: row.requestId, row: row.row, variant: row.variant, model_version: row.version, reward, ...(shadow && { shadow }) };
}

function notRouted(routed: ReadonlyMap<string, Route>, model: string): never {
  throw new MlfError("not_found", `Model ${preview(model)} has no route; feedback is taken for routed models (${[...routed.keys()].join(", ") || "none"}).`);
}

function windowText(routes: Route[]): string {
  const w = routes[0]?.window;
  return w ? `${w.maxAgeMs / 1000} s or the last ${w.max} predicted rows of a route` : "no route";
}
