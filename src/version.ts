import { readFileSync } from "node:fs";

/**
 * mlf's own version, from its package.json, read once.
 *
 * Not `process.env.npm_package_version`: npm sets that only under `npm run`, so a user's
 * `mlf --version` would print a fallback. The path is relative to this module as built, and
 * both places it is built to sit two folders below the package root: the library
 * (dist/src/version.js) and the CLI bundle that inlines it (dist/bundle/mlf.cjs, where
 * import.meta.url is the bundle's own; see scripts/bundle.mjs).
 */
export const version: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
