/**
 * Routing keys → segments, bit-for-bit as Pravega's Java writer does it (fact sheet §3.5):
 * MurmurHash3 x64-128 (seed = "EventRouter".hashCode()) over the key's UTF-16LE code units, the
 * first 64-bit word turned into a double in [0, 1), then the segment with the smallest upper key
 * bound ≥ that double. The units are the key's as the client wrote it, lone surrogates included:
 * a key UTF-8 cannot carry arrives as its UTF-16 units (docs/routing-keys.md).
 */

const MASK64 = (1n << 64n) - 1n;
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;
/** Java's `"EventRouter".hashCode()`. */
export const EVENT_ROUTER_SEED = 1741865571;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK64;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK64;

function fmix(k: bigint): bigint {
  k ^= k >> 33n;
  k = mul(k, 0xff51afd7ed558ccdn);
  k ^= k >> 33n;
  k = mul(k, 0xc4ceb9fe1a85ec53n);
  k ^= k >> 33n;
  return k;
}

function readLE64(bytes: Uint8Array, at: number, length: number): bigint {
  let v = 0n;
  for (let i = length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
  return v;
}

/** The first 64-bit word (`h1`, what Guava's `HashCode.asLong()` returns) of MurmurHash3 x64-128. */
export function murmur3x64First(bytes: Uint8Array, seed: number): bigint {
  let h1 = BigInt.asUintN(64, BigInt(seed));
  let h2 = h1;
  const blocks = Math.floor(bytes.length / 16);
  for (let b = 0; b < blocks; b++) {
    let k1 = readLE64(bytes, b * 16, 8);
    let k2 = readLE64(bytes, b * 16 + 8, 8);
    k1 = mul(rotl(mul(k1, C1), 31n), C2);
    h1 ^= k1;
    h1 = (mul((rotl(h1, 27n) + h2) & MASK64, 5n) + 0x52dce729n) & MASK64;
    k2 = mul(rotl(mul(k2, C2), 33n), C1);
    h2 ^= k2;
    h2 = (mul((rotl(h2, 31n) + h1) & MASK64, 5n) + 0x38495ab5n) & MASK64;
  }
  const tail = bytes.length & 15;
  const at = blocks * 16;
  if (tail > 8) {
    const k2 = mul(rotl(mul(readLE64(bytes, at + 8, tail - 8), C2), 33n), C1);
    h2 ^= k2;
  }
  if (tail > 0) {
    const k1 = mul(rotl(mul(readLE64(bytes, at, Math.min(tail, 8)), C1), 31n), C2);
    h1 ^= k1;
  }
  const len = BigInt(bytes.length);
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) & MASK64;
  h2 = (h2 + h1) & MASK64;
  h1 = fmix(h1);
  h2 = fmix(h2);
  return (h1 + h2) & MASK64;
}

function utf16le(key: string): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    out[i * 2] = unit & 0xff;
    out[i * 2 + 1] = unit >> 8;
  }
  return out;
}

const MANTISSA_MASK = (1n << 52n) - 1n;

/** A routing key's position in the key space [0, 1), as Java's `StreamSegments` computes it. */
export function hashToRange(routingKey: string): number {
  const h1 = murmur3x64First(utf16le(routingKey), EVENT_ROUTER_SEED);
  // Java builds the double 1.m from 52 bits of the hash and subtracts 1: exactly m / 2^52.
  return Number((h1 >> 12n) & MANTISSA_MASK) / 2 ** 52;
}

export interface KeyedSegment {
  readonly segmentId: bigint;
  readonly minKey: number;
  readonly maxKey: number;
}

/** An immutable key-space → segment map (Java's NavigableMap keyed by each segment's upper bound). */
export class SegmentMap<S extends KeyedSegment = KeyedSegment> {
  readonly segments: readonly S[];
  private readonly upper: number[];

  constructor(segments: readonly S[]) {
    this.segments = [...segments].sort((a, b) => a.maxKey - b.maxKey);
    this.upper = this.segments.map((s) => s.maxKey);
  }

  /** The segment with the smallest upper bound ≥ `key`. */
  segmentFor(key: number): S {
    const { upper } = this;
    let lo = 0;
    let hi = upper.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (upper[mid]! >= key) hi = mid;
      else lo = mid + 1;
    }
    const found = this.segments[lo];
    if (!found) throw new Error('segment map is empty');
    return found;
  }

  segmentForKey(routingKey: string): S {
    return this.segmentFor(hashToRange(routingKey));
  }
}
