/**
 * A minimal protocol-buffers wire reader: enough to walk the handful of ONNX messages the
 * explainers read (model, graph, node, attribute, tensor, value info). A full protobuf
 * library (protobufjs via onnx-proto) would be a runtime dependency pinned to an ONNX release
 * from 2021 that knows nothing of newer fields; the wire format itself never changes.
 */

/** Wire types of the protobuf encoding. Groups (3, 4) are not used by ONNX. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export class ProtoError extends Error {}

/** One field as read from the wire: its number, wire type and where its payload is. */
export interface Field {
  number: number;
  wire: number;
  /** The varint value (wire type 0). */
  int: number;
  /** Payload start and end in the buffer (wire types 1, 2, 5). */
  start: number;
  end: number;
}

export class Reader {
  private readonly view: DataView;
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  /**
   * A varint as a JS number. int64 fields (dims, node ids) fit easily in 53 bits; negative
   * int64 values are written as 10-byte two's complement varints and come back negative.
   */
  varint(): number {
    const start = this.pos;
    let result = 0;
    let factor = 1;
    // Up to 7 bytes (49 bits) add up exactly in a double; longer ones are rare (negatives).
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new ProtoError("truncated varint");
      const byte = this.bytes[this.pos++]!;
      result += (byte & 0x7f) * factor;
      factor *= 128;
      if (byte < 0x80) return result;
    }
    this.pos = start;
    let big = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError("truncated varint");
      const byte = this.bytes[this.pos++]!;
      big |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) return Number(BigInt.asIntN(64, big));
    }
    throw new ProtoError("varint longer than 10 bytes");
  }

  float32(at: number): number {
    return this.view.getFloat32(at, true);
  }

  float64(at: number): number {
    return this.view.getFloat64(at, true);
  }

  /** The next field, or undefined at the end of the message. */
  next(): Field | undefined {
    if (this.pos >= this.end) return undefined;
    const key = this.varint();
    const number = Math.floor(key / 8);
    const wire = key & 7;
    const field: Field = { number, wire, int: 0, start: this.pos, end: this.pos };
    if (wire === WIRE.varint) field.int = this.varint();
    else if (wire === WIRE.fixed64) this.pos += 8;
    else if (wire === WIRE.fixed32) this.pos += 4;
    else if (wire === WIRE.bytes) {
      const length = this.varint();
      field.start = this.pos;
      this.pos += length;
    } else throw new ProtoError(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new ProtoError("field runs past the end of its message");
    field.end = this.pos;
    return field;
  }

  /** A reader over a length-delimited field's payload (an embedded message or a packed array). */
  sub(field: Field): Reader {
    return new Reader(this.bytes, field.start, field.end);
  }

  string(field: Field): string {
    return new TextDecoder().decode(this.bytes.subarray(field.start, field.end));
  }

  /** Appends a repeated varint field's values, packed (wire type 2) or one per field. */
  ints(field: Field, into: number[]): void {
    if (field.wire === WIRE.varint) {
      into.push(field.int);
      return;
    }
    const packed = this.sub(field);
    while (packed.pos < packed.end) into.push(packed.varint());
  }

  /** Appends a repeated float (or double when `double`) field's values, packed or not. */
  floats(field: Field, into: number[], double = false): void {
    const size = double ? 8 : 4;
    for (let at = field.start; at + size <= field.end; at += size) into.push(double ? this.float64(at) : this.float32(at));
  }
}

/** Calls `visit` for every field of the message `reader` spans. */
export function forEachField(reader: Reader, visit: (field: Field) => void): void {
  for (let field = reader.next(); field; field = reader.next()) visit(field);
}
