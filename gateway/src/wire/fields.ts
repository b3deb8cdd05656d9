/** Reads and writes one field of each kind (see schema.ts). */
import type { ByteReader, ByteWriter } from './bytes.js';
import { WireError } from './errors.js';
import type { FieldKind, KindTypes, TableEntry, TableKey } from './schema.js';

const NO_VERSION = -(2n ** 63n);

function count(r: ByteReader, what: string, minBytesEach: number): number {
  const n = r.i32();
  if (n < 0) throw new WireError('negative-length', `negative ${what} count`);
  // A count the remaining bytes cannot hold is malformed: never allocate for it.
  if (n * minBytesEach > r.remaining) throw new WireError('malformed', `${what} count ${n} exceeds the payload`);
  return n;
}

function readTableKey(r: ByteReader): TableKey {
  const payloadSize = r.i32();
  if (payloadSize < 4 || payloadSize > r.remaining)
    throw new WireError('malformed', `bad table key size ${payloadSize}`);
  const end = r.pos + payloadSize;
  const key = r.blob('table key');
  const version = r.pos + 8 <= end ? r.i64() : NO_VERSION;
  if (r.pos !== end) throw new WireError('malformed', 'table key size does not match its fields');
  return { key, version };
}

function writeTableKey(w: ByteWriter, k: TableKey): void {
  if (k.key.length === 0) {
    w.i32(4).i32(0);
    return;
  }
  w.i32(4 + k.key.length + 8)
    .blob(k.key)
    .i64(k.version);
}

function readTableValue(r: ByteReader): Uint8Array {
  const payloadSize = r.i32();
  if (payloadSize < 4 || payloadSize > r.remaining)
    throw new WireError('malformed', `bad table value size ${payloadSize}`);
  const value = r.blob('table value');
  if (payloadSize !== 4 + value.length) throw new WireError('malformed', 'table value size does not match its fields');
  return value;
}

export function readField<K extends FieldKind>(r: ByteReader, kind: K): KindTypes[K] {
  return READERS[kind](r) as KindTypes[K];
}

export function writeField<K extends FieldKind>(w: ByteWriter, kind: K, value: KindTypes[K]): void {
  (WRITERS[kind] as (w: ByteWriter, v: KindTypes[K]) => void)(w, value);
}

const READERS: { [K in FieldKind]: (r: ByteReader) => KindTypes[K] } = {
  i8: (r) => r.i8(),
  i32: (r) => r.i32(),
  i64: (r) => r.i64(),
  bool: (r) => r.bool(),
  uuid: (r) => r.uuid(),
  utf: (r) => r.utf(),
  blob: (r) => r.blob(),
  rest: (r) => r.rest(),
  i64list: (r) => Array.from({ length: count(r, 'long', 8) }, () => r.i64()),
  utflist: (r) => Array.from({ length: count(r, 'string', 2) }, () => r.utf()),
  tableKeys: (r) => Array.from({ length: count(r, 'table key', 8) }, () => readTableKey(r)),
  tableEntries: (r) =>
    Array.from({ length: count(r, 'table entry', 16) }, (): TableEntry => {
      const key = readTableKey(r);
      return { key, value: readTableValue(r) };
    }),
  iteratorArgs: (r) => ({ continuationToken: r.blob(), prefixFilter: r.blob(), fromKey: r.blob(), toKey: r.blob() }),
  eventFrame: (r) => {
    const type = r.i32();
    if (type !== 0) throw new WireError('malformed', `embedded event has type ${type}`);
    return r.blob('event');
  },
  attributeUpdates: (r) =>
    Array.from({ length: count(r, 'attribute update', 33) }, () => ({
      attributeId: r.uuid(),
      updateType: r.i8(),
      newValue: r.i64(),
      oldValue: r.i64(),
    })),
  mergedSegments: (r) =>
    Array.from({ length: count(r, 'merged segment', 10) }, () => ({ source: r.utf(), newTargetWriteOffset: r.i64() })),
};

const WRITERS: { [K in FieldKind]: (w: ByteWriter, v: KindTypes[K]) => void } = {
  i8: (w, v) => w.i8(v),
  i32: (w, v) => w.i32(v),
  i64: (w, v) => w.i64(v),
  bool: (w, v) => w.bool(v),
  uuid: (w, v) => w.uuid(v),
  utf: (w, v) => w.utf(v),
  blob: (w, v) => w.blob(v),
  rest: (w, v) => w.raw(v),
  i64list: (w, v) => {
    w.i32(v.length);
    for (const x of v) w.i64(x);
  },
  utflist: (w, v) => {
    w.i32(v.length);
    for (const x of v) w.utf(x);
  },
  tableKeys: (w, v) => {
    w.i32(v.length);
    for (const k of v) writeTableKey(w, k);
  },
  tableEntries: (w, v) => {
    w.i32(v.length);
    for (const e of v) {
      writeTableKey(w, e.key);
      w.i32(4 + e.value.length).blob(e.value);
    }
  },
  iteratorArgs: (w, v) => {
    w.blob(v.continuationToken).blob(v.prefixFilter).blob(v.fromKey).blob(v.toKey);
  },
  eventFrame: (w, v) => {
    w.i32(0).blob(v);
  },
  attributeUpdates: (w, v) => {
    w.i32(v.length);
    for (const u of v) w.uuid(u.attributeId).i8(u.updateType).i64(u.newValue).i64(u.oldValue);
  },
  mergedSegments: (w, v) => {
    w.i32(v.length);
    for (const m of v) w.utf(m.source).i64(m.newTargetWriteOffset);
  },
};
