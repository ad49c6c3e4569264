import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setAlias } from "../src/models/lifecycle.js";
import { MLF } from "../test/helpers.js";
import { expected } from "../test/serving/helpers.js";
import { patientIds, writeCancerRepo } from "../test/serving/repo.js";
import { load, startChild, stop } from "./http-load.js";
import type { BenchTable } from "./run.js";

const SECONDS = 5;
const CONNECTIONS = 32;

/** The floor: a bare node:http server answering one fixed JSON body to every request. */
const FLOOR = `
const http = require("node:http");
const body = Buffer.from(process.argv[1]);
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length }); res.end(body); });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port })));
`;

export async function run(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), "mlf-bench-serving-"));
  try {
    const { trackingDir } = await writeCancerRepo(dir);
    setAlias(trackingDir, "cancer", "champion", 1);
    const mlf = await startChild(process.execPath, [MLF, "-C", dir, "serve", "--port", "0", "--model", "cancer@champion", "--json", "-q"], { ...process.env, MLF_TRACKING_DIR: trackingDir });
    const cases = {
      "/get-online-features 1 x 10": { path: "/get-online-features", body: JSON.stringify({ features: expected.feature_names.slice(0, 10).map((f) => `cancer:${f}`), entities: { patient_id: [patientIds[3]] } }) },
      "/predict (30 features, reference model)": { path: "/predict", body: JSON.stringify({ model: "cancer", entities: { patient_id: patientIds[3] } }) },
    };
    const rows: (string | number)[][] = [];
    try {
      for (const [name, c] of Object.entries(cases)) {
        const sample = await fetch(mlf.url + c.path, { method: "POST", headers: { "content-type": "application/json" }, body: c.body });
        const answer = await sample.text();
        if (sample.status !== 200) throw new Error(`${c.path} answered ${sample.status}: ${answer}`);
        const floor = await startChild(process.execPath, ["-e", FLOOR, answer]);
        const base = await load(floor.url + c.path, c.body, [floor.child.pid], { connections: CONNECTIONS, seconds: SECONDS }).finally(() => stop(floor.child));
        const ours = await load(mlf.url + c.path, c.body, [mlf.child.pid], { connections: CONNECTIONS, seconds: SECONDS });
        rows.push([name, "node:http floor", base.rps, base.p50, base.p99, base.non2xx, base.cpuUs]);
        rows.push([name, "mlf serve", ours.rps, ours.p50, ours.p99, ours.non2xx, ours.cpuUs]);
        rows.push([name, "mlf / floor", `${Math.round((ours.rps / base.rps) * 100)}%`, "", "", "", ""]);
      }
    } finally {
      await stop(mlf.child);
    }
    return {
      title: `Serving: autocannon, ${CONNECTIONS} connections, ${SECONDS} s per case (after 1 s warm-up), server in its own process`,
      head: ["case", "server", "req/s", "p50 ms", "p99 ms", "non-2xx", "server CPU µs/req"],
      rows,
      notes: ["autocannon runs in the bench process; each server runs in its own process, so on a 2-core machine client and server share the CPUs (and req/s moves with whatever else runs); the CPU column is the server's own cost per answer.", "The floor is a bare node:http server answering the same bytes mlf answered for that request. Goals: get-online-features >= 50% of the floor with p99 <= 5 ms; predict p99 <= 10 ms; zero non-2xx."],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
