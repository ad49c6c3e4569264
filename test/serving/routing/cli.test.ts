import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MLF, mlf } from "../../helpers.js";
import { aliases, lab } from "./setup.js";

test("mlf serve --route: the routes in --json, state in data/routing.db; routes in feature_store.yaml are validated with lines", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const child = spawn(process.execPath, [MLF, "-C", l.dir, "serve", "--port", "0", "--model", "cancer@champion", "--route", "cancer:canary=cancer@challenger:5%", "--json", "-q"], { env: { ...process.env, TZ: "UTC", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const started = await new Promise<{ url: string; routes: { model: string; mode: string; variants: { variant: string; version: string; share: number }[] }[] }>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!));
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  child.kill("SIGTERM");
  assert.equal(await exited, 0);
  assert.deepEqual(started.routes.map((r) => [r.model, r.mode, r.variants.map((v) => [v.variant, v.version, v.share])]), [["cancer", "canary", [["champion", "1", 0.95], ["challenger", "2", 0.05]]]]);
  assert.ok(existsSync(join(l.dir, "data", "routing.db")));

  const bad = mlf(["-C", l.dir, "serve", "--port", "0", "--model", "cancer@champion", "--route", "cancer:canary=cancer@challenger"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--route "cancer:canary=cancer@challenger": a canary route needs the challenger's share/);
  const unserved = mlf(["-C", l.dir, "serve", "--port", "0", "--model", "cancer@champion", "--route", "other:shadow=other@b"]);
  assert.equal(unserved.status, 2);
  assert.match(unserved.stderr, /is for model other, which is not served; serve it with --model \(served: cancer\)/);

  const outside = mlf(["serve", "--port", "0", "--model", join(l.dir, "shifted.onnx"), "--route", `shifted:shadow=${join(l.dir, "shifted-down.onnx")}`], { cwd: tmpdir() });
  assert.equal(outside.status, 2);
  assert.match(outside.stderr, /Routes keep their state in a file; run mlf serve inside a feature repository \(data\/routing\.db\) or pass --routing-db FILE\./);

  appendFileSync(join(l.dir, "feature_store.yaml"), "routes:\n  cancer:\n    mode: canary\n    challenger: cancer@challenger\n    rollback: {error_rate: 5%}\n");
  const invalid = mlf(["-C", l.dir, "serve", "--port", "0", "--model", "cancer@champion", "--json"]);
  assert.equal(invalid.status, 2);
  const error = invalid.json<{ error: { code: string; problems: { file: string; line: number; message: string }[] } }>().error;
  assert.equal(error.code, "invalid_definition");
  assert.deepEqual(error.problems.map((p) => `${p.file}:${p.line}: ${p.message}`), ['feature_store.yaml:12: route "cancer": a canary route needs the challenger\'s share']);
});
