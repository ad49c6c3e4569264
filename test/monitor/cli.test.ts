import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { toOnnx } from "../../scripts/demo/onnx.js";
import { logFilePath, logFolder } from "../../src/repo/feature-logs.js";
import { MLF, tempDir } from "../helpers.js";
import { writeParquet, type Cell } from "./fixtures.js";
import { lcg, normal } from "./oracle.js";

/** `mlf monitor drift` as a user runs it: exit codes, --json, --html, --webhook, bad input. */

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** bin/mlf, asynchronously: the webhook receiver runs in this process meanwhile. */
function mlfAsync(args: string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MLF, ...args], { cwd, env: { ...process.env, TZ: "UTC", NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

/** Reference and current files: `delay` shifted by `shift` sd in the current one, `origin` the same. */
async function dataFiles(dir: string, shift: number): Promise<void> {
  const rows = (n: number, s: number, seed: number): Cell[][] => {
    const next = lcg(seed);
    return Array.from({ length: n }, () => [normal(next) + s, ["LAX", "ORD", "SFO"][Math.floor(next() * 3)]!, new Date(Date.UTC(2026, 0, 1) + Math.floor(next() * 1e9)).toISOString()]);
  };
  const columns = { delay: "DOUBLE", origin: "VARCHAR", event_timestamp: "TIMESTAMPTZ" };
  await writeParquet(join(dir, "reference.parquet"), columns, rows(2000, 0, 1));
  await writeParquet(join(dir, "current.parquet"), columns, rows(1500, shift, 2));
}

/** A local HTTP receiver answering `status`; collects the JSON bodies it was sent. */
async function receiver(t: { after(fn: () => void): void }, status: number): Promise<{ url: string; bodies: { headers: IncomingMessage["headers"]; body: unknown }[] }> {
  const bodies: { headers: IncomingMessage["headers"]; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d));
    req.on("end", () => {
      bodies.push({ headers: req.headers, body: JSON.parse(text) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, bodies };
}

test("drift exits 4 with the report, no drift exits 0; --json carries every verdict", async (t) => {
  const dir = tempDir(t);
  await dataFiles(dir, 1);
  const drifted = await mlfAsync(["monitor", "drift", "--reference", "reference.parquet", "--current", "current.parquet"], dir);
  assert.equal(drifted.status, 4, drifted.stderr);
  assert.match(drifted.stdout, /^feature\s+test\s+score\s+threshold\s+drift/m);
  assert.match(drifted.stdout, /^delay\s+wasserstein\s+\S+\s+0\.1000\s+DRIFT/m);
  assert.match(drifted.stdout, /^origin\s+jensenshannon\s+\S+\s+0\.1000\s+ok/m);
  assert.match(drifted.stdout, /1 of 2 features drifted \(50\.0%, dataset drift at 50\.0%\): dataset drift detected\./);
  assert.match(drifted.stderr, /not tested: event_timestamp \(TIMESTAMP WITH TIME ZONE columns are not tested\)/);

  const json = await mlfAsync(["--json", "monitor", "drift", "--reference", "reference.parquet", "--current", "current.parquet", "--drift-share", "0.6"], dir);
  assert.equal(json.status, 0, "one of two features is below a 0.6 share");
  const report = JSON.parse(json.stdout) as { dataset: Record<string, unknown>; features: { name: string; test: string; drifted: boolean; threshold: number }[] };
  assert.deepEqual(report.dataset, { features: 2, drifted: 1, share: 0.5, driftShare: 0.6, drift: false });
  assert.deepEqual(report.features.map((f) => [f.name, f.test, f.drifted]), [["delay", "wasserstein", true], ["origin", "jensenshannon", false]]);

  // Per-test options: KS on delay, a stricter threshold for origin.
  const options = await mlfAsync(["--json", "monitor", "drift", "--reference", "reference.parquet", "--current", "current.parquet", "--stattest", "delay=ks", "--threshold", "origin=0.001"], dir);
  const custom = JSON.parse(options.stdout) as typeof report;
  assert.deepEqual(custom.features.map((f) => [f.name, f.test, f.threshold]), [["delay", "ks", 0.05], ["origin", "jensenshannon", 0.001]]);
  // One test for all: PSI takes both kinds; Wasserstein only numbers, so origin keeps its default.
  const psi = JSON.parse((await mlfAsync(["--json", "monitor", "drift", "--reference", "reference.parquet", "--current", "current.parquet", "--stattest", "psi"], dir)).stdout) as typeof report;
  assert.deepEqual(psi.features.map((f) => [f.name, f.test]), [["delay", "psi"], ["origin", "psi"]]);
  const wasserstein = JSON.parse((await mlfAsync(["--json", "monitor", "drift", "--reference", "reference.parquet", "--current", "current.parquet", "--stattest", "wasserstein"], dir)).stdout) as typeof report;
  assert.deepEqual(wasserstein.features.map((f) => [f.name, f.test]), [["delay", "wasserstein"], ["origin", "jensenshannon"]]);
});

test("--html writes one self-contained page with a chart per feature", async (t) => {
  const dir = tempDir(t);
  await dataFiles(dir, 1);
  const r = await mlfAsync(["monitor", "drift", "--reference", "reference.parquet", "--current", "current.parquet", "--html", "out/report.html", "-q"], dir);
  assert.equal(r.status, 4, r.stderr);
  const html = readFileSync(join(dir, "out", "report.html"), "utf8");
  assert.match(html, /Dataset drift detected/);
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, "nothing is fetched");
  assert.doesNotMatch(html, /https?:\/\//);
});

test("--webhook posts a JSON alert on dataset drift only; an undeliverable alert exits 1 and says drift was found", async (t) => {
  const dir = tempDir(t);
  await dataFiles(dir, 1);
  const ok = await receiver(t, 204);
  const sent = await mlfAsync(["monitor", "drift", "--reference", "reference.parquet", "--current", "current.parquet", "--webhook", ok.url], dir);
  assert.equal(sent.status, 4, sent.stderr);
  assert.equal(ok.bodies.length, 1);
  assert.equal(ok.bodies[0]!.headers["content-type"], "application/json");
  const alert = ok.bodies[0]!.body as { event: string; dataset: { drift: boolean }; driftedFeatures: { name: string; test: string }[] };
  assert.equal(alert.event, "mlf.drift_detected");
  assert.equal(alert.dataset.drift, true);
  assert.deepEqual(alert.driftedFeatures.map((f) => [f.name, f.test]), [["delay", "wasserstein"]]);

  const quiet = await mlfAsync(["monitor", "drift", "--reference", "reference.parquet", "--current", "reference.parquet", "--webhook", ok.url], dir);
  assert.equal(quiet.status, 0);
  assert.equal(ok.bodies.length, 1, "no drift, no alert");

  const failing = await receiver(t, 503);
  const failed = await mlfAsync(["--json", "monitor", "drift", "--reference", "reference.parquet", "--current", "current.parquet", "--webhook", failing.url], dir);
  assert.equal(failed.status, 1);
  assert.equal(failing.bodies.length, 3, "a 5xx is retried twice");
  assert.match(failed.stderr, /Dataset drift was detected, but the alert could not be posted to .* \(HTTP 503, 3 attempts\)/);
  const report = JSON.parse(failed.stdout) as { dataset: { drift: boolean }; webhook: { delivered: boolean; status: number } };
  assert.equal(report.dataset.drift, true);
  assert.deepEqual([report.webhook.delivered, report.webhook.status], [false, 503]);
});

test("bad input is one clear error and writes nothing", async (t) => {
  const dir = tempDir(t);
  await dataFiles(dir, 0);
  const cases: [string[], number, RegExp][] = [
    [["--current", "current.parquet"], 2, /Pass --model NAME@ALIAS, or both --reference FILE and --current FILE/],
    [["--reference", "nope.parquet", "--current", "current.parquet"], 1, /There is no data file at .*nope\.parquet/],
    [["--reference", "reference.parquet", "--current", "current.parquet", "--stattest", "kss"], 2, /"kss" is not a drift test; use one of ks, wasserstein/],
    [["--reference", "reference.parquet", "--current", "current.parquet", "--stattest", "origin=ks"], 2, /The ks test does not apply to categorical feature "origin"/],
    [["--reference", "reference.parquet", "--current", "current.parquet", "--threshold", "nope=0.2"], 2, /"nope" is not a feature of this comparison/],
    [["--reference", "reference.parquet", "--current", "current.parquet", "--threshold", "-1"], 2, /--threshold "-1" is not a number/],
    [["--reference", "reference.parquet", "--current", "current.parquet", "--since", "24h"], 2, /--since applies to a folder of feature logs/],
    [["--reference", "reference.parquet", "--current", "current.parquet", "--webhook", "ftp://x"], 2, /not an http\(s\) URL/],
    [["--reference", "reference.parquet", "--current", "current.parquet", "--html", "r.html", "--features", "nothing"], 1, /share no feature to test \(nothing: not in the reference data\)/],
  ];
  for (const [args, status, message] of cases) {
    const r = await mlfAsync(["monitor", "drift", ...args], dir);
    assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  assert.equal(existsSync(join(dir, "r.html")), false);
  const json = await mlfAsync(["--json", "monitor", "drift", "--reference", "nope.csv", "--current", "current.parquet"], dir);
  assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, "file_not_found");
});

test("--model NAME@ALIAS compares the version's registered reference with its feature logs", async (t) => {
  const dir = tempDir(t);
  const refs = ["origin_last_hour:avg_delay_1h", "origin_last_hour:departures_1h"];
  const next = lcg(3);
  await writeParquet(join(dir, "train.parquet"), { avg_delay_1h: "DOUBLE", departures_1h: "BIGINT" }, Array.from({ length: 800 }, () => [normal(next) * 10 + 8, Math.floor(next() * 30)]));
  writeFileSync(join(dir, "model.onnx"), toOnnx({ features: ["avg_delay_1h", "departures_1h"], means: [8, 15], scales: [10, 8], weights: [0.9, -0.3], intercept: -1.2 }));
  const registered = await mlfAsync(["registry", "register", "delay", "--file", "model.onnx", "--features", refs.join(","), "--reference", "train.parquet", "--tracking-dir", "mlruns"], dir);
  assert.equal(registered.status, 0, registered.stderr);
  assert.equal((await mlfAsync(["registry", "alias", "delay", "champion", "1", "--tracking-dir", "mlruns"], dir)).status, 0);
  // Two hours of logs: the first like training, the second with delays 15 minutes later.
  for (const [hour, shift] of [[10, 0], [11, 15]] as const) {
    const at = Date.UTC(2026, 5, 1, hour);
    const file = logFilePath(logFolder(join(dir, "data", "logs"), "models", "delay"), at, 1);
    mkdirSync(dirname(file), { recursive: true });
    const rows = Array.from({ length: 300 }, (_, i) => {
      const [delay, departures] = [normal(next) * 10 + 8 + shift, Math.floor(next() * 30)];
      const prediction = 1 / (1 + Math.exp(1.2 - 0.9 * ((delay - 8) / 10) + 0.3 * ((departures - 15) / 8)));
      return [new Date(at + i * 1000).toISOString(), 1, delay, departures, prediction];
    });
    await writeParquet(file, { timestamp: "TIMESTAMPTZ", model_version: "INTEGER", [refs[0]!]: "DOUBLE", [refs[1]!]: "BIGINT", prediction: "DOUBLE" }, rows);
  }
  const early = await mlfAsync(["--json", "monitor", "drift", "--model", "delay@champion", "--tracking-dir", "mlruns", "--current", join("data", "logs", "models", "delay")], dir);
  const whole = JSON.parse(early.stdout) as { model: unknown; reference: { kind: string }; current: { rows: number }; features: { name: string; test: string }[] };
  assert.deepEqual(whole.model, { name: "delay", version: 1 });
  assert.equal(whole.reference.kind, "file");
  assert.equal(whole.current.rows, 600);
  assert.deepEqual(whole.features.map((f) => [f.name, f.test]), [[refs[0], "ks"], [refs[1], "ks"]], "800 reference rows: KS");
  const late = await mlfAsync(["monitor", "drift", "--model", "delay@champion", "--tracking-dir", "mlruns", "--since", "2026-06-01T11:00:00Z"], dir);
  assert.match(late.stdout, /^origin_last_hour:avg_delay_1h\s+ks\s+\S+\s+0\.0500\s+DRIFT/m);
  assert.match(late.stdout, /^\(prediction\)\s+ks\s+\S+\s+0\.0500\s+DRIFT/m);
});
