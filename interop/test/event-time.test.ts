/**
 * Event time across Sluice and Pravega's Java client: watermark bytes decode as Java writes
 * them; the times a Sluice writer notes (writer.noteTime, autoNoteTimeMs, a transaction's
 * commit({ timestamp })) become watermarks a Java reader sees in its time window; and a Sluice
 * reader's timeWindow() shows the times a Java writer noted.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { compareToMark, decodeWatermark, encodeWatermark } from '../../sdk/src/event-time/watermark.js';
import { javaPeer, spawnJavaPeer, streamArgs } from './java-peer.js';

const fx = useGateway('time');
const { scope } = fx;
const utf8 = Serializers.utf8();

async function newStream(segments = 2): Promise<string> {
  const stream = uniqueName('s');
  await fx.client.createStream(stream, { scaling: { type: 'fixed', segments } });
  return stream;
}

describe('watermarks', () => {
  it("decode from Java's bytes and encode to them", async () => {
    const [{ hex }] = (await javaPeer(['watermark-bytes'])) as [{ hex: string }];
    const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
    const mark = decodeWatermark(bytes);
    expect(mark).toEqual({
      lowerTimeBound: 1_700_000_000_000n,
      upperTimeBound: 1_700_000_000_500n,
      streamCut: [
        { segment: 0n, low: 0, high: 0.5, offset: 1234n },
        { segment: (1n << 32n) | 3n, low: 0.5, high: 1, offset: 70_000n },
      ],
    });
    expect(Buffer.from(encodeWatermark(mark)).toString('hex')).toBe(hex);
    // Placed as Java's WatermarkReaderImpl.compare places a position.
    expect(compareToMark(new Map([[0n, 1234n]]), mark)).toBe(1);
    expect(compareToMark(new Map([[0n, 1000n]]), mark)).toBe(-1);
    expect(
      compareToMark(
        new Map([
          [0n, 2000n],
          [(1n << 32n) | 3n, 100n],
        ]),
        mark,
      ),
    ).toBe(0);
  });

  it('a Java reader sees the time a Sluice writer noted', async () => {
    const stream = await newStream();
    const writer = fx.client.writer(stream, { serializer: utf8 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.write(`e${i}`, `k${i % 5}`)));
    const noted = Date.now();
    await writer.noteTime(noted);
    // The controller combines the times of live writers: keep noting (later) times meanwhile,
    // as Java's writer does, until the Java reader reports the window.
    let t = noted;
    const keepNoting = setInterval(() => void writer.noteTime(++t).catch(() => {}), 1000);
    try {
      const lines = await javaPeer(
        ['time-window', ...streamArgs(scope, stream), '--until-lower', String(noted), '--timeout-ms', '60000'],
        { timeoutMs: 90_000 },
      );
      const last = lines[lines.length - 1] as { lower: number; upper: number; events: number };
      expect(last.lower).toBeGreaterThanOrEqual(noted);
      expect(last.events).toBe(50);
    } finally {
      clearInterval(keepNoting);
      await writer.close();
    }
    await expect(writer.noteTime(-1)).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('a Java reader sees the time the gateway notes for a writer with autoNoteTimeMs', async () => {
    const stream = await newStream();
    const writer = fx.client.writer(stream, { serializer: utf8, autoNoteTimeMs: 1000 });
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => writer.write(`a${i}`, `k${i % 4}`)));
      // Every note from now on is at least this and covers the 40 acknowledged events.
      const after = Date.now();
      await expect(writer.noteTime(after)).rejects.toMatchObject({ code: 'invalid-argument' });
      const lines = await javaPeer(
        ['time-window', ...streamArgs(scope, stream), '--until-lower', String(after), '--timeout-ms', '60000'],
        { timeoutMs: 90_000 },
      );
      const last = lines[lines.length - 1] as { lower: number; events: number };
      expect(last.lower).toBeGreaterThanOrEqual(after);
      expect(last.events).toBe(40);
    } finally {
      await writer.close();
    }
    expect(() => fx.client.writer(stream, { serializer: utf8, autoNoteTimeMs: 10 })).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
  });

  it("a Java reader sees a transaction's commit time (Transaction.commit(timestamp))", async () => {
    const stream = await newStream();
    const writer = fx.client.writer(stream, { serializer: utf8, mode: 'exactly-once' });
    const tx = await writer.beginTxn();
    await Promise.all(Array.from({ length: 30 }, (_, i) => tx.write(`t${i}`, `k${i % 3}`)));
    const time = Date.now();
    await tx.commit({ timestamp: time });
    const lines = await javaPeer(
      ['time-window', ...streamArgs(scope, stream), '--until-lower', String(time), '--timeout-ms', '60000'],
      { timeoutMs: 90_000 },
    );
    const last = lines[lines.length - 1] as { lower: number; events: number };
    expect(last.lower).toBe(time);
    expect(last.events).toBe(30);
    const next = await writer.beginTxn();
    await expect(next.commit({ timestamp: -5 })).rejects.toMatchObject({ code: 'invalid-argument' });
    await next.abort();
    await writer.close();
  });

  it("a Sluice reader's time window shows the time a Java writer noted", async () => {
    const stream = await newStream();
    const noted = Date.now();
    const java = spawnJavaPeer([
      'note-time',
      ...streamArgs(scope, stream),
      '--count',
      '30',
      '--time',
      String(noted),
      '--hold-ms',
      '60000',
    ]);
    try {
      const reader = fx.client.reader(stream, { serializer: utf8, from: 'head' });
      expect(await reader.timeWindow()).toEqual({ lowerTimeBound: undefined, upperTimeBound: undefined });
      let n = 0;
      for await (const _ of reader) if (++n === 30) break;
      // The controller writes a watermark every few seconds once the writer noted a time.
      let window = await reader.timeWindow();
      for (let i = 0; i < 120 && (window.lowerTimeBound ?? 0) < noted; i++) {
        await new Promise((r) => setTimeout(r, 500));
        window = await reader.timeWindow();
      }
      expect(window.lowerTimeBound).toBeGreaterThanOrEqual(noted);
      // A reader at the head, before the events, is before that mark: its window ends there.
      const behind = fx.client.reader(stream, { serializer: utf8, from: 'head' });
      const early = await behind.timeWindow();
      expect(early.lowerTimeBound).toBeUndefined();
      expect(early.upperTimeBound).toBeGreaterThanOrEqual(noted);
      await behind.close();
      await reader.close();
    } finally {
      await java.stop();
    }
  });
});
