import { MlfError } from "../errors.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Parses a duration such as `6h`, `90m`, `1d12h`, `0`, or ISO-8601 `P1DT6H` into whole
 * seconds. Returns undefined when the text is not a duration.
 */
export function parseDurationSeconds(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isInteger(text) && text >= 0 ? text : undefined;
  const s = text.trim();
  if (s === "0") return 0;
  if (/^(\d+[smhdw])+$/i.test(s)) {
    let total = 0;
    for (const [, n, unit] of s.matchAll(/(\d+)([smhdw])/gi)) total += Number(n) * UNIT_SECONDS[unit!.toLowerCase()]!;
    return total;
  }
  const iso = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s);
  if (iso && s.length > 1 && !/T$/i.test(s)) {
    const [, w, d, h, m, sec] = iso;
    return (
      Number(w ?? 0) * 604800 + Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 +
      Math.round(Number(sec ?? 0))
    );
  }
  return undefined;
}

/** Renders seconds back as the shortest `1d6h`-style text (`0` for unlimited). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0";
  let rest = seconds;
  let out = "";
  for (const [unit, size] of [["w", 604800], ["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

const ZONED = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * Parses a time given on the command line or in a request: ISO-8601 date or date-time, with
 * or without an offset (naive means UTC), or `now`. Returns epoch milliseconds.
 */
export function parseTime(text: string, what = "time", now = Date.now()): number {
  const s = text.trim();
  if (s.toLowerCase() === "now") return now;
  let iso = s.replace(" ", "T");
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += "T00:00:00Z";
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?/.test(iso) && !ZONED.test(iso)) iso += "Z";
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new MlfError("invalid_argument", `The ${what} "${text}" is not a time; use ISO-8601 such as 2024-01-01 or 2024-01-01T10:00:00Z, or "now".`);
  }
  return ms;
}

/** A start time given as a duration back from `now` (`24h`, `7d`) or as a time (ISO-8601); epoch ms. */
export function parseSince(text: string, now = Date.now()): number {
  const seconds = parseDurationSeconds(text);
  return seconds !== undefined ? now - seconds * 1000 : parseTime(text, "--since time", now);
}

/** Every timestamp mlf prints: ISO-8601 UTC with `Z`, no milliseconds when they are zero. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
