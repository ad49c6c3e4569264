import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { setAlias } from "../../src/models/lifecycle.js";
import { MLF } from "../helpers.js";
import { assertClose, expected } from "./helpers.js";
import { cancerRepo, patientIds } from "./repo.js";

test("mlf serve: loopback by default, serves a registry alias, finishes in-flight requests on SIGTERM and exits 0", async (t) => {
  const { repo, trackingDir } = await cancerRepo(t);
  setAlias(trackingDir, "cancer", "champion", 1);
  const child = spawn(process.execPath, [MLF, "-C", repo.root, "serve", "--port", "0", "--model", "cancer@champion", "--json"], { env: { ...process.env, TZ: "UTC", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const started = await new Promise<{ url: string; models: { version: string }[] }>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!));
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(started.models[0]!.version, "1");

  const ask = () => fetch(`${started.url}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "cancer", entities: { patient_id: patientIds } }) });
  const first = await ask();
  assertClose(((await first.json()) as { predictions: number[] }).predictions, expected.proba_1);

  const inFlight = Array.from({ length: 16 }, ask);
  await new Promise((r) => setTimeout(r, 5));
  child.kill("SIGTERM");
  const answers = await Promise.allSettled(inFlight);
  // Requests the server had accepted finish with 200; none is cut off with a 5xx.
  for (const a of answers) if (a.status === "fulfilled") assert.equal(a.value.status, 200);
  assert.equal(await exited, 0);
  const logs = stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(logs.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM"));
  assert.ok(logs.filter((l) => l.msg === "request").every((l) => typeof l.ms === "number" && l.route === "/predict"));
  await assert.rejects(fetch(`${started.url}/health`));
});
