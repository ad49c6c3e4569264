import { test } from "node:test";
import assert from "node:assert/strict";
import { setAlias } from "../../../src/models/lifecycle.js";
import { get, post } from "../helpers.js";
import { variantBytes } from "../models.js";
import { aliases, answersOf, lab, predict, route, routedServer } from "./setup.js";

test("a challenger's alias moves under concurrent load: no request fails, each answer comes wholly from one version, the route learns the new version", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const server = await routedServer(t, l, route("cancer:canary=cancer@challenger:50%"));
  const oracle = {
    "1": await answersOf(variantBytes({}), Array.from({ length: 30 }, (_, i) => i)),
    "2": await answersOf(l.shifted, Array.from({ length: 30 }, (_, i) => i)),
    "4": await answersOf(variantBytes({ interceptShift: -1 }), Array.from({ length: 30 }, (_, i) => i)),
  } as Record<string, number[]>;

  let done = 0;
  let swapped: Promise<void> | undefined;
  const seen: { version: string; variant: string; before: boolean }[] = [];
  const client = async (c: number) => {
    for (let i = 0; i < 40; i++) {
      const uid = 60_000 + c * 1000 + i;
      const answer = await predict(server, uid);
      assert.equal(answer.status, 200, answer.text);
      const { model_version: version, variant, prediction } = answer.body;
      assert.ok(Math.abs(prediction - oracle[version]![uid % 30]!) < 1e-5, `user ${uid}: ${prediction} is not version ${version}'s answer`);
      seen.push({ version, variant, before: swapped === undefined });
      // Move the alias once a third of the requests are answered, while the other clients keep asking.
      if (++done === 100) swapped = (async () => {
        setAlias(l.trackingDir, "cancer", "challenger", 4);
        assert.equal((await post(server, "/admin/reload", {})).status, 200);
      })();
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
  await swapped;
  const challengerVersions = new Set(seen.filter((s) => s.variant === "challenger").map((s) => s.version));
  assert.deepEqual([...challengerVersions].sort(), ["2", "4"]);
  assert.ok(seen.filter((s) => s.before).every((s) => s.version !== "4"));
  const state = (await get(server, "/routes")).body.routes[0];
  assert.deepEqual(state.variants.map((v: { version: string; share: number }) => [v.version, v.share]), [["1", 0.5], ["4", 0.5]]);
  assert.ok(server.logs.some((r) => r.msg === "model loaded" && r.model === "cancer#challenger" && r.version === "4" && r.previous_version === "2"));
});
