/**
 * The reader's async iterator (hand-written, not a generator): calls made before their events
 * arrive are served one at a time and in order, and leaving a loop closes the reader.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('iter');

async function streamOf(values: string[]): Promise<string> {
  const stream = uniqueName('it');
  await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
  const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
  await Promise.all(values.map((v) => writer.write(v, 'one-key')));
  await writer.close();
  return stream;
}

const values = Array.from({ length: 300 }, (_, i) => `v${i}`);

describe('reader iterator', () => {
  it('serves next() calls made all at once in order, each event once, then done', async () => {
    const stream = await streamOf(values);
    const to = (await fx.client.streamInfo(stream)).tail;
    const reader = fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to });
    const it = reader[Symbol.asyncIterator]();
    // All calls are made before the first event can have arrived.
    const results = await Promise.all(Array.from({ length: values.length + 2 }, () => it.next()));
    expect(results.slice(0, values.length).map((r) => r.value?.value)).toEqual(values);
    expect(results.slice(values.length).map((r) => r.done)).toEqual([true, true]);
  });

  it('closes the reader when a loop is left early', async () => {
    const stream = await streamOf(values);
    const reader = fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
    const got: string[] = [];
    for await (const ev of reader) {
      got.push(ev.value);
      if (got.length === 10) break;
    }
    expect(got).toEqual(values.slice(0, 10));
    // Closed: a new iteration of the same reader ends at once, though 290 events were left.
    const after: string[] = [];
    for await (const ev of reader) after.push(ev.value);
    expect(after).toEqual([]);
    // The position is where the loop was left: a new reader from it continues with v10.
    const again = fx.client.reader(stream, { serializer: Serializers.utf8(), from: reader.position() });
    for await (const ev of again) {
      expect(ev.value).toBe('v10');
      break;
    }
  });
});
