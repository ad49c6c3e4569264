import { test } from "node:test";
import assert from "node:assert/strict";
import { RequestMetrics } from "../../src/serving/metrics.js";

test("request metrics: cumulative buckets with inclusive bounds, counters per status, label values escaped", () => {
  const metrics = new RequestMetrics();
  for (const seconds of [0.0001, 0.0005, 0.0007, 0.003, 0.003, 20]) metrics.observe("/predict", "POST", 200, seconds);
  metrics.observe("/predict", "POST", 404, 0.002);
  metrics.observe('/odd"route\\', "GET", 200, 0.001);
  const text = metrics.render().join("\n");
  const bucket = (le: string) => Number(new RegExp(`mlf_http_request_duration_seconds_bucket\\{route="/predict",method="POST",le="${le.replace("+", "\\+")}"\\} (\\d+)`).exec(text)?.[1]);
  assert.equal(bucket("0.0005"), 2, "0.0005 s falls in le=0.0005 (bounds are inclusive)");
  assert.equal(bucket("0.001"), 3);
  assert.equal(bucket("0.0025"), 4);
  assert.equal(bucket("0.005"), 6);
  assert.equal(bucket("10"), 6);
  assert.equal(bucket("+Inf"), 7, "the 20 s answer is only in +Inf");
  assert.match(text, /mlf_http_request_duration_seconds_count\{route="\/predict",method="POST"\} 7\n/);
  assert.match(text, /mlf_http_requests_total\{route="\/predict",method="POST",status="200"\} 6\n/);
  assert.match(text, /mlf_http_requests_total\{route="\/predict",method="POST",status="404"\} 1\n/);
  assert.match(text, /mlf_http_requests_total\{route="\/odd\\"route\\\\",method="GET",status="200"\} 1\n/);
  // Prometheus wants each family's samples together: every counter line precedes the histogram.
  assert.ok(text.lastIndexOf("mlf_http_requests_total{") < text.indexOf("mlf_http_request_duration_seconds_bucket"));
});
