// Runs a pipeline in this process and kills the process with SIGKILL (kill -9) at the moment
// the challenger is registered, before any alias moves: the crash the gate must survive.
//   node dist/test/pipeline/kill-worker.js REPO PIPELINE
import { openRepo } from "../../src/repo/repo.js";
import { runPipeline } from "../../src/pipeline/run.js";

const [root, name] = process.argv.slice(2) as [string, string];
const repo = await openRepo(root);
await runPipeline(repo, name, {
  trackingDir: repo.config.trackingPath,
  onProgress: (event) => {
    if (event.registered) {
      process.stdout.write(`registered version ${event.registered.version}\n`);
      process.kill(process.pid, "SIGKILL");
    }
  },
});
process.stdout.write("finished without being killed\n");
