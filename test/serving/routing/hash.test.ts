import { test } from "node:test";
import assert from "node:assert/strict";
import { entityKey, murmur3, unitHash } from "../../../src/serving/routing/hash.js";
import { random } from "../../../src/util/random.js";

/** The oracle: MurmurHash3 x86_32 as published (Appleby's MurmurHash3.cpp), over Node's own UTF-8 bytes. */
function reference(bytes: Buffer, seed: number): number {
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
  let h1 = seed >>> 0;
  const nblocks = Math.floor(bytes.length / 4);
  for (let i = 0; i < nblocks; i++) {
    let k1 = bytes.readUInt32LE(i * 4);
    k1 = mul(rotl(mul(k1, 0xcc9e2d51), 15), 0x1b873593);
    h1 = (mul(rotl((h1 ^ k1) >>> 0, 13), 5) + 0xe6546b64) >>> 0;
  }
  const tail = bytes.subarray(nblocks * 4);
  let k1 = 0;
  for (let i = tail.length - 1; i >= 0; i--) k1 = ((k1 << 8) | tail[i]!) >>> 0;
  if (tail.length > 0) h1 = (h1 ^ mul(rotl(mul(k1, 0xcc9e2d51), 15), 0x1b873593)) >>> 0;
  h1 = (h1 ^ bytes.length) >>> 0;
  h1 = mul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = mul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return (h1 ^ (h1 >>> 16)) >>> 0;
}

test("murmur3 gives the published MurmurHash3 x86_32 values", () => {
  const vectors: [string, number, number][] = [
    ["", 0, 0],
    ["", 1, 0x514e28b7],
    ["", 0xffffffff, 0x81f16f39],
    ["\0\0\0\0", 0, 0x2362f9de],
    ["aaaa", 0x9747b28c, 0x5a97808a],
    ["abc", 0, 0xb3dd93fa],
    ["Hello, world!", 0x9747b28c, 0x24884cba],
    ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
  ];
  for (const [text, seed, want] of vectors) assert.equal(murmur3(text, seed), want, `${JSON.stringify(text)} seed ${seed}`);
});

test("murmur3 hashes the UTF-8 bytes: equal to the byte oracle on random text, emoji and lone surrogates included", () => {
  const next = random(7);
  const alphabet = ["a", "Z", "0", "é", "ß", "中", "😀", "\ud800", "\udc00", "\u001f", " "];
  for (let i = 0; i < 2000; i++) {
    const text = Array.from({ length: Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
    const seed = Math.floor(next() * 2 ** 32);
    assert.equal(murmur3(text, seed), reference(Buffer.from(text, "utf8"), seed), JSON.stringify(text));
  }
});

test("sequential ids spread evenly over [0, 1) and two routes' seeds assign independently", () => {
  const n = 100_000;
  const bins = 100;
  const counts = new Array<number>(bins).fill(0);
  let both = 0;
  for (let id = 0; id < n; id++) {
    const u = unitHash(String(1_000_000 + id), 12345);
    assert.ok(u >= 0 && u < 1);
    counts[Math.floor(u * bins)]!++;
    // In the top 10% under one seed and under another: independent means 1% of ids.
    if (u >= 0.9 && unitHash(String(1_000_000 + id), 67890) >= 0.9) both++;
  }
  // Chi-square with 99 degrees of freedom: mean 99, sd 14; 99 + 5 sd = 169.
  const expectedPerBin = n / bins;
  const chi2 = counts.reduce((s, c) => s + (c - expectedPerBin) ** 2 / expectedPerBin, 0);
  assert.ok(chi2 < 169, `chi-square ${chi2.toFixed(1)}`);
  // Binomial(n, 0.01): mean 1000, sd 31.5; within 4 sd.
  assert.ok(Math.abs(both - 1000) < 126, `${both} ids in both top deciles`);
});

test("an entity's key text: values in key order, a number and its digits alike, a batch row by row", () => {
  assert.equal(entityKey({ user_id: 123 }, ["user_id"], 0), entityKey({ user_id: "123" }, ["user_id"], 0));
  assert.equal(entityKey({ b: "x", a: [1, 2] }, ["a", "b"], 1), "2\u001fx");
  assert.notEqual(entityKey({ a: "1", b: "23" }, ["a", "b"], 0), entityKey({ a: "12", b: "3" }, ["a", "b"], 0));
});
