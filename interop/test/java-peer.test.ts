/**
 * The Java peer itself, Java to Java through the real standalone: if this fails, the interop
 * tests that compare Sluice with it cannot be trusted.
 */
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { type JsonLine, javaPeer, spawnJavaPeer, streamArgs } from './java-peer.js';

interface ReadEvent {
  payload: string;
  hex: string;
  segment: string;
  segmentId: string;
  offset: number;
}

const events = (lines: JsonLine[]) => lines.filter((l) => typeof l.payload === 'string') as unknown as ReadEvent[];

describe('Java peer', () => {
  it('writes 1,000 events over 10 keys to 4 segments and reads back exactly those, in per-key order', async () => {
    const scope = uniqueName('peer');
    const args = streamArgs(scope, 's');
    expect(await javaPeer(['create-stream', ...args, '--segments', '4'])).toEqual([{ created: true }]);
    const [written] = await javaPeer(['write', ...args, '--count', '1000', '--keys', '10', '--prefix', 'p']);
    expect(written).toMatchObject({ written: 1000 });

    const lines = await javaPeer(['read', ...args, '--expect', '1000', '--drain-ms', '1000', '--timeout-ms', '60000']);
    expect(lines.at(-1)).toEqual({ done: true, count: 1000 });
    const read = events(lines);
    const expected = Array.from({ length: 1000 }, (_, i) => `p|key-${i % 10}|${i}`);
    expect(read.map((e) => e.payload).sort()).toEqual([...expected].sort());
    for (const e of read) expect(Buffer.from(e.hex, 'hex').toString('utf8')).toBe(e.payload);

    // Per key: one segment, sequence numbers in write order, offsets increasing.
    const byKey = new Map<string, ReadEvent[]>();
    for (const e of read) {
      const key = e.payload.split('|')[1]!;
      byKey.set(key, [...(byKey.get(key) ?? []), e]);
    }
    expect(byKey.size).toBe(10);
    for (const [key, list] of byKey) {
      const seqs = list.map((e) => Number(e.payload.split('|')[2]));
      expect(seqs, key).toEqual(expected.filter((p) => p.split('|')[1] === key).map((p) => Number(p.split('|')[2])));
      expect(new Set(list.map((e) => e.segment)).size, key).toBe(1);
      const offsets = list.map((e) => e.offset);
      expect(offsets, key).toEqual([...offsets].sort((a, b) => a - b));
    }
    for (const e of read) expect(e.segment).toMatch(new RegExp(`^${scope}/s/[0-3]\\.#epoch\\.0$`));
    expect(read.every((e) => ['0', '1', '2', '3'].includes(e.segmentId))).toBe(true);
  });

  it('routes keys deterministically onto the stream segments, the empty key first', async () => {
    const scope = uniqueName('peer');
    const args = streamArgs(scope, 's');
    await javaPeer(['create-stream', ...args, '--segments', '4']);
    const a = await javaPeer(['route', ...args, '--count', '300', '--seed', '7']);
    const b = await javaPeer(['route', ...args, '--count', '300', '--seed', '7']);
    expect(a).toEqual(b);
    expect(a).toHaveLength(300);
    expect(a[0]?.key).toBe('');
    expect(new Set(a.map((l) => l.segmentId))).toEqual(new Set(['0', '1', '2', '3']));
    expect(a.some((l) => /[^\x20-\x7e]/.test(String(l.key)))).toBe(true);
  });

  it('reads from the tail only what is written after it starts, and pads payloads to --size', async () => {
    const scope = uniqueName('peer');
    const args = streamArgs(scope, 's');
    await javaPeer(['create-stream', ...args, '--segments', '2']);
    await javaPeer(['write', ...args, '--count', '20', '--keys', '3', '--prefix', 'before']);
    const reader = spawnJavaPeer(['read', ...args, '--from-tail', '--expect', '20', '--drain-ms', '1000']);
    const lines: JsonLine[] = [];
    let wrote: Promise<JsonLine[]> | undefined;
    for await (const line of reader) {
      lines.push(line);
      if (line.ready)
        wrote = javaPeer(['write', ...args, '--count', '20', '--keys', '3', '--prefix', 'after', '--size', '64']);
    }
    await wrote;
    expect(lines.at(-1)).toEqual({ done: true, count: 20 });
    const payloads = events(lines).map((e) => e.payload);
    expect(payloads.sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => {
        const base = `after|key-${i % 3}|${i}`;
        return base + 'x'.repeat(64 - base.length);
      }).sort(),
    );
  });
});
