/**
 * How Pravega's Java KeyValueTable (0.13) lays a table out, so that Java and Sluice agree on
 * every byte: a key is primary key ‖ secondary key (fixed lengths); its partition is the table
 * segment whose key range holds MurmurHash3-128 of the primary key's bytes, seeded with
 * "KeyValueTableRouter".hashCode() (KeyValueTableSegments); a version is the segment id and the
 * key's version in that segment, written as Java's VersionImpl.toString(), "<segment>:<version>".
 */
import { GatewayError } from '../errors.js';
import { murmur3x64First } from '../streams/routing.js';
import type { KvtConfig } from './kvt-controller.js';

/** Java's String.hashCode(). */
function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export const KVT_ROUTER_SEED = javaHashCode('KeyValueTableRouter');
const MANTISSA_MASK = (1n << 52n) - 1n;

/** The primary key's place in [0, 1), as HashHelper.hashToRange(ByteBuffer) computes it. */
export function primaryKeyToRange(primaryKey: Uint8Array): number {
  const h1 = murmur3x64First(primaryKey, KVT_ROUTER_SEED);
  return Number((h1 >> 12n) & MANTISSA_MASK) / 2 ** 52;
}

/** Pravega's key versions on the wire. */
export const NO_VERSION = -(2n ** 63n);
export const NOT_EXISTS = -1n;
/** Java's VersionImpl.NO_SEGMENT_ID. */
const NO_SEGMENT_ID = -(2n ** 63n);

/** The largest value Pravega stores under one key (TableSegment.MAXIMUM_VALUE_LENGTH). */
export const MAX_VALUE_BYTES = 1024 * 1024 - 8192;
/** Keys per update or read request (TableSegment.MAXIMUM_BATCH_KEY_COUNT). */
export const MAX_BATCH_KEYS = 256;

export function formatVersion(segmentId: bigint, version: bigint): string {
  return `${segmentId}:${version}`;
}

/**
 * A condition as the client sends it: "" (none), "absent", or "<segment>:<version>". Returns the
 * key version to send; throws `conflict` (a BadKeyVersion in Java) when the version names
 * another partition than the key's.
 */
export function parseCondition(text: string, segmentId: bigint): bigint | 'wrong-segment' {
  if (text === '') return NO_VERSION;
  if (text === 'absent') return NOT_EXISTS;
  const m = /^(-?\d+):(-?\d+)$/.exec(text);
  if (!m) throw new GatewayError('invalid-argument', `"${text}" is not a key-value table version`);
  const seg = BigInt(m[1]!);
  const version = BigInt(m[2]!);
  if (seg === NO_SEGMENT_ID) return version;
  return seg === segmentId ? version : 'wrong-segment';
}

export function checkConfig(c: KvtConfig): void {
  if (!Number.isInteger(c.partitions) || c.partitions < 1)
    throw new GatewayError('invalid-argument', 'a key-value table needs at least one partition');
  if (c.primaryKeyLength < 1)
    throw new GatewayError('invalid-argument', 'a key-value table needs a primary key of at least 1 byte');
  if (c.primaryKeyLength + c.secondaryKeyLength > 8192)
    throw new GatewayError('invalid-argument', 'primary and secondary keys together may have at most 8192 bytes');
}

/** Throws invalid-argument unless `key` is exactly primary + secondary key length. */
export function checkKey(key: Uint8Array, c: KvtConfig): void {
  const expected = c.primaryKeyLength + c.secondaryKeyLength;
  if (key.length !== expected) {
    throw new GatewayError(
      'invalid-argument',
      `a key of this table has ${expected} bytes (primary ${c.primaryKeyLength} + secondary ${c.secondaryKeyLength}); got ${key.length}`,
    );
  }
}

/** The key right after `key` in unsigned byte order, or undefined after the last one (Java's SegmentIteratorArgs.next). */
export function nextKey(key: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(key);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = (out[i]! + 1) & 0xff;
    if (out[i] !== 0) return out;
  }
  return undefined;
}

/** Unsigned byte order, as Java's TableKeyComparator. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function samePrimaryKey(a: Uint8Array, b: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}
