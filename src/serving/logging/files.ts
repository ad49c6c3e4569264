import { link, mkdir, open, readdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { logFilePath, parseLogFileName } from "../../repo/feature-logs.js";
import { tempPathFor } from "../../util/fs.js";
import { writeParquet, type ParquetColumn } from "./parquet.js";

const HOUR = 3_600_000;

/**
 * Publishes feature log files under the format's names (`<day>/<hh>-<seq>.parquet`): each
 * file is written under a hidden temp name, synced, and then linked to its final name, which
 * fails rather than replaces when the name exists. So a reader sees whole files only, a crash
 * leaves at most a temp file (ignored by readers, safe to delete), and two servers logging to
 * the same repository never overwrite each other's files: the later one takes the next number.
 */
export class LogFileWriter {
  /** Per log folder, the hour last written and the next sequence number to try in it. */
  private readonly next = new Map<string, { hour: number; seq: number }>();

  /**
   * Writes `columns` (`rows` rows, all logged in the UTC hour starting at `hour`) as the next
   * file of `folder`. Returns its path and size in bytes.
   */
  async write(folder: string, hour: number, columns: Iterable<ParquetColumn>, rows: number): Promise<{ path: string; bytes: number }> {
    const first = logFilePath(folder, hour, 1);
    const known = this.next.get(folder);
    let seq = known?.hour === hour ? known.seq : await firstFree(dirname(first), hour);
    await mkdir(dirname(first), { recursive: true });
    const tmp = tempPathFor(first);
    const file = await open(tmp, "wx");
    let bytes: number;
    try {
      // One page per write: between the writes the event loop serves requests.
      bytes = await writeParquet(columns, rows, async (chunks) => void (await file.writev(chunks)));
      await file.sync();
    } catch (error) {
      await file.close().catch(() => {});
      await rm(tmp, { force: true });
      throw error;
    }
    await file.close();
    try {
      for (;; seq++) {
        const path = logFilePath(folder, hour, seq);
        try {
          await link(tmp, path);
          this.next.set(folder, { hour, seq: seq + 1 });
          return { path, bytes };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
      }
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

/** One past the highest sequence number already used in `day` (the folder of the UTC day) for the hour starting at `hour`. */
async function firstFree(day: string, hour: number): Promise<number> {
  const hh = new Date(hour).getUTCHours();
  const names = await readdir(day).catch(() => [] as string[]);
  let highest = 0;
  for (const name of names) {
    const f = parseLogFileName(name);
    if (f?.hour === hh) highest = Math.max(highest, f.seq);
  }
  return highest + 1;
}

/** The start (epoch ms) of the UTC hour holding `at`. */
export const hourOf = (at: number) => at - (at % HOUR);
