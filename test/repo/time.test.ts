import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, formatTime, parseDurationSeconds, parseTime } from "../../src/util/time.js";

test("durations: unit forms, combinations, ISO-8601, zero and garbage", () => {
  assert.equal(parseDurationSeconds("6h"), 21600);
  assert.equal(parseDurationSeconds("1d12h"), 129600);
  assert.equal(parseDurationSeconds("90m"), 5400);
  assert.equal(parseDurationSeconds("2w"), 1209600);
  assert.equal(parseDurationSeconds("P1DT6H"), 108000);
  assert.equal(parseDurationSeconds("PT30S"), 30);
  assert.equal(parseDurationSeconds("0"), 0);
  assert.equal(parseDurationSeconds(3600), 3600);
  for (const bad of ["soon", "6 hours", "P", "PT", "-1h", ""]) assert.equal(parseDurationSeconds(bad), undefined, bad);
  assert.equal(formatDuration(129600), "1d12h");
  assert.equal(formatDuration(0), "0");
});

test("times: naive is UTC, offsets are converted, now, and a clear error otherwise", () => {
  assert.equal(parseTime("2024-01-01"), Date.UTC(2024, 0, 1));
  assert.equal(parseTime("2024-01-01T10:00:00"), Date.UTC(2024, 0, 1, 10));
  assert.equal(parseTime("2024-01-01 10:00"), Date.UTC(2024, 0, 1, 10));
  assert.equal(parseTime("2024-01-01T10:00:00+02:00"), Date.UTC(2024, 0, 1, 8));
  assert.equal(parseTime("now", "end", 1234), 1234);
  assert.throws(() => parseTime("yesterday", "start time"), /The start time "yesterday" is not a time/);
  assert.equal(formatTime(Date.UTC(2024, 0, 1, 10)), "2024-01-01T10:00:00Z");
});
