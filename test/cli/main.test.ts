import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { colorFor } from "../../src/cli/colors.js";
import { ROOT, mlf, tempDir } from "../helpers.js";

interface Envelope {
  status: string;
  error: { code: string; message: string };
}

test("with --json a command-line parse error is the JSON error envelope on stdout, exit 2", (t) => {
  const dir = tempDir(t);
  const cases: [string[], RegExp][] = [
    [["plan", "--no-such-flag"], /^unknown option '--no-such-flag'; run with --help for usage\.$/],
    [["materialize", "2024-01-01"], /^missing required argument 'end'; run with --help for usage\.$/],
    [["frobnicate"], /^unknown command 'frobnicate'/],
    [["get-online", "-e"], /^option '-e, --entity <key=values>' argument missing/],
    [[], /^No command given; run "mlf --help" for the list of commands\.$/],
  ];
  for (const [args, message] of cases) {
    for (const at of ["front", "back"]) {
      const run = mlf(at === "front" ? ["--json", ...args] : [...args, "--json"], { cwd: dir });
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
      const lines = run.stdout.trim().split("\n");
      assert.equal(lines.length, 1, "one JSON document on stdout");
      const envelope = JSON.parse(lines[0]!) as Envelope;
      assert.equal(envelope.status, "error");
      assert.equal(envelope.error.code, "usage");
      assert.match(envelope.error.message, message);
    }
  }
  const human = mlf(["plan", "--no-such-flag"], { cwd: dir });
  assert.equal(human.status, 2);
  assert.equal(human.stdout, "");
  assert.match(human.stderr, /^error: unknown option '--no-such-flag'\n\(run with --help for usage\)\n$/);
});

test("colours: --no-color, then FORCE_COLOR, then NO_COLOR, then whether the stream is a terminal", (t) => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  assert.equal(colorFor(true, tty, {}), true);
  assert.equal(colorFor(true, pipe, {}), false);
  assert.equal(colorFor(true, tty, { TERM: "dumb" }), false);
  assert.equal(colorFor(true, tty, { NO_COLOR: "1" }), false);
  assert.equal(colorFor(true, tty, { NO_COLOR: "" }), true, "an empty NO_COLOR does not count (no-color.org)");
  assert.equal(colorFor(true, pipe, { FORCE_COLOR: "1" }), true);
  assert.equal(colorFor(true, pipe, { FORCE_COLOR: "" }), true);
  assert.equal(colorFor(true, tty, { FORCE_COLOR: "0" }), false);
  assert.equal(colorFor(true, tty, { FORCE_COLOR: "false" }), false);
  assert.equal(colorFor(true, pipe, { FORCE_COLOR: "2", NO_COLOR: "1" }), true, "FORCE_COLOR wins over NO_COLOR, as in Node");
  assert.equal(colorFor(false, tty, { FORCE_COLOR: "1" }), false, "--no-color wins over everything");

  // End to end: an error message on stderr (a pipe here), red only when forced.
  const dir = tempDir(t);
  const red = "\u001b[31merror:\u001b[39m";
  const run = (args: string[], env: NodeJS.ProcessEnv) => mlf([...args, "-C", dir, "entities", "list"], { env: { NO_COLOR: "", ...env } }).stderr;
  assert.ok(run([], { FORCE_COLOR: "1" }).startsWith(red));
  assert.ok(run(["--no-color"], { FORCE_COLOR: "1" }).startsWith("error: "));
  assert.ok(run([], {}).startsWith("error: "), "a pipe gets no colours");
  assert.ok(run([], { FORCE_COLOR: "0" }).startsWith("error: "));
});

test("no message sends users to SPEC.md, a file they do not have", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
  const offenders = files(join(ROOT, "src")).flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => !/^\s*(\/\/|\/?\*)/.test(line) && /["'`][^"'`]*\bSPEC\b/.test(line))
      .map((line) => `${file}: ${line.trim()}`),
  );
  assert.deepEqual(offenders, []);
});

test("mlf --version, run directly with node, prints package.json's version whatever npm's environment says", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  // npm run sets npm_package_version (also for this test run under npm test); a user's shell does not.
  for (const env of [{}, { npm_package_version: "0.0.0-not-this" }]) {
    const run = mlf(["--version"], { env });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `${pkg.version}\n`);
  }
});
