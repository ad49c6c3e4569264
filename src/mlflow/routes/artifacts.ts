import { createReadStream, createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { MlfError } from "../../errors.js";
import { tempPathFor } from "../../util/fs.js";
import { proxiedPath, type MlflowContext } from "../context.js";
import { optString } from "../request.js";

/**
 * MLflow's artifact proxy (mlflow_artifacts.proto): `PUT|GET|DELETE
 * /api/2.0/mlflow-artifacts/artifacts/<path>` uploads, downloads and deletes one file, `GET
 * .../artifacts?path=<dir>` lists a folder. The MLflow client uses it for runs whose
 * artifact_uri is `mlflow-artifacts:/...`. Uploads stream to a temp file renamed into place
 * (a reader never sees half a file), up to `limitBytes`.
 */

const types: Record<string, string> = { ".json": "application/json", ".yaml": "text/plain", ".txt": "text/plain", ".html": "text/html", ".png": "image/png", ".csv": "text/csv" };

function requireServing(ctx: MlflowContext): void {
  if (!ctx.serveArtifacts) throw new MlfError("not_found", "This server does not proxy artifacts (started with --no-serve-artifacts); clients write to the run's file:// artifact_uri.");
}

/** Counts the bytes going through and fails the upload once it passes the limit. */
function limit(limitBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limitBytes) done(new MlfError("payload_too_large", `The artifact is larger than the server's limit of ${limitBytes} bytes; raise --artifact-limit.`));
      else done(null, chunk);
    },
  });
}

export function registerArtifactRoutes(app: FastifyInstance, ctx: MlflowContext, prefixes: string[], limitBytes: number): void {
  const pathOf = (request: FastifyRequest) => (request.params as { "*": string })["*"];
  void app.register(async (scope) => {
    // The body of an upload is the file itself, whatever its content type: passed on as a stream.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    for (const prefix of prefixes) {
      const base = `${prefix}/mlflow-artifacts/artifacts`;
      scope.put(`${base}/*`, async (request) => {
        requireServing(ctx);
        const file = proxiedPath(ctx, pathOf(request));
        mkdirSync(dirname(file), { recursive: true });
        const tmp = tempPathFor(file);
        try {
          await pipeline(request.body as NodeJS.ReadableStream, limit(limitBytes), createWriteStream(tmp));
          renameSync(tmp, file);
        } catch (error) {
          rmSync(tmp, { force: true });
          throw error;
        }
        return {};
      });
    }
  });
  for (const prefix of prefixes) {
    const base = `${prefix}/mlflow-artifacts/artifacts`;
    app.get(`${base}/*`, async (request, reply) => {
      requireServing(ctx);
      const file = proxiedPath(ctx, pathOf(request));
      const stats = statSync(file, { throwIfNoEntry: false });
      if (!stats?.isFile()) throw new MlfError("not_found", `No artifact file at "${pathOf(request)}"; list the folder with GET ${base}?path=<folder>.`);
      return reply.type(types[extname(file)] ?? "application/octet-stream").header("content-length", stats.size).send(createReadStream(file));
    });
    app.get(base, async (request) => {
      requireServing(ctx);
      const path = optString(request.query as Record<string, unknown>, "path") ?? "";
      const dir = proxiedPath(ctx, path === "" ? "." : path);
      let entries: import("node:fs").Dirent[] = [];
      try {
        entries = readdirSync(dir, { withFileTypes: true }).filter((e) => !(e.name.startsWith(".") && e.name.endsWith(".tmp")));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT" && (error as NodeJS.ErrnoException).code !== "ENOTDIR") throw error;
      }
      const files = entries.sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((e) => ({ path: basename(e.name), is_dir: e.isDirectory(), ...(!e.isDirectory() && { file_size: statSync(`${dir}/${e.name}`).size }) }));
      return files.length > 0 ? { files } : {};
    });
    app.delete(`${base}/*`, async (request) => {
      requireServing(ctx);
      rmSync(proxiedPath(ctx, pathOf(request)), { recursive: true, force: true });
      return {};
    });
  }
}
