/// <reference lib="dom" />
// Functions passed to page.evaluate run in the browser: the DOM types are for them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MlflowServer } from "../../src/mlflow/server.js";
import { runPipeline } from "../../src/pipeline/run.js";
import { pipelineHistory } from "../../src/pipeline/status.js";
import type { Repo } from "../../src/repo/repo.js";
import { startUiServer } from "../../src/ui/server.js";
import type { PipelineView } from "../../src/ui/types.js";
import { tempDir } from "../helpers.js";
import { pipelineRepo } from "../pipeline/fixture.js";
import { launchBrowser, openPage, screenshot, type Browser } from "./browser.js";

/**
 * Pipelines in the UI, over real `mlf pipeline run`s of the pipeline tests' repository: the
 * first run promotes a constant model (no champion yet), a forced second run of the same model
 * ties and is rejected. The page lists both as `mlf pipeline history` does, and a run's page
 * shows its steps (child runs) and links back to its pipeline.
 */

const cleanups: (() => void)[] = [];
const t = { after: (fn: () => void) => cleanups.push(fn) };
let repo: Repo;
let server: MlflowServer;
let browser: Browser;

before(async () => {
  repo = await pipelineRepo(t);
  process.env.PIPELINE_TRAINER = "weak";
  try {
    for (const force of [false, true]) await runPipeline(repo, "churn_retrain", { trackingDir: repo.config.trackingPath, force });
  } finally {
    delete process.env.PIPELINE_TRAINER;
  }
  server = await startUiServer({ root: repo.config.trackingPath, repo, port: 0, cacheDir: tempDir(t, "mlf-cache-") });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  for (const fn of cleanups.reverse()) fn();
});

describe("pipelines in mlf ui", () => {
  test("/ui-api/pipelines: each applied pipeline, where its alias points and its runs, as mlf pipeline history reports them", async () => {
    const answer = (await (await fetch(`${server.url}/ui-api/pipelines`)).json()) as { pipelines: PipelineView[] };
    assert.equal(answer.pipelines.length, 1);
    const [view] = answer.pipelines;
    assert.deepEqual([view!.pipeline.name, view!.pipeline.model, view!.pipeline.featureService, view!.champion, view!.total], ["churn_retrain", "churn", "churn_inputs", 1, 2]);
    const history = pipelineHistory(repo, repo.config.trackingPath, "churn_retrain");
    assert.deepEqual(view!.runs, JSON.parse(JSON.stringify(history)));
    assert.deepEqual(view!.runs.map((r) => [r.outcome, r.challenger.version, r.champion.version]), [["rejected", 2, 1], ["promoted", 1, null]]);
  });

  test("the page shows each run's outcome and scores; a run's page lists its steps and links back to its pipeline", async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}/#/pipelines`);
    await page.waitForSelector("table.pipeline-runs tbody tr:nth-child(2)");
    const rows = await page.$$eval("table.pipeline-runs tbody tr", (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent!.trim())));
    assert.deepEqual(rows.map((r) => [r[2], r[3], r[4]!.split(" ")[0], r[5]!.split(" ")[0]]), [["rejected", "forced", "v2", "v1"], ["promoted", "on_new_data", "v1", ""]]);
    assert.match(rows[0]![6]!, /no better/);
    const facts = await page.$$eval("#pipeline-churn_retrain dl.facts div", (divs) => divs.map((d) => [d.querySelector("dt")!.textContent, d.querySelector("dd")!.textContent]));
    for (const fact of [["Model", "churn"], ["@champion", "version 1"], ["Feature service", "churn_inputs"], ["Triggers", "on new data"]]) assert.ok(facts.some((f) => f[0] === fact[0] && f[1] === fact[1]), `${fact.join(": ")} in ${JSON.stringify(facts)}`);
    await screenshot(page, "pipelines");

    // The promoting run: its four steps, in order, and the way back.
    await page.locator("table.pipeline-runs tbody tr:nth-child(2) th a").click();
    await page.waitForSelector("table.children tbody tr:nth-child(4)");
    const steps = await page.$$eval("table.children tbody th", (ths) => ths.map((th) => th.textContent));
    assert.deepEqual(steps, ["datasets", "train", "evaluate", "gate"]);
    await screenshot(page, "pipeline-run");
    await page.getByRole("region", { name: "Lineage" }).getByRole("link", { name: "churn_retrain", exact: true }).click();
    await page.waitForSelector("#pipeline-churn_retrain");
    assert.match(page.url(), /#\/pipelines\/churn_retrain$/);

    // A step's page names its parent run.
    await page.goBack();
    await page.getByRole("link", { name: "train", exact: true }).click();
    await page.getByRole("region", { name: "Lineage" }).getByRole("link", { name: rows[1]![1]! }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });
});
