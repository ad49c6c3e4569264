/** How the page writes values: times as ISO-8601 UTC like the CLI, numbers compactly. */

export function time(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return "";
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A time to the minute for dense tables: `2026-12-03 02:10Z` (the full time goes in a title). */
export function minute(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return "";
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ") + "Z";
}

/** A duration in ms as `1h 2m`, `3.4 s`, `120 ms`. */
export function duration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    rest %= size;
    // The largest unit and the one after it: "2d 3h", "5m 0s".
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** Seconds of age as the largest two units: `3h 20m`. */
export const age = (seconds: number | null) => (seconds === null ? "" : duration(seconds * 1000));

/** A number for a table cell: integers as they are, others to 4 significant digits (the exact value in the title). */
export function num(v: number | string | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString("en-US").replaceAll(",", "\u2009");
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

export const shortId = (id: string) => id.slice(0, 8);

export function bytes(n: number | undefined): string {
  if (n === undefined) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
