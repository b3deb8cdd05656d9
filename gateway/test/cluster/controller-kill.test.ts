/**
 * A controller SIGKILLed on the real cluster: the gateway, given both controllers in its URI,
 * keeps serving — admin calls (create, describe), new writers and readers — through the other
 * one, /readyz stays ready, and writes in flight lose and duplicate nothing.
 */
import { Serializers } from '@sluice/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';
import { testCluster } from './helpers/cluster.js';
import { expectExactlyOnceInKeyOrder, readFromHead, writeKeyed } from './helpers/streams.js';

const cluster = testCluster();
const fixture = useGateway('controller-kill');
const victim = 'controller-1';

// Whatever happens here, the next test file gets a whole, settled cluster.
afterAll(async () => {
  if (!cluster.isAlive(victim)) await cluster.start(victim);
  await cluster.waitReady();
});

async function readyz(): Promise<{ status: number; body: { ready: boolean; controller: boolean } }> {
  const res = await fetch(`http://127.0.0.1:${fixture.gateway.port}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; controller: boolean } };
}

describe('a controller SIGKILLed', () => {
  it('leaves the gateway serving through the other controller', async () => {
    const { client } = fixture;
    expect(cluster.controllerUri.split(',')).toHaveLength(2);
    const before = uniqueName('before');
    await client.createStream(before, { scaling: { type: 'fixed', segments: 4 } });

    // Writes in flight while the controller dies.
    const writer = client.writer(before, { serializer: Serializers.utf8() });
    const sent: string[] = [];
    const acks: Promise<void>[] = [];
    const writeSome = (n: number) => {
      for (let i = 0; i < n; i++) {
        const key = `key-${sent.length % 16}`;
        const value = `${key}|${sent.length}`;
        sent.push(value);
        acks.push(writer.write(value, key));
      }
    };
    writeSome(500);
    expect(await cluster.kill(victim)).toBe(true);
    writeSome(500);

    // Admin calls go round to the live controller: a fresh stream reports "created".
    const after = uniqueName('after');
    expect(await client.createStream(after, { scaling: { type: 'fixed', segments: 3 } })).toBe(true);
    expect((await client.streamInfo(after)).segments).toHaveLength(3);
    expect(await readyz()).toMatchObject({ status: 200, body: { ready: true, controller: true } });

    await Promise.all(acks);
    await writer.close();
    expectExactlyOnceInKeyOrder(sent, await readFromHead(client, before, sent.length));
    // New writers and readers (segments, endpoints and tokens from the controller) work too.
    const more = await writeKeyed(client, after, 300, 6);
    expectExactlyOnceInKeyOrder(more, await readFromHead(client, after, more.length));
  });
});
