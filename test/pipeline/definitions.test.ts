import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mlf } from "../helpers.js";
import { pipelineRepo } from "./fixture.js";

/** A pipeline definition with one part replaced, as users get it wrong. */
const pipeline = (over: Record<string, string> = {}) => {
  const parts: Record<string, string> = {
    head: "pipelines:\n  - name: p2\n",
    model: "    model: churn\n",
    service: "    feature_service: churn_inputs\n",
    entities: "    entities: data/labels.csv\n",
    label: "    label: churned\n",
    train: "    train:\n      command: [python, train.py]\n",
    evaluation: "    evaluation:\n      metric: auc\n",
    holdout: "    holdout: 7d\n",
    extra: "",
    ...over,
  };
  return Object.values(parts).join("");
};

const cases: [string, string, RegExp][] = [
  ["unknown key", pipeline({ extra: "    retries: 3\n" }), /bad.yaml:12: unknown key pipelines\[0\] \(p2\).retries/],
  ["unknown metric", pipeline({ evaluation: "    evaluation:\n      metric: f1\n" }), /bad.yaml:10: pipelines\[0\] \(p2\).evaluation.metric is "f1", expected auc, accuracy, logloss, rmse, mae/],
  ["direction against the metric", pipeline({ evaluation: "    evaluation:\n      metric: rmse\n      direction: max\n" }), /bad.yaml:11: pipeline "p2" says rmse improves towards max \(rmse is better when it is lower; set direction: min or remove it\)/],
  ["entities and entity_sql", pipeline({ extra: "    entity_sql: select 1\n" }), /bad.yaml:2: pipeline "p2" has both entities and entity_sql/],
  ["no entity rows", pipeline({ entities: "" }), /bad.yaml:2: pipeline "p2" has no entity rows/],
  ["bad holdout", pipeline({ holdout: "    holdout: 0\n" }), /bad.yaml:11: pipeline "p2" has holdout "0" \(use a duration greater than 0/],
  ["command as a string", pipeline({ train: "    train:\n      command: python train.py\n" }), /bad.yaml:8: pipelines\[0\] \(p2\).train.command is "python train.py", expected a list of words/],
  ["unknown service", pipeline({ service: "    feature_service: nope\n" }), /bad.yaml:2: pipeline "p2" uses unknown feature service "nope" \(define it or use one of: churn_inputs\)/],
  ["missing entity file", pipeline({ entities: "    entities: data/gone.csv\n" }), /bad.yaml:2: pipeline "p2" reads entity rows from data\/gone.csv, which does not exist/],
  ["label that is a feature", pipeline({ label: "    label: x1\n" }), /bad.yaml:2: pipeline "p2" uses "x1" as its label, which is also a feature of service "churn_inputs"/],
  ["reserved alias", pipeline({ extra: "    alias: latest\n" }), /bad.yaml:12: pipeline "p2" uses the reserved alias "latest"/],
  ["on_drift with an unknown key", pipeline({ extra: "    triggers:\n      on_drift: {threshold: 0.5}\n" }), /bad.yaml:13: pipelines\[0\] \(p2\).triggers.on_drift is \{"threshold":0.5\}, expected true, false or \{current: FILE, window: 7d, drift_share: 0.5\}/],
  ["bad on_drift window", pipeline({ extra: "    triggers:\n      on_drift: {window: soon}\n" }), /bad.yaml:13: pipeline "p2" has on_drift.window "soon"/],
  ["duplicate name", pipeline({ head: "pipelines:\n  - name: churn_retrain\n" }), /pipelines.yaml:2: pipeline "churn_retrain" is defined twice \(first at bad.yaml:2\)/],
];

test("a bad pipeline definition fails plan and apply with its file and line, and changes nothing", async (t) => {
  const repo = await pipelineRepo(t);
  const registry = readFileSync(repo.config.registry, "utf8");
  for (const [i, [name, yaml, expected]] of cases.entries()) {
    writeFileSync(join(repo.root, "bad.yaml"), yaml);
    // apply goes through the same validation; it is run for a schema and a rule problem.
    for (const command of i === 0 || i === 7 ? ["plan", "apply"] : ["plan"]) {
      const result = mlf(["-C", repo.root, command]);
      assert.equal(result.status, 2, `${name} (${command}): ${result.stderr}`);
      assert.match(result.stderr, expected, `${name} (${command})`);
    }
    assert.equal(readFileSync(repo.config.registry, "utf8"), registry, name);
  }
  writeFileSync(join(repo.root, "bad.yaml"), pipeline());
  const plan = mlf(["-C", repo.root, "plan"]);
  assert.equal(plan.status, 0, plan.stderr);
  assert.match(plan.stdout, /^Created pipeline p2$/m);
});
