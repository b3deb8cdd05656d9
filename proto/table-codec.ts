/**
 * A small table-driven protobuf codec for the SDK's frames, so that a browser bundle need not
 * carry protobuf-es's reflection runtime (its `fileDesc` boot decodes the embedded descriptor with
 * descriptor.proto's own schema: ~36 KB minified; docs/packaging.md, "Where the bytes are").
 *
 * The tables come from `gen/sluice/v1/gateway_codec.ts` (generated from the descriptors by
 * scripts/generate-frame-codec.mjs). Objects have the shapes protobuf-es gives: `$typeName`,
 * proto3 zero values, `{ case, value }` oneofs, 64-bit integers as bigint; encoding takes the
 * same init shapes as `create()`. sdk/test/frame-codec.test.ts checks both ways against
 * protobuf-es, byte for byte. Unknown fields are skipped (protobuf-es keeps them in `$unknown`).
 */
import { type BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** Field flags. */
export const REPEATED = 1;
/** Explicit presence (proto3 `optional`): written when set, even to its zero value. */
export const EXPLICIT = 2;
/** Field type: a protobuf ScalarType number (1–18; enums as 5, int32), or 0 for a message. */
export const MESSAGE = 0;

/** [field number, property name, type, flags, message index (type 0), oneof property]. */
export type FieldSpec = readonly [
  no: number,
  name: string,
  type: number,
  flags: number,
  ref?: number | undefined,
  oneof?: string,
];
/** [type name, fields in field-number order]. */
export type MessageSpec = readonly [typeName: string, fields: readonly FieldSpec[]];
export type CodecTable = readonly MessageSpec[];

// ScalarType → the BinaryReader/BinaryWriter method of that name (unused numbers left empty).
const METHOD =
  ',double,float,int64,uint64,int32,fixed64,fixed32,bool,string,,,bytes,uint32,,sfixed32,sfixed64,sint32,sint64'.split(
    ',',
  );
type Scalar = number | bigint | string | boolean | Uint8Array;
// biome-ignore lint/suspicious/noExplicitAny: messages are plain objects addressed by property name
type Msg = Record<string, any>;

function wireType(type: number): WireType {
  if (type === MESSAGE || type === 9 || type === 12) return WireType.LengthDelimited;
  if (type === 1 || type === 6 || type === 16) return WireType.Bit64;
  if (type === 2 || type === 7 || type === 15) return WireType.Bit32;
  return WireType.Varint;
}

function isZero(type: number, v: Scalar): boolean {
  if (type === 8) return v === false;
  if (type === 9) return v === '';
  if (type === 12) return (v as Uint8Array).length === 0;
  if (type === 1 || type === 2) return Object.is(v, 0);
  // biome-ignore lint/suspicious/noDoubleEquals: 0, 0n and "0" are all the zero of an integer field
  return v == 0;
}

function writeValue(table: CodecTable, w: BinaryWriter, no: number, type: number, ref: number | undefined, v: unknown) {
  w.tag(no, wireType(type));
  if (type === MESSAGE) {
    w.fork();
    writeMessage(table, ref!, v as Msg, w);
    w.join();
  } else (w as unknown as Record<string, (v: unknown) => void>)[METHOD[type]!]!(v);
}

function writeMessage(table: CodecTable, index: number, msg: Msg, w: BinaryWriter): void {
  for (const [no, name, type, flags, ref, oneof] of table[index]![1]) {
    let v: unknown;
    if (oneof !== undefined) {
      const o = msg[oneof];
      if (o?.case !== name) continue;
      v = o.value;
    } else {
      v = msg[name];
      if (v === undefined) continue;
      if (flags & REPEATED) {
        const list = v as unknown[];
        if (type === MESSAGE || type === 9 || type === 12) {
          for (const item of list) writeValue(table, w, no, type, ref, item);
        } else if (list.length > 0) {
          w.tag(no, WireType.LengthDelimited).fork();
          for (const item of list) (w as unknown as Record<string, (v: unknown) => void>)[METHOD[type]!]!(item);
          w.join();
        }
        continue;
      }
      if (!(flags & EXPLICIT) && type !== MESSAGE && isZero(type, v as Scalar)) continue;
    }
    writeValue(table, w, no, type, ref, v);
  }
}

/** Encodes message `index` of `table` from a `create()`-style init object. */
export function encodeMessage(table: CodecTable, index: number, msg: object): Uint8Array {
  const w = new BinaryWriter();
  writeMessage(table, index, msg as Msg, w);
  return w.finish();
}

function zero(type: number): Scalar {
  if (type === 8) return false;
  if (type === 9) return '';
  if (type === 12) return new Uint8Array(0);
  if (type === 3 || type === 4 || type === 6 || type === 16 || type === 18) return BigInt(0);
  return 0;
}

function newMessage(table: CodecTable, index: number): Msg {
  const [typeName, fields] = table[index]!;
  const m: Msg = { $typeName: typeName };
  for (const [, name, type, flags, , oneof] of fields) {
    if (oneof !== undefined) m[oneof] = { case: undefined };
    else if (flags & REPEATED) m[name] = [];
    else if (!(flags & EXPLICIT) && type !== MESSAGE) m[name] = zero(type);
  }
  return m;
}

function readScalar(r: BinaryReader, type: number): Scalar {
  return (r as unknown as Record<string, () => Scalar>)[METHOD[type]!]!();
}

/** Reads message `index` from `r`: `length` bytes, or to the end; into `into` (a merge) if given. */
export function readMessage(table: CodecTable, index: number, r: BinaryReader, length?: number, into?: Msg): Msg {
  const fields = table[index]![1];
  const m = into ?? newMessage(table, index);
  const end = length === undefined ? r.len : r.pos + length;
  while (r.pos < end) {
    const [no, wt] = r.tag();
    const field = fields.find((f) => f[0] === no);
    if (!field) {
      r.skip(wt, no);
      continue;
    }
    const [, name, type, flags, ref, oneof] = field;
    if (flags & REPEATED) {
      const list = m[name] as unknown[];
      if (type === MESSAGE) list.push(readMessage(table, ref!, r, r.uint32()));
      else if (wt === WireType.LengthDelimited && type !== 9 && type !== 12) {
        const listEnd = r.uint32() + r.pos;
        while (r.pos < listEnd) list.push(readScalar(r, type));
      } else list.push(readScalar(r, type));
    } else if (type === MESSAGE) {
      const len = r.uint32();
      if (oneof !== undefined) {
        const o = m[oneof];
        m[oneof] = { case: name, value: readMessage(table, ref!, r, len, o.case === name ? o.value : undefined) };
      } else m[name] = readMessage(table, ref!, r, len, m[name]);
    } else {
      const v = readScalar(r, type);
      if (oneof !== undefined) m[oneof] = { case: name, value: v };
      else m[name] = v;
    }
  }
  if (r.pos > end) throw new Error('premature end of a nested message');
  return m;
}
