/**
 * The whole cluster stopped and started again on its data, under one gateway that stays up:
 * everything acknowledged before the stop is read back, the stream takes writes again, and
 * readers resume from their checkpoints exactly once — a reader whose position lives in a
 * checkpoint store (client side) and a group reader whose committed offsets live in Pravega (the
 * group's table segment, which has to survive the restart too). Each read some events past its
 * checkpoint before closing: those come again, nothing before the checkpoint does.
 */
import { checkpointStores, type ReadEvent, Serializers } from '@sluice/sdk';
import { afterAll, describe, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';
import { restartWholeCluster, testCluster } from './helpers/cluster.js';
import { expectExactlyOnceInKeyOrder, readAll, writeKeyed } from './helpers/streams.js';

const cluster = testCluster();
const fixture = useGateway('cluster-restart');

// Whatever happens here, the next test file gets a whole, settled cluster.
afterAll(async () => {
  await cluster.start();
  await cluster.waitForContainers();
});

/** Takes `n` events from a reader's iterator (leaving a `for await` would close the reader). */
async function take(events: AsyncIterator<ReadEvent<string>>, n: number): Promise<string[]> {
  const got: string[] = [];
  while (got.length < n) {
    const next = await events.next();
    if (next.done) throw new Error(`the reader ended after ${got.length} of ${n} events`);
    got.push(next.value.value);
  }
  return got;
}

describe('the whole cluster stopped and started again', () => {
  it('keeps everything acknowledged; readers resume from their checkpoints exactly once', async () => {
    const { client } = fixture;
    const stream = uniqueName('restart');
    const group = uniqueName('g');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    await cluster.waitForContainers();
    const before = await writeKeyed(client, stream, 2_000, 32);

    // Each reader: 700 events, a checkpoint, 300 more that no checkpoint covers, closed.
    const store = checkpointStores.memory();
    const opts = { serializer: Serializers.utf8() };
    const plain = client.reader(stream, { ...opts, from: 'head', checkpoints: store });
    const member = client.reader(stream, { ...opts, group, readerId: 'r1', autoCheckpointMs: 0 });
    const checkpointed: string[][] = [];
    for (const reader of [plain, member]) {
      const events = reader[Symbol.asyncIterator]();
      checkpointed.push(await take(events, 700));
      await reader.checkpoint();
      await take(events, 300);
      await reader.close();
    }

    const { stoppedMs, startedMs } = await restartWholeCluster(cluster);

    // Everything acknowledged before the stop is there, and the stream takes writes again.
    const after = await writeKeyed(client, stream, 500, 32, 2_000);
    const all = [...before, ...after];
    const final = await readAll(client, stream);
    expectExactlyOnceInKeyOrder(all, final);

    // Each reader again, from its checkpoint: everything after it once, nothing before it.
    const resumed = [
      client.reader(stream, { ...opts, from: 'head', checkpoints: store }),
      client.reader(stream, { ...opts, group, readerId: 'r1', autoCheckpointMs: 0 }),
    ];
    const counts: number[] = [];
    for (const [i, reader] of resumed.entries()) {
      const done = new Set(checkpointed[i]);
      const rest = all.filter((v) => !done.has(v));
      const got = await take(reader[Symbol.asyncIterator](), rest.length);
      await reader.close();
      expectExactlyOnceInKeyOrder(rest, got);
      counts.push(got.length);
    }
    console.log(
      `[cluster-restart] stopped in ${stoppedMs} ms, started and settled in ${startedMs} ms; ${final.length} read back; ` +
        `resumed after 700 of ${all.length}: plain reader ${counts[0]}, group reader ${counts[1]}`,
    );
  });
});
