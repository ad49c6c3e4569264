import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import onnxProto from "onnx-proto";
import { parseOnnx } from "../../src/explain/onnx-model.js";
import { ProtoError } from "../../src/explain/protobuf.js";
import { REFERENCE_MODEL } from "../helpers.js";
import { fixture } from "./helpers.js";

const { onnx } = onnxProto;
const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());
const num = (v: unknown) => Number(v);

test("the ONNX reader agrees with onnx-proto's full decoder on every fixture model", () => {
  const models = [readFileSync(REFERENCE_MODEL), ...["diabetes_forest", "diabetes_forest_v5", "cancer_boosting", "iris_forest", "diabetes_ridge", "diabetes_mlp"].map((n) => fixture(n).bytes)];
  for (const bytes of models) {
    const ours = parseOnnx(bytes);
    const theirs = onnx.ModelProto.decode(bytes);
    const graph = theirs.graph!;
    assert.deepEqual([...ours.opsets.entries()], theirs.opsetImport!.map((o) => [o.domain ?? "", num(o.version)]));
    assert.deepEqual(ours.inputs.map((i) => [i.name, i.elemType, i.shape]), graph.input!.map((i) => [i.name, i.type!.tensorType!.elemType, i.type!.tensorType!.shape!.dim!.map((d) => (d.dimValue == null ? -1 : num(d.dimValue)))]));
    assert.deepEqual(ours.outputs.map((o) => o.name), graph.output!.map((o) => o.name));
    assert.equal(ours.nodes.length, graph.node!.length);
    ours.nodes.forEach((node, k) => {
      const other = graph.node![k]!;
      assert.deepEqual([node.opType, node.domain, node.inputs, node.outputs], [other.opType, other.domain ?? "", other.input, other.output]);
      for (const a of other.attribute!) {
        const mine = node.attributes.get(a.name!)!;
        assert.ok(mine, `attribute ${a.name}`);
        assert.deepEqual(mine.floats, a.floats ?? [], a.name!);
        assert.deepEqual(mine.ints, (a.ints ?? []).map(num), a.name!);
        assert.deepEqual(mine.strings, (a.strings ?? []).map(text), a.name!);
        if (a.t) assert.deepEqual(mine.t!.values.length, a.t.floatData?.length || a.t.int32Data?.length || (a.t.rawData?.length ?? 0) / 4, a.name!);
        if (a.s?.length) assert.equal(mine.s, text(a.s));
      }
    });
    for (const init of graph.initializer!) assert.deepEqual(ours.initializers.get(init.name!)!.values, init.floatData, init.name!);
  }
});

test("negative and large int64 values, packed and unpacked lists, raw tensor data decode exactly", () => {
  const ints = [-1, 0, 5, -300, 2 ** 40, 2 ** 53 - 1, -(2 ** 40)];
  const raw = new Float32Array([1.5, -2.25, 3]);
  const int64 = new BigInt64Array([-7n, 9007199254740991n]);
  const bytes = onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      graph: {
        name: "g",
        node: [{ opType: "Identity", input: ["x"], output: ["y"], attribute: [{ name: "ints", type: onnx.AttributeProto.AttributeType.INTS, ints }] }],
        initializer: [
          { name: "raw", dims: [3], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(raw.buffer) },
          { name: "int64", dims: [2], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(int64.buffer) },
          { name: "doubles", dims: [2], dataType: onnx.TensorProto.DataType.DOUBLE, doubleData: [0.1, -1e300] },
        ],
      },
    }),
  ).finish();
  const graph = parseOnnx(bytes);
  assert.deepEqual(graph.nodes[0]!.attributes.get("ints")!.ints, ints);
  assert.deepEqual(graph.initializers.get("raw")!.values, [1.5, -2.25, 3]);
  assert.deepEqual(graph.initializers.get("int64")!.values, [-7, 9007199254740991]);
  assert.deepEqual(graph.initializers.get("doubles")!.values, [0.1, -1e300]);
});

test("bytes that are not an ONNX model are refused, not misread", () => {
  const model = readFileSync(REFERENCE_MODEL);
  for (const bad of [new TextEncoder().encode("this is a CSV file,1,2\n"), model.subarray(0, model.length - 9), new Uint8Array(0), new Uint8Array([0xff, 0xff, 0xff])]) {
    assert.throws(() => parseOnnx(bad), ProtoError);
  }
});
