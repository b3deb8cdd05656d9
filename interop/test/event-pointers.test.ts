/**
 * Event pointers (Pravega's EventPointer): made from any event a Sluice reader hands out,
 * resolved later with client.fetchEvent; Java's pointers (toBytes and toString) read by Sluice
 * byte for byte, and Sluice's resolved by Java's StreamManager.fetchEvent.
 */
import { EventPointer, Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const fx = useGateway('ptr');
const { scope } = fx;
const utf8 = Serializers.utf8();

async function filledStream(count: number): Promise<{ stream: string; values: string[] }> {
  const stream = uniqueName('s');
  await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
  const writer = fx.client.writer(stream, { serializer: utf8 });
  // Sizes vary so that offsets and lengths differ from event to event.
  const values = Array.from({ length: count }, (_, i) => `v${i}|${'x'.repeat((i * 37) % 300)}`);
  await Promise.all(values.map((v, i) => writer.write(v, `k${i % 7}`)));
  await writer.close();
  return { stream, values };
}

async function readAll(stream: string, n: number) {
  const reader = fx.client.reader(stream, { serializer: utf8, from: 'head' });
  const events = [];
  for await (const ev of reader) {
    events.push(ev);
    if (events.length === n) break;
  }
  await reader.close();
  return events;
}

describe('event pointers', () => {
  it("resolve any event a reader handed out, later, from another reader's view", async () => {
    const { stream, values } = await filledStream(60);
    const events = await readAll(stream, values.length);
    const pointers = events.map((ev) => EventPointer.of(ev));
    for (const [i, p] of pointers.entries()) {
      expect(p.length).toBe(8 + new TextEncoder().encode(events[i]!.value).length);
      // Both of Java's forms round-trip.
      expect(EventPointer.fromBytes(p.toBytes())).toEqual(p);
      expect(EventPointer.fromString(p.toString())).toEqual(p);
    }
    const fetched = await Promise.all(pointers.map((p) => fx.client.fetchEvent(p, { serializer: utf8 })));
    expect(fetched).toEqual(events.map((e) => e.value));
  });

  it("are Java's: its bytes and text read as the same pointer, and each side resolves the other's", async () => {
    const { stream, values } = await filledStream(30);
    const java = (await javaPeer(['pointers', ...streamArgs(scope, stream)])) as Array<{
      payload: string;
      pointer: string;
      text: string;
    }>;
    expect(java.map((l) => l.payload).sort()).toEqual([...values].sort());
    const mine = new Map((await readAll(stream, values.length)).map((ev) => [ev.value, EventPointer.of(ev)]));
    for (const line of java) {
      const bytes = Uint8Array.from(Buffer.from(line.pointer, 'base64'));
      const fromJava = EventPointer.fromBytes(bytes);
      expect(fromJava).toEqual(EventPointer.fromString(line.text));
      expect(fromJava).toEqual(mine.get(line.payload));
      expect(Buffer.from(mine.get(line.payload)!.toBytes()).toString('base64')).toBe(line.pointer);
      expect(mine.get(line.payload)!.toString()).toBe(line.text);
    }
    const sample = java.slice(0, 5);
    for (const line of sample) {
      const p = EventPointer.fromBytes(Uint8Array.from(Buffer.from(line.pointer, 'base64')));
      expect(await fx.client.fetchEvent(p, { serializer: utf8 })).toBe(line.payload);
    }
    const last = mine.get(values[values.length - 1]!)!;
    const [resolved] = await javaPeer([
      'fetch-event',
      '--controller',
      streamArgs(scope, stream)[1]!,
      '--pointer',
      Buffer.from(last.toBytes()).toString('base64'),
    ]);
    expect(resolved).toEqual({ payload: values[values.length - 1], text: last.toString() });
  });

  it('give typed errors for what is not there', async () => {
    const { stream, values } = await filledStream(3);
    const [ev] = await readAll(stream, 1);
    const p = EventPointer.of(ev!);
    const past = new EventPointer(p.stream, p.segment, p.offset + 1_000_000n, p.length);
    await expect(fx.client.fetchEvent(past)).rejects.toMatchObject({ code: 'not-found' });
    const misaligned = new EventPointer(p.stream, p.segment, p.offset + 1n, p.length - 1);
    await expect(fx.client.fetchEvent(misaligned)).rejects.toMatchObject({ code: 'invalid-argument' });
    const otherStream = new EventPointer(`${scope}/${uniqueName('missing')}`, p.segment, p.offset, p.length);
    await expect(fx.client.fetchEvent(otherStream)).rejects.toMatchObject({ code: 'not-found' });
    expect(() => EventPointer.fromString('nonsense')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => EventPointer.fromBytes(new Uint8Array([1, 2, 3]))).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
    expect(values).toHaveLength(3);
  });
});
