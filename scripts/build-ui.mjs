// `npm run build`: bundles the web UI (src/ui/web, type-checked just before by tsc -p
// src/ui/web) into dist/ui, everything from npm packages, nothing fetched at run time:
//   dist/ui/index.html             the page, naming the hashed files below
//   dist/ui/assets/main-<hash>.js  the app with preact and uPlot, minified (+ .map)
//   dist/ui/assets/main-<hash>.css its styles and uPlot's
// Hashed names let the server tell browsers to keep them for a year (src/ui/assets.ts).
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(root, "src", "ui", "web");
const out = join(root, "dist", "ui");

rmSync(out, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: [join(web, "main.tsx")],
  outdir: join(out, "assets"),
  entryNames: "[name]-[hash]",
  bundle: true,
  format: "esm",
  target: ["chrome111", "firefox111", "safari16.4"],
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  sourcemap: "linked",
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((f) => basename(f));
const js = outputs.find((f) => f.endsWith(".js"));
const css = outputs.find((f) => f.endsWith(".css"));
if (!js || !css) throw new Error(`build-ui: expected a .js and a .css bundle, got ${outputs.join(", ")}`);
const html = readFileSync(join(web, "index.html"), "utf8").replace(
  "<!-- assets -->",
  `<link rel="stylesheet" href="assets/${css}" />\n    <script type="module" src="assets/${js}"></script>`,
);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "index.html"), html);
