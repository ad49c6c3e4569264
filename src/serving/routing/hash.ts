/**
 * Sticky assignment: an entity's join keys hash to a point in [0, 1), and a route gives each
 * variant a band of that interval (see Route.pick). The hash is MurmurHash3 x86_32 of the
 * keys' UTF-8 bytes: fast on short keys (a few multiplications per 4 bytes, no allocation
 * here), stable across processes, machines and versions (a fixed, published algorithm, not
 * V8's string hash), and its finalizer spreads sequential ids (1001, 1002, ...) evenly over
 * all 32 bits, which FNV-1a does not do well in the high bits. A per-route seed makes two
 * routes' assignments independent: a user in the 5% canary of one model is not thereby in
 * the 5% canary of every other.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3 x86_32 of the UTF-8 encoding of `text` (lone surrogates as U+FFFD, as TextEncoder). */
export function murmur3(text: string, seed = 0): number {
  let h = seed >>> 0;
  let k = 0;
  let filled = 0;
  let length = 0;
  const byte = (b: number) => {
    k |= b << (filled * 8);
    length++;
    if (++filled < 4) return;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    k = 0;
    filled = 0;
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      byte(c);
      continue;
    }
    if (c < 0x800) {
      byte(0xc0 | (c >> 6));
      byte(0x80 | (c & 0x3f));
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = text.charCodeAt(i + 1);
      if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
        byte(0xf0 | (c >> 18));
        byte(0x80 | ((c >> 12) & 0x3f));
        byte(0x80 | ((c >> 6) & 0x3f));
        byte(0x80 | (c & 0x3f));
        continue;
      }
      c = 0xfffd;
    }
    byte(0xe0 | (c >> 12));
    byte(0x80 | ((c >> 6) & 0x3f));
    byte(0x80 | (c & 0x3f));
  }
  if (filled > 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  return fmix32(h ^ length);
}

/** MurmurHash3's 32-bit finalizer: every input bit moves every output bit (unsigned result). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The point in [0, 1) an entity key hashes to under `seed`. */
export function unitHash(key: string, seed: number): number {
  return murmur3(key, seed) / 4294967296;
}

/**
 * The text an entity is hashed by: its key values in `names` order, joined by U+001F. A
 * number and its digits are one entity (`123` and `"123"`), as the online store reads them.
 */
export function entityKey(entities: Record<string, unknown>, names: readonly string[], row: number): string {
  let text = "";
  for (let i = 0; i < names.length; i++) {
    const value = entities[names[i]!];
    const v = Array.isArray(value) ? value[row] : value;
    text += i === 0 ? String(v) : `\u001f${String(v)}`;
  }
  return text;
}
