/**
 * JSON text as JSON.stringify writes it, except that a bigint (an int64 value beyond 2^53) is
 * written as its exact digits, a JSON number, where JSON.stringify throws. This is mlf's one
 * int64 policy for every JSON it writes (CLI `--json`, HTTP answers): int64 values are JSON
 * numbers with exact digits, as Feast writes them. Parsers that read numbers as doubles round
 * those beyond 2^53; the text itself is exact.
 *
 * How: bigints are replaced by a marker string holding a token random per call (about 100
 * bits: no other string of the value contains it by chance), and the quoted markers are then
 * swapped for the digits; without bigints the text is JSON.stringify's own.
 */
export function jsonText(value: unknown, space?: number): string {
  let token: string | undefined;
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== "bigint") return v;
      token ??= `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
      return `${token}:${v}`;
    },
    space,
  );
  return token === undefined ? text : text.replace(new RegExp(`"${token}:(-?\\d+)"`, "g"), "$1");
}

/** Shows at most 40 characters of a value as JSON, so errors never echo a whole request. */
export function preview(value: unknown): string {
  const text = value === undefined ? "undefined" : typeof value === "bigint" ? String(value) : (jsonText(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
