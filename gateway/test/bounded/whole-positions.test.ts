/**
 * Positions that stay whole under a `to` bound: a segment that reached its bound stays in
 * `ev.position`, `reader.position()` and checkpoints at its bound offset, so a reader resumed from
 * such a checkpoint with a later `to` reads exactly what was written after (issue 25, item 1).
 */
import { checkpointStores, Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('whole');

async function write(stream: string, from: number, to: number): Promise<void> {
  const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
  await Promise.all(Array.from({ length: to - from }, (_, k) => writer.write(`e${from + k}`, `k${from + k}`)));
  await writer.close();
}

describe('bounded readers keep whole positions', () => {
  it('a checkpoint taken at the bound resumes with a later bound and reads what came after', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    await write(stream, 0, 20);
    const tail1 = (await fx.client.streamInfo(stream)).tail;
    const store = checkpointStores.memory();

    const first = fx.client.reader(stream, {
      serializer: Serializers.utf8(),
      from: 'head',
      to: tail1,
      checkpoints: store,
    });
    const seen: string[] = [];
    let lastPosition: ReturnType<typeof first.position> | undefined;
    for await (const ev of first) {
      seen.push(ev.value);
      lastPosition = ev.position;
    }
    expect(seen.sort()).toEqual(Array.from({ length: 20 }, (_, k) => `e${k}`).sort());
    // Every segment stays, at its bound offset, in the reader's position and the checkpoint.
    const whole = new Map([...tail1.positions]);
    expect(first.position().cutOf(`${fx.scope}/${stream}`).positions).toEqual(whole);
    await first.checkpoint();
    const saved = await store.load(first.streams.join(','));
    expect(saved?.position).toMatchObject({
      streams: [{ segments: expect.arrayContaining([...whole].map(([id, off]) => [String(id), String(off)])) }],
    });
    expect(lastPosition!.streams.get(`${fx.scope}/${stream}`)!.segments.size).toBe(2);
    await first.close();

    await write(stream, 20, 40);
    const tail2 = (await fx.client.streamInfo(stream)).tail;
    const resumed = fx.client.reader(stream, { serializer: Serializers.utf8(), to: tail2, checkpoints: store });
    const after: string[] = [];
    for await (const ev of resumed) after.push(ev.value);
    expect(after.sort()).toEqual(Array.from({ length: 20 }, (_, k) => `e${20 + k}`).sort());
  });
});
