import { describe, expect, it } from 'vitest';
import { hashToRange, SegmentMap } from '../../src/streams/routing.js';

// Vectors computed with Guava's MurmurHash3 (what Pravega's Java writer uses); fact sheet §3.5.
const VECTORS: Array<[string, number]> = [
  ['hello', 0.658716230571337],
  ['', 0.24117842791623523],
  ['a', 0.9433912753816884],
  ['routingKey', 0.9115813645916913],
  ['key-1', 0.3829162539760538],
  ['0', 0.8056356837424186],
  ['Ünïcødé', 0.7512060726704788],
  ['😀', 0.7750255912171164],
];

describe('hashToRange', () => {
  it.each(VECTORS)('hashes %j like Java', (key, expected) => {
    expect(hashToRange(key)).toBe(expected);
  });

  it('handles keys longer than one 16-byte block', () => {
    const value = hashToRange('a routing key that spans several murmur blocks');
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThan(1);
  });
});

describe('SegmentMap', () => {
  const map = new SegmentMap([
    { segmentId: 2n, minKey: 0.5, maxKey: 0.75 },
    { segmentId: 0n, minKey: 0, maxKey: 0.25 },
    { segmentId: 3n, minKey: 0.75, maxKey: 1 },
    { segmentId: 1n, minKey: 0.25, maxKey: 0.5 },
  ]);

  it('picks the segment with the smallest upper bound at or above the key', () => {
    expect(map.segmentFor(0).segmentId).toBe(0n);
    expect(map.segmentFor(0.25).segmentId).toBe(0n);
    expect(map.segmentFor(0.2500001).segmentId).toBe(1n);
    expect(map.segmentFor(0.74).segmentId).toBe(2n);
    expect(map.segmentFor(0.9999).segmentId).toBe(3n);
  });

  it('routes string keys through the Java hash', () => {
    expect(map.segmentForKey('hello').segmentId).toBe(2n); // 0.6587…
    expect(map.segmentForKey('key-1').segmentId).toBe(1n); // 0.3829…
  });
});
