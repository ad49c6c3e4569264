import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyRepo } from "../../../src/apply/apply.js";
import { cacheConfig, loadConfigCached } from "../../../src/repo/config.js";
import { openRepo } from "../../../src/repo/repo.js";
import { openServing } from "../../../src/serving/open.js";
import { post } from "../helpers.js";
import { cancerRepo, patientIds } from "../repo.js";
import { readLog } from "./helpers.js";

/** Which answers `mlf serve` logs, from feature_store.yaml, the feature services and the flag. */

async function requests(url: string): Promise<void> {
  const server = { url } as Parameters<typeof post>[0];
  assert.equal((await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[0] } })).status, 200);
  assert.equal((await post(server, "/get-online-features", { feature_service: "cancer_all", entities: { patient_id: [patientIds[0]] } })).status, 200);
}

async function served(root: string, logFeatures?: boolean): Promise<void> {
  const server = await openServing({ repoDir: root, models: ["cancer/1"], port: 0, pollSeconds: 0, driftIntervalSeconds: 0, ...(logFeatures !== undefined && { logFeatures }) });
  try {
    await requests(server.url);
  } finally {
    await server.close();
  }
}

test("the logging block is parsed with its defaults and survives the config cache", async (t) => {
  const { repo } = await cancerRepo(t);
  appendFileSync(join(repo.root, "feature_store.yaml"), "logging:\n  path: logs/served\n  sample_rate: 0.5\n");
  const parsed = await cacheConfig(repo.root);
  assert.deepEqual(parsed.logging, { path: join(repo.root, "logs", "served"), sampleRate: 0.5, flushSeconds: 5, queueSize: 100_000 });
  assert.deepEqual(await loadConfigCached(repo.root), parsed);
});

test("without a logging block only feature services with their own logging: are logged; --log-features logs everything", async (t) => {
  const { repo } = await cancerRepo(t);
  const logs = join(repo.root, "data", "logs");
  await served(repo.root);
  assert.ok(!existsSync(logs), "nothing is logged by default");

  const features = join(repo.root, "features.yaml");
  writeFileSync(features, readFileSync(features, "utf8").replace("  - name: cancer_all\n", "  - name: cancer_all\n    logging:\n      sample_rate: 1\n"));
  await applyRepo(await openRepo(repo.root));
  await served(repo.root);
  assert.equal((await readLog(logs, "services", "cancer_all")).length, 1);
  assert.ok(!existsSync(join(logs, "models")));

  await served(repo.root, true);
  assert.equal((await readLog(logs, "models", "cancer")).length, 1);
  assert.equal((await readLog(logs, "services", "cancer_all")).length, 2);
});

test("a logging block logs every model and service at its rate, where it says; a service's own rate wins; --no-log-features logs nothing", async (t) => {
  const { repo } = await cancerRepo(t);
  appendFileSync(join(repo.root, "feature_store.yaml"), "logging:\n  path: logs/served\n");
  const features = join(repo.root, "features.yaml");
  writeFileSync(features, readFileSync(features, "utf8").replace("  - name: cancer_all\n", "  - name: cancer_all\n    logging:\n      sample_rate: 0\n"));
  await applyRepo(await openRepo(repo.root));
  await served(repo.root, false);
  const logs = join(repo.root, "logs", "served");
  assert.ok(!existsSync(logs), "--no-log-features");
  await served(repo.root);
  assert.equal((await readLog(logs, "models", "cancer")).length, 1);
  assert.ok(!existsSync(join(logs, "services")), "the service's sample_rate 0");
  assert.ok(!existsSync(join(repo.root, "data", "logs")));
});
