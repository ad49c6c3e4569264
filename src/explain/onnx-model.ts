import { forEachField, ProtoError, Reader, WIRE, type Field } from "./protobuf.js";

/**
 * The parts of an ONNX model (onnx.proto's ModelProto) that the explainers read: the graph's
 * nodes with their attributes, its inputs and outputs, constant initializers, the opset
 * versions and the metadata. Field numbers are onnx.proto's; unknown fields are skipped, as
 * protobuf intends, so models from newer exporters still read.
 */
export interface OnnxGraph {
  opsets: Map<string, number>;
  metadata: Map<string, string>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
}

export interface ValueInfo {
  name: string;
  /** ONNX element type (1 float, 11 double, 7 int64, ...); 0 for a non-tensor. */
  elemType: number;
  /** Dimensions; -1 for a symbolic or unknown one. */
  shape: number[];
}

export interface OnnxNode {
  opType: string;
  /** "" for the default domain (also written "ai.onnx"). */
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, Attribute>;
}

/** An attribute's value; only the field its type uses is set. */
export interface Attribute {
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
  strings: string[];
}

export interface OnnxTensor {
  dims: number[];
  dataType: number;
  /** The values as numbers, row-major (float, double and every integer type). */
  values: number[];
}

/** ONNX's element type codes for the types the explainers handle. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, DOUBLE: 11, UINT32: 12, UINT64: 13 } as const;

/** Decodes the little-endian raw_data of a tensor. */
function rawValues(bytes: Uint8Array, dataType: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const readers: Record<number, [number, (at: number) => number]> = {
    [DataType.FLOAT]: [4, (at) => view.getFloat32(at, true)],
    [DataType.DOUBLE]: [8, (at) => view.getFloat64(at, true)],
    [DataType.INT64]: [8, (at) => Number(view.getBigInt64(at, true))],
    [DataType.UINT64]: [8, (at) => Number(view.getBigUint64(at, true))],
    [DataType.INT32]: [4, (at) => view.getInt32(at, true)],
    [DataType.UINT32]: [4, (at) => view.getUint32(at, true)],
    [DataType.INT16]: [2, (at) => view.getInt16(at, true)],
    [DataType.UINT16]: [2, (at) => view.getUint16(at, true)],
    [DataType.INT8]: [1, (at) => view.getInt8(at)],
    [DataType.UINT8]: [1, (at) => view.getUint8(at)],
    [DataType.BOOL]: [1, (at) => view.getUint8(at)],
  };
  const reader = readers[dataType];
  if (!reader) throw new ProtoError(`tensor element type ${dataType} is not numeric`);
  const [size, read] = reader;
  return Array.from({ length: Math.floor(bytes.length / size) }, (_, k) => read(k * size));
}

function readTensor(reader: Reader): OnnxTensor & { name: string } {
  const tensor = { name: "", dims: [] as number[], dataType: 0, values: [] as number[] };
  let raw: Uint8Array | undefined;
  forEachField(reader, (f) => {
    if (f.number === 1) reader.ints(f, tensor.dims);
    else if (f.number === 2) tensor.dataType = f.int;
    else if (f.number === 4) reader.floats(f, tensor.values);
    else if (f.number === 5 || f.number === 7 || f.number === 11) reader.ints(f, tensor.values);
    else if (f.number === 10) reader.floats(f, tensor.values, true);
    else if (f.number === 8) tensor.name = reader.string(f);
    else if (f.number === 9) raw = reader.bytes.subarray(f.start, f.end);
    else if (f.number === 14 && f.int === 1) throw new ProtoError(`tensor ${tensor.name || "(unnamed)"} keeps its data in an external file`);
  });
  if (raw) tensor.values = rawValues(raw, tensor.dataType);
  return tensor;
}

function readAttribute(reader: Reader): { name: string; value: Attribute } {
  let name = "";
  const value: Attribute = { floats: [], ints: [], strings: [] };
  forEachField(reader, (f) => {
    if (f.number === 1) name = reader.string(f);
    else if (f.number === 2) value.f = reader.float32(f.start);
    else if (f.number === 3) value.i = f.int;
    else if (f.number === 4) value.s = reader.string(f);
    else if (f.number === 5) value.t = readTensor(reader.sub(f));
    else if (f.number === 7) reader.floats(f, value.floats);
    else if (f.number === 8) reader.ints(f, value.ints);
    else if (f.number === 9) value.strings.push(reader.string(f));
  });
  return { name, value };
}

function readNode(reader: Reader): OnnxNode {
  const node: OnnxNode = { opType: "", domain: "", name: "", inputs: [], outputs: [], attributes: new Map() };
  forEachField(reader, (f) => {
    if (f.number === 1) node.inputs.push(reader.string(f));
    else if (f.number === 2) node.outputs.push(reader.string(f));
    else if (f.number === 3) node.name = reader.string(f);
    else if (f.number === 4) node.opType = reader.string(f);
    else if (f.number === 7) node.domain = reader.string(f);
    else if (f.number === 5) {
      const { name, value } = readAttribute(reader.sub(f));
      node.attributes.set(name, value);
    }
  });
  if (node.domain === "ai.onnx") node.domain = "";
  return node;
}

/** ValueInfoProto → TypeProto → TypeProto.Tensor → TensorShapeProto → Dimension. */
function readValueInfo(reader: Reader): ValueInfo {
  const info: ValueInfo = { name: "", elemType: 0, shape: [] };
  const nested = (f: Field, visit: (r: Reader, g: Field) => void) => {
    const r = reader.sub(f);
    forEachField(r, (g) => visit(r, g));
  };
  forEachField(reader, (f) => {
    if (f.number === 1) info.name = reader.string(f);
    else if (f.number === 2) {
      nested(f, (typeReader, t) => {
        if (t.number !== 1) return; // tensor_type; sequences and maps stay elemType 0
        const tensor = typeReader.sub(t);
        forEachField(tensor, (g) => {
          if (g.number === 1) info.elemType = g.int;
          else if (g.number === 2) {
            const shape = tensor.sub(g);
            forEachField(shape, (d) => {
              if (d.number !== 1) return;
              const dim = shape.sub(d);
              let size = -1;
              forEachField(dim, (v) => {
                if (v.number === 1 && v.wire === WIRE.varint) size = v.int;
              });
              info.shape.push(size);
            });
          }
        });
      });
    }
  });
  return info;
}

function readGraph(reader: Reader, into: OnnxGraph): void {
  forEachField(reader, (f) => {
    if (f.number === 1) into.nodes.push(readNode(reader.sub(f)));
    else if (f.number === 5) {
      const tensor = readTensor(reader.sub(f));
      into.initializers.set(tensor.name, tensor);
    } else if (f.number === 11) into.inputs.push(readValueInfo(reader.sub(f)));
    else if (f.number === 12) into.outputs.push(readValueInfo(reader.sub(f)));
  });
}

function readPair(reader: Reader): [string, string] {
  const pair: [string, string] = ["", ""];
  forEachField(reader, (f) => {
    if (f.number === 1) pair[0] = reader.string(f);
    else if (f.number === 2) pair[1] = reader.string(f);
  });
  return pair;
}

function readOpset(reader: Reader): [string, number] {
  let domain = "";
  let version = 0;
  forEachField(reader, (f) => {
    if (f.number === 1) domain = reader.string(f);
    else if (f.number === 2) version = f.int;
  });
  return [domain === "ai.onnx" ? "" : domain, version];
}

/**
 * Parses a serialized ONNX ModelProto. Throws ProtoError on bytes that are not a protobuf
 * message or hold no graph; graph inputs that are also initializers (old exporters list
 * weights as inputs) are dropped from `inputs`.
 */
export function parseOnnx(bytes: Uint8Array): OnnxGraph {
  const graph: OnnxGraph = { opsets: new Map(), metadata: new Map(), inputs: [], outputs: [], nodes: [], initializers: new Map() };
  const reader = new Reader(bytes);
  let sawGraph = false;
  forEachField(reader, (f) => {
    if (f.wire !== WIRE.bytes) return;
    if (f.number === 7) {
      sawGraph = true;
      readGraph(reader.sub(f), graph);
    } else if (f.number === 8) graph.opsets.set(...readOpset(reader.sub(f)));
    else if (f.number === 14) graph.metadata.set(...readPair(reader.sub(f)));
  });
  if (!sawGraph) throw new ProtoError("no graph in the model");
  graph.inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  return graph;
}

/** Typed access to a node's attributes, with the node named in errors. */
export function attributes(node: OnnxNode) {
  const get = (name: string) => node.attributes.get(name);
  return {
    floats: (name: string): number[] => get(name)?.floats ?? [],
    ints: (name: string): number[] => get(name)?.ints ?? [],
    strings: (name: string): string[] => get(name)?.strings ?? [],
    int: (name: string, fallback: number): number => get(name)?.i ?? fallback,
    float: (name: string, fallback: number): number => get(name)?.f ?? fallback,
    string: (name: string, fallback: string): string => get(name)?.s ?? fallback,
    /** A FLOATS attribute or its `<name>_as_tensor` twin (double precision), whichever is set. */
    numbers: (name: string): number[] => {
      const tensor = get(`${name}_as_tensor`)?.t ?? get(name)?.t;
      return tensor ? tensor.values : (get(name)?.floats ?? []);
    },
    tensor: (name: string): OnnxTensor | undefined => get(name)?.t,
  };
}
