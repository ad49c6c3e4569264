import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseConnectionString, redisAddress } from "../../src/repo/redis-config.js";
import { parseConfig } from "../../src/repo/config-parse.js";
import { mlfErrorWith, tempDir } from "../helpers.js";
import { redisServerPath } from "../redis-server.js";

test("redis connection strings: host:port, Feast's options, redis:// and rediss:// URLs", () => {
  assert.deepEqual(parseConnectionString("127.0.0.1:6379"), { host: "127.0.0.1", port: 6379 });
  assert.deepEqual(parseConnectionString("cache"), { host: "cache", port: 6379 });
  assert.deepEqual(parseConnectionString("[::1]:7000"), { host: "::1", port: 7000 });
  assert.deepEqual(parseConnectionString("redis:6380,db=2,password=p=w,ssl=true,username=u"), { host: "redis", port: 6380, db: 2, password: "p=w", tls: true, username: "u" });
  assert.deepEqual(parseConnectionString("redis://u:p%40ss@h:6390/4"), { host: "h", port: 6390, tls: false, username: "u", password: "p@ss", db: 4 });
  assert.deepEqual(parseConnectionString("rediss://h"), { host: "h", port: 6379, tls: true });
  for (const bad of ["h:0", "h:65536", "h:1,db=-1", "h:1,ssl=maybe", "h1:1,h2:2", "redis://h/x", "a b:1"]) {
    assert.equal(typeof parseConnectionString(bad), "string", bad);
  }
});

test("feature_store.yaml: a redis block is parsed with defaults; explicit keys win; mistakes are located problems", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, ".mlf"), { recursive: true });
  const parse = (block: string) => parseConfig(dir, `project: p\nonline_store:\n${block}`);
  assert.deepEqual(parse("  type: redis\n").onlineStore, { type: "redis", host: "localhost", port: 6379, db: 0, tls: false, connectTimeoutMs: 2000 });
  const full = parse('  type: redis\n  connection_string: "rediss://u:a@h:1/1"\n  db: 5\n  password: b\n  key_ttl_seconds: 60\n  ssl_ca_certs: ca.pem\n  connect_timeout_seconds: 0.25\n').onlineStore;
  assert.deepEqual(full, { type: "redis", host: "h", port: 1, db: 5, username: "u", password: "b", tls: true, tlsCaFile: join(dir, "ca.pem"), keyTtlSeconds: 60, connectTimeoutMs: 250 });
  assert.equal(redisAddress(full as never), "rediss://h:1/5");
  const problems = (block: string) => {
    try {
      parse(block);
    } catch (error) {
      mlfErrorWith("invalid_definition")(error);
      return (error as { problems: { line?: number; message: string }[] }).problems.map((p) => `${p.line}: ${p.message}`);
    }
    return [];
  };
  assert.deepEqual(problems("  type: redis\n  path: x\n"), ["4: unknown key online_store.path"]);
  assert.deepEqual(problems("  type: sqlite\n  db: 1\n"), ["4: unknown key online_store.db"]);
  assert.deepEqual(problems("  type: memcached\n"), ['3: online_store.type is "memcached", expected "sqlite" or "redis"']);
  assert.deepEqual(problems('  type: redis\n  connection_string: "h:1,cluster=1"\n'), ['4: online_store.connection_string: "cluster=1" is not one of db=, password=, username=, ssl= (a cluster of several hosts is not supported)']);
  assert.deepEqual(problems("  type: redis\n  key_ttl_seconds: 0\n"), ["4: online_store.key_ttl_seconds is 0, expected integer to be greater or equal to 1"]);
});

test("the test helper says how to install redis-server when it is missing", (t) => {
  assert.throws(() => redisServerPath([tempDir(t)]), /^Error: redis-server is not installed: .*install it \(apt-get install redis-server\)/);
  assert.match(redisServerPath(), /redis-server$/);
});
