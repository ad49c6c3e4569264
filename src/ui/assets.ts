import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { MlfError } from "../errors.js";

/**
 * The single-page app's files, built by `npm run build` (scripts/build-ui.mjs) into
 * dist/ui: `index.html` and `assets/<name>-<hash>.<ext>`. The hashed files never change
 * under their name, so browsers keep them for a year without asking again; index.html is
 * revalidated on every load (its ETag) so a rebuilt app is picked up at once. Everything is
 * read into memory at start: the app is a few hundred kilobytes.
 */

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * dist/ui of this installation: the module runs from dist/src/ui (tsc) or from the CLI bundle
 * in dist/bundle, so the folder is found beside the nearest ancestor named dist.
 */
export function defaultAssetsDir(moduleUrl = import.meta.url): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (basename(dir) !== "dist" && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "ui");
}

function load(file: string): Asset {
  const body = readFileSync(file);
  return { body, type: types[extname(file)] ?? "application/octet-stream", etag: `"${createHash("sha1").update(body).digest("base64url")}"` };
}

/** Checks that the app was built; a clear error naming the fix when it was not. */
export function requireAssets(dir: string): void {
  if (!existsSync(join(dir, "index.html"))) throw new MlfError("unavailable", `The web UI is not built (${join(dir, "index.html")} is missing); run npm run build.`);
}

/** Serves index.html at `/` and the hashed assets under `/assets/`, without a token (they hold no data). */
export function registerAssets(app: FastifyInstance, dir: string): void {
  const index = existsSync(join(dir, "index.html")) ? load(join(dir, "index.html")) : undefined;
  const assetsDir = join(dir, "assets");
  const assets = new Map<string, Asset>(existsSync(assetsDir) ? readdirSync(assetsDir).map((f) => [f, load(join(assetsDir, f))]) : []);
  const open = { config: { public: true } };
  app.get("/", open, async (request, reply) => {
    if (!index) throw new MlfError("not_found", `The web UI is not built (${join(dir, "index.html")} is missing); run npm run build.`);
    void reply.header("cache-control", "no-cache").header("etag", index.etag);
    if (request.headers["if-none-match"] === index.etag) return reply.code(304).send();
    // The page's own rules: scripts and styles from this server only, no framing by other sites.
    void reply.header("content-security-policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    return reply.type(index.type).send(index.body);
  });
  app.get("/assets/:file", open, async (request, reply) => {
    const asset = assets.get((request.params as { file: string }).file);
    if (!asset) throw new MlfError("not_found", `No UI asset ${request.url}; reload the page (the app was rebuilt).`);
    return reply.header("cache-control", "public, max-age=31536000, immutable").header("etag", asset.etag).type(asset.type).send(asset.body);
  });
}
