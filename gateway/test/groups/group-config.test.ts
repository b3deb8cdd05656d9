/**
 * Reader groups created with a configuration (client.createReaderGroup) against the real
 * standalone: the controller's subscriber record comes and goes with a retention group, typed
 * errors for what Java refuses too, and the group-wide checkpoints of groupCheckpointMs.
 * (Retention itself, which the controller runs every 30 minutes here, is interop/test/retention.test.ts.)
 */
import { Serializers, StreamCut } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../src/controller/controller-client.js';
import { listSubscribers } from '../../src/controller/subscriber-rpc.js';
import { controllerUri } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('groupcfg');
const utf8 = Serializers.utf8();
let controller: ControllerClient;
beforeAll(() => {
  controller = new ControllerClient({ uri: controllerUri() });
});
afterAll(async () => {
  await controller?.close();
});

describe('createReaderGroup', () => {
  it('makes a retention group a subscriber of its streams until it is deleted', async () => {
    const [a, b] = [uniqueName('s'), uniqueName('s')];
    for (const s of [a, b]) await fx.client.createStream(s);
    const group = uniqueName('g');
    expect(await fx.client.createReaderGroup(group, { streams: [a, b], retention: 'manual' })).toBe(true);
    for (const s of [a, b]) expect(await listSubscribers(controller, fx.scope, s)).toEqual([`${fx.scope}/${group}`]);
    // A group without retention is no subscriber.
    const plain = uniqueName('g');
    expect(await fx.client.createReaderGroup(plain, { streams: [a] })).toBe(true);
    expect(await listSubscribers(controller, fx.scope, a)).toEqual([`${fx.scope}/${group}`]);
    await expect(fx.client.updateRetentionStreamCut(plain, [])).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(fx.client.updateRetentionStreamCut(uniqueName('none'), [])).rejects.toMatchObject({
      code: 'not-found',
    });
    const wrong = new StreamCut(`${fx.scope}/${uniqueName('other')}`, new Map([[0n, 0n]]));
    await expect(fx.client.updateRetentionStreamCut(group, [wrong])).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    expect(await fx.client.deleteReaderGroup(group)).toBe(true);
    for (const s of [a, b]) expect(await listSubscribers(controller, fx.scope, s)).toEqual([]);
    expect(await fx.client.deleteReaderGroup(plain)).toBe(true);
  });

  it('refuses an end cut before the start and a retention value it does not know', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream);
    const writer = fx.client.writer(stream, { serializer: utf8 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.write(`e${i}`)));
    await writer.close();
    const head = (await fx.client.streamInfo(stream)).head;
    await expect(
      fx.client.createReaderGroup(uniqueName('g'), { streams: [stream], from: 'tail', to: [head] }),
    ).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(
      fx.client.createReaderGroup(uniqueName('g'), { streams: [stream], retention: 'sometimes' as never }),
    ).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('takes group-wide checkpoints every groupCheckpointMs without being asked', async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writer = fx.client.writer(stream, { serializer: utf8 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer.write(`e${i}`, `k${i % 4}`)));
    await writer.close();
    await fx.client.createReaderGroup(group, { streams: [stream], groupCheckpointMs: 200, groupTimeoutMs: 1_500 });
    const reader = fx.client.reader(stream, { serializer: utf8, group, readerId: 'r', autoCheckpointMs: 600_000 });
    const events = reader[Symbol.asyncIterator]();
    for (let i = 0; i < 20; i++) await events.next();
    const waiting = events.next(); // the reader commits for each checkpoint while it waits
    const tail = (await fx.client.streamInfo(stream)).tail;
    for (let i = 0; ; i++) {
      const cut = (await fx.client.describeReaderGroup(group)).lastCheckpoint?.cuts.get(`${fx.scope}/${stream}`);
      if (cut && [...tail.positions].every(([s, o]) => cut.positions.get(s) === o)) break;
      if (i > 120) throw new Error('no periodic group checkpoint reached the tail');
      await new Promise((r) => setTimeout(r, 250));
    }
    await reader.close();
    expect((await waiting).done).toBe(true);
  });
});
