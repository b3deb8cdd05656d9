/**
 * Stream cuts interoperate with Java's StreamCut.asText()/StreamCut.from(): a cut Java wrote
 * bounds a Sluice read to exactly the events Java's own bounded reader sees, and a cut Sluice
 * wrote bounds Java's reader the same way. Cuts are compared decoded, never as strings (gzip
 * output differs between implementations).
 */
import { Serializers, StreamCut } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { javaPeer, streamArgs } from './java-peer.js';

const _controller = () => process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';

import { useGateway } from '../../gateway/test/helpers/setup.js';

const fx = useGateway('cuts');

async function write(stream: string, from: number, to: number): Promise<void> {
  const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
  await Promise.all(Array.from({ length: to - from }, (_, k) => writer.write(`e${from + k}`, `k${(from + k) % 13}`)));
  await writer.close();
}

async function sluiceBounded(stream: string, from: StreamCut, to: StreamCut): Promise<string[]> {
  const got: string[] = [];
  for await (const ev of fx.client.reader(stream, { serializer: Serializers.utf8(), from, to })) got.push(ev.value);
  return got.sort();
}

async function javaBounded(stream: string, from: string, to: string): Promise<string[]> {
  const lines = await javaPeer([
    'read-bounded',
    ...streamArgs(fx.scope, stream),
    '--from',
    from,
    '--to',
    to,
    '--idle-ms',
    '2000',
  ]);
  return lines
    .filter((l) => typeof l.payload === 'string')
    .map((l) => l.payload as string)
    .sort();
}

describe('stream cuts with Java', () => {
  it('bound reads identically in both directions', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    await write(stream, 0, 1500);
    const sluiceCut = (await fx.client.streamInfo(stream)).tail; // written by Sluice
    await write(stream, 1500, 3000);
    const java = (await javaPeer(['cut', ...streamArgs(fx.scope, stream)]))[0] as {
      head: string;
      tail: string;
    };
    const javaTail = await StreamCut.fromText(java.tail); // written by Java
    expect(javaTail.equals((await fx.client.streamInfo(stream)).tail)).toBe(true);
    const expected = Array.from({ length: 1500 }, (_, k) => `e${1500 + k}`).sort();

    // Sluice's cut as text → Java; Java's cut as text → Sluice.
    expect(await javaBounded(stream, await sluiceCut.toText(), java.tail)).toEqual(expected);
    expect(await sluiceBounded(stream, await StreamCut.fromText(await sluiceCut.toText()), javaTail)).toEqual(expected);
    // And from Java's head cut to Sluice's: the first half.
    expect(await sluiceBounded(stream, await StreamCut.fromText(java.head), sluiceCut)).toEqual(
      Array.from({ length: 1500 }, (_, k) => `e${k}`).sort(),
    );
  });

  it('rejects a cut for another stream with invalid-argument', async () => {
    const a = uniqueName('a');
    const b = uniqueName('b');
    await fx.client.createStream(a, { scaling: { type: 'fixed', segments: 1 } });
    await fx.client.createStream(b, { scaling: { type: 'fixed', segments: 1 } });
    const cutOfB = (await fx.client.streamInfo(b)).tail;
    const reader = fx.client.reader(a, { serializer: Serializers.utf8(), from: 'head', to: cutOfB });
    await expect(reader[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});
