import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OfflineEngine } from "../src/offline/engine.js";
import { OnlineReader } from "../src/online/get-online.js";
import { materialize } from "../src/online/materialize.js";
import type { RedisOnlineStore } from "../src/online/redis/store.js";
import { applyRepo } from "../src/apply/apply.js";
import { appliedRegistry, openRepo, type Repo } from "../src/repo/repo.js";
import { MLF } from "../test/helpers.js";
import { startRedis } from "../test/redis-server.js";
import { cpuMs, load, startChild, stop, type Load } from "./http-load.js";
import type { BenchTable } from "./run.js";
import { quantile } from "./stats.js";

/** Entities of the materialization (one source row each); MLF_BENCH_REDIS_ENTITIES scales it. */
const ENTITIES = Number(process.env.MLF_BENCH_REDIS_ENTITIES ?? 1_000_000);
const FEATURES = Array.from({ length: 10 }, (_, i) => `f${i}`);
const HTTP_SECONDS = 3;
const CONNECTIONS = 16;

const us = (ms: number) => (ms * 1000).toFixed(1);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/**
 * p50/p99 in ms of two functions timed alternately (after a warm-up), so that the load of a
 * shared machine falls on both alike.
 */
async function timePair(calls: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[[number, number], [number, number]]> {
  for (let i = 0; i < Math.min(500, calls); i++) await Promise.all([a(), b()]);
  const times = [new Array<number>(calls), new Array<number>(calls)];
  for (let i = 0; i < calls; i++) {
    for (const [j, fn] of [a, b].entries()) {
      const t0 = performance.now();
      await fn();
      times[j]![i] = performance.now() - t0;
    }
  }
  return times.map((t) => {
    t.sort((x, y) => x - y);
    return [quantile(t, 0.5), quantile(t, 0.99)];
  }) as [[number, number], [number, number]];
}

function writeRepo(dir: string, online: string): Promise<Repo> {
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(join(dir, "feature_store.yaml"), `project: bench\nregistry: data/registry.json\n${online}`);
  writeFileSync(
    join(dir, "features.yaml"),
    `entities:\n  - name: user\n    join_keys: [user_id]\n    value_type: int64\nsources:\n  - name: events\n    type: file\n    path: ../events.parquet\n    timestamp_field: ts\nfeature_views:\n  - name: wide\n    entities: [user]\n    source: events\n    schema:\n${FEATURES.map((f) => `      - {name: ${f}, dtype: float64}`).join("\n")}\n`,
  );
  return openRepo(dir);
}

interface Run {
  entities: number;
  /** Entities per second, end to end and from the first written batch on. */
  rate: number;
  writeRate: number;
  /** CPU µs per entity of this process (DuckDB's threads included) and of redis-server. */
  cpuUs: number;
  serverCpuUs: number;
}

/** Applies and materializes every entity, timing the run and the CPU it took. */
async function timeMaterialize(repo: Repo, serverPid?: number): Promise<Run> {
  await applyRepo(repo);
  const server0 = serverPid === undefined ? 0 : cpuMs([serverPid])!;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let firstBatch = 0;
  const [done] = await materialize(repo, Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), { onProgress: () => (firstBatch ||= performance.now()) });
  const end = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const n = done!.written;
  return {
    entities: n,
    rate: n / ((end - t0) / 1000),
    writeRate: n / ((end - firstBatch) / 1000),
    cpuUs: (cpu.user + cpu.system) / n,
    serverCpuUs: serverPid === undefined ? 0 : ((cpuMs([serverPid])! - server0) * 1000) / n,
  };
}

export async function run(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), "mlf-bench-redis-"));
  const redis = await startRedis();
  try {
    const engine = await OfflineEngine.open({ type: "duckdb" });
    await engine.run(
      `COPY (SELECT i::BIGINT AS user_id, TIMESTAMPTZ '2024-01-01' + to_seconds((hash(i * 7) % 2592000)::BIGINT) AS ts, ` +
        `${FEATURES.map((f, j) => `(hash(i + ${j}) % 100000) / 1000.0 AS ${f}`).join(", ")} FROM range(${ENTITIES}) t(i)) TO '${join(dir, "events.parquet")}' (FORMAT parquet)`,
    );
    engine.close();
    const onRedis = await writeRepo(join(dir, "redis"), redis.yaml());
    const onSqlite = await writeRepo(join(dir, "sqlite"), "online_store:\n  type: sqlite\n  path: data/online.db\n");
    const onR = await timeMaterialize(onRedis, redis.pid);
    const onS = await timeMaterialize(onSqlite);
    const written = onR.entities;

    // In process: OnlineReader.get against the same keys read raw with ioredis, on the same connection.
    const reader = await OnlineReader.open(appliedRegistry(onRedis), onRedis.config.onlineStore);
    const client = (reader.store as RedisOnlineStore).client;
    // The two slots of the view's record (see src/online/redis/layout.ts).
    const fields = ["wide", "wide~"];
    const features = FEATURES.map((f) => `wide:${f}`);
    let k = 0;
    const nextKey = () => (k = (k + 7919) % written);
    const batches = Array.from({ length: 64 }, () => Array.from({ length: 100 }, nextKey));
    let b = 0;
    const [lib1, raw1] = await timePair(
      5_000,
      () => reader.get({ entities: { user_id: [nextKey()] }, features }),
      () => client.hmgetBuffer(`mlf:bench:k:user_id=${nextKey()}`, ...fields),
    );
    const [lib100, raw100] = await timePair(
      1_000,
      () => reader.get({ entities: { user_id: batches[b++ % 64]! }, features }),
      () => {
        const pipeline = client.pipeline();
        for (const key of batches[b++ % 64]!) pipeline.hmgetBuffer(`mlf:bench:k:user_id=${key}`, ...fields);
        return pipeline.exec();
      },
    );
    const check = await reader.get({ entities: { user_id: [1, written - 1] }, features });
    if (check.results[1]!.statuses.some((s) => s !== "PRESENT")) throw new Error("the bench keys were not materialized");
    await reader.close();

    // Over HTTP: mlf serve on each store, in its own process; Redis's CPU counts for Redis.
    const http = new Map<string, Map<number, Load>>();
    for (const [name, repo, pids] of [["SQLite", onSqlite, []], ["Redis", onRedis, [redis.pid]]] as const) {
      const server = await startChild(process.execPath, [MLF, "-C", repo.root, "serve", "--port", "0", "--json", "-q"]);
      http.set(name, new Map());
      try {
        for (const n of [1, 100]) {
          const body = JSON.stringify({ features, entities: { user_id: Array.from({ length: n }, nextKey) } });
          http.get(name)!.set(n, await load(`${server.url}/get-online-features`, body, [server.child.pid, ...pids], { connections: CONNECTIONS, seconds: HTTP_SECONDS }));
        }
      } finally {
        await stop(server.child);
      }
    }
    const httpRows = [1, 100].flatMap((n) => {
      const [r, q] = [http.get("Redis")!.get(n)!, http.get("SQLite")!.get(n)!];
      const bad = r.non2xx + q.non2xx > 0 ? `${r.non2xx + q.non2xx} non-2xx!` : "";
      return [
        [`/get-online-features ${n} x 10 over HTTP (req/s)`, r.rps, q.rps, ratio(q.rps, r.rps), bad],
        [`  p50 / p99 (ms)`, `${r.p50} / ${r.p99}`, `${q.p50} / ${q.p99}`, "", ""],
        [`  CPU per request (µs)`, r.cpuUs, q.cpuUs, typeof r.cpuUs === "number" && typeof q.cpuUs === "number" ? ratio(r.cpuUs, q.cpuUs) : "", ""],
      ];
    });

    const rate = (n: number) => Math.round(n).toLocaleString("en-US");
    return {
      title: "Online store (Redis): reads and materialization",
      head: ["measure", "mlf", "baseline", "ratio", "goal"],
      rows: [
        ["get 1 entity x 10 features, p50 (us)", us(lib1[0]), us(raw1[0]), ratio(lib1[0], raw1[0]), "<= 1.3x"],
        ["get 1 entity x 10 features, p99 (us)", us(lib1[1]), us(raw1[1]), ratio(lib1[1], raw1[1]), ""],
        ["get 100 entities x 10 features, p50 (us)", us(lib100[0]), us(raw100[0]), ratio(lib100[0], raw100[0]), "<= 1.3x"],
        ["get 100 entities x 10 features, p99 (us)", us(lib100[1]), us(raw100[1]), ratio(lib100[1], raw100[1]), ""],
        [`materialize ${rate(written)} entities x 10 features, end to end (entities/s)`, rate(onR.rate), rate(onS.rate), ratio(onS.rate, onR.rate), ">= 200,000"],
        ["  same runs, write phase only (entities/s)", rate(onR.writeRate), rate(onS.writeRate), ratio(onS.writeRate, onR.writeRate), ""],
        ["  CPU per entity, mlf process incl. DuckDB (µs)", onR.cpuUs.toFixed(2), onS.cpuUs.toFixed(2), ratio(onR.cpuUs, onS.cpuUs), ""],
        ["  CPU per entity, redis-server (µs)", onR.serverCpuUs.toFixed(2), "", "", ""],
        ["  entities/s with a core each for mlf and Redis (from CPU)", rate(1e6 / Math.max(onR.cpuUs, onR.serverCpuUs)), rate(1e6 / onS.cpuUs), ratio(Math.max(onR.cpuUs, onR.serverCpuUs), onS.cpuUs), ">= 200,000"],
        ...httpRows,
      ],
      notes: [
        "Reads: mlf is OnlineReader.get (keys coerced, one READ script: one round trip and one snapshot, the visible record chosen on the server, records decoded into Feast's columns with statuses); the baseline is ioredis on the same connection fetching the same bytes raw: HMGET of the key's two record fields, for 100 keys in one pipeline. Calls alternate so machine load hits both.",
        "Materialization: mlf on Redis against mlf on SQLite, the same Parquet file (one row per entity), both including DuckDB's latest-row query. Redis writes one generation: 512-row Lua scripts, 4 in flight, then one commit. On this shared 2-core machine wall rates move with other work; the CPU rows do much less.",
        `HTTP: mlf serve on Redis against mlf serve on SQLite, each in its own process, autocannon with ${CONNECTIONS} connections for ${HTTP_SECONDS} s per case; Redis's CPU per request includes redis-server's.`,
      ],
    };
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
