// The train command of pipeline delay_model_retrain (pipelines.yaml): the demo's logistic
// regression, compiled into the mlf package this repository ships in (npm run build). It is
// looked up from here upwards, so a copy of the repository inside the package (the demo's
// .demo/feature_repo) finds it too; point the command at your own trainer in your own repository.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const job = join("dist", "scripts", "demo", "train-job.js");
let dir = dirname(fileURLToPath(import.meta.url));
while (!existsSync(join(dir, job))) {
  if (dirname(dir) === dir) {
    process.stderr.write(`train.mjs: no ${job} in any folder above this repository; run "npm run build" in the mlf package.\n`);
    process.exit(1);
  }
  dir = dirname(dir);
}
await import(pathToFileURL(join(dir, job)).href);
