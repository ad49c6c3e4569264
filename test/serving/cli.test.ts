import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { setAlias } from "../../src/models/lifecycle.js";
import { MLF } from "../helpers.js";
import { assertClose, expected } from "./helpers.js";
import { cancerRepo, patientIds } from "./repo.js";

test("mlf serve: loopback by default, serves a registry alias, finishes a request in flight on SIGTERM and exits 0", async (t) => {
  const { repo, trackingDir } = await cancerRepo(t);
  setAlias(trackingDir, "cancer", "champion", 1);
  const child = spawn(process.execPath, [MLF, "-C", repo.root, "serve", "--port", "0", "--model", "cancer@champion", "--json"], { env: { ...process.env, TZ: "UTC", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const shuttingDown = new Promise<void>((resolve) => child.stderr.on("data", (c: Buffer) => (stderr += c.toString()).includes('"msg":"shutting down"') && resolve()));
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

  // A request in flight that only this test can finish: the server has read its headers (it
  // answers "100 Continue" to `Expect: 100-continue` once it has) and waits for its body.
  const { port, hostname } = new URL(started.url);
  const socket = connect(Number(port), hostname);
  let response = "";
  const waitFor = (text: string) => new Promise<void>((resolve) => {
    const check = () => response.includes(text) && resolve();
    socket.on("data", check);
    check();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("data", (chunk: Buffer) => (response += chunk.toString()));
  const payload = JSON.stringify({ model: "cancer", entities: { patient_id: patientIds } });
  socket.write(`POST /predict HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nExpect: 100-continue\r\n\r\n`);
  await waitFor("HTTP/1.1 100 Continue\r\n\r\n");

  child.kill("SIGTERM");
  await shuttingDown; // the server has begun to close with the request in flight
  socket.write(payload);
  await closed;
  const [head, body] = response.slice(response.indexOf("\r\n\r\n") + 4).split("\r\n\r\n");
  assert.match(head!, /^HTTP\/1.1 200 OK\r\n/, "the request in flight when shutdown began was answered");
  assertClose((JSON.parse(body!) as { predictions: number[] }).predictions, expected.proba_1);
  assert.equal(await exited, 0);
  const logs = stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(logs.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM"));
  assert.ok(logs.filter((l) => l.msg === "request").every((l) => typeof l.ms === "number" && l.route === "/predict"));
  await assert.rejects(fetch(`${started.url}/health`));
});
