import { test } from "node:test";
import assert from "node:assert/strict";
import type { OnlineFeatures } from "../../src/online/get-online.js";
import { feastJson } from "../../src/serving/feast-json.js";

test("feastJson writes Feast's answer as JSON.stringify would, bigints as numbers", () => {
  const t = Date.UTC(2024, 0, 1, 12, 30, 0, 250);
  const features: OnlineFeatures = {
    names: ["id", 'quote"d', "n", "s", "b"],
    keyCount: 1,
    results: [
      { values: [1, 2], statuses: ["PRESENT", "PRESENT"], eventTimestamps: [null, null] },
      { values: [1.5, -0], statuses: ["PRESENT", "PRESENT"], eventTimestamps: [t, Date.UTC(2024, 0, 1)] },
      { values: [Number.NaN, null], statuses: ["PRESENT", "NOT_FOUND"], eventTimestamps: [t, null] },
      { values: ['a "q"\n\u2028é', ""], statuses: ["PRESENT", "OUTSIDE_MAX_AGE"], eventTimestamps: [t, t] },
      { values: [true, 2n ** 63n - 1n], statuses: ["PRESENT", "NULL_VALUE"], eventTimestamps: [t, t] },
    ],
  };
  const text = feastJson(features);
  const when = "2024-01-01T12:30:00.250Z";
  assert.deepEqual(JSON.parse(text), {
    metadata: { feature_names: ["id", 'quote"d', "n", "s", "b"] },
    results: [
      { values: [1, 2], statuses: ["PRESENT", "PRESENT"], event_timestamps: ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"] },
      { values: [1.5, 0], statuses: ["PRESENT", "PRESENT"], event_timestamps: [when, "2024-01-01T00:00:00Z"] },
      { values: [null, null], statuses: ["PRESENT", "NOT_FOUND"], event_timestamps: [when, "1970-01-01T00:00:00Z"] },
      { values: ['a "q"\n\u2028é', ""], statuses: ["PRESENT", "OUTSIDE_MAX_AGE"], event_timestamps: [when, when] },
      { values: [true, 9223372036854775807], statuses: ["PRESENT", "NULL_VALUE"], event_timestamps: [when, when] },
    ],
  });
  assert.match(text, /"values":\[true,9223372036854775807\]/, "the int64 keeps every digit in the text");
});
