import { closeSync, constants, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * A unique hidden name beside `path` (`.<name>.<pid>.<hex>.tmp`) to build a file or folder
 * under before renaming it into place; readers skip names of this shape.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Writes a file so that readers see either the old content or the new, never a torn file:
 * the content goes to a temp file in the same folder, is flushed, and is renamed over the
 * target (rename is atomic within one file system).
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, typeof content === "string" ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Appends one record with a single write on an O_APPEND descriptor, so concurrent appenders never interleave. */
export function appendLine(path: string, line: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
  try {
    writeSync(fd, line.endsWith("\n") ? line : `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Reads a file, or returns undefined when it does not exist. */
export function readFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Creates `file` with `value` only if it does not exist (the content is written under a temp
 * name and hard-linked into place, which fails for all writers but one); returns the existing
 * value otherwise. What an immutable value (a param) is written with.
 */
export function createExclusive(file: string, value: string): string | undefined {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readFileIfExists(file) ?? "";
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Whether a source or entity path is a glob pattern (DuckDB's: `*`, `?`, `[...]`), not one file. */
export const isGlob = (path: string): boolean => /[*?[]/.test(path);
