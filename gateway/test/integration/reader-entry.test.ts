/**
 * `@sluice/sdk/reader` against the real gateway and Pravega standalone: the full client of
 * `@sluice/sdk` writes, and the reader entry's client (no writing half) reads exactly that back —
 * a batch read, a tailing reader stopped at a cut, and a reader resumed from a saved position —
 * in order per key.
 */
import { Serializers as FullSerializers, type SluiceClient, wsConstructor } from '@sluice/sdk';
import { connect, type ReadEvent, type ReaderClient, Serializers } from '@sluice/sdk/reader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningGateway } from '../../src/server/gateway.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';

let gateway: RunningGateway;
let readerClient: ReaderClient;
let fullClient: SluiceClient;
const scope = uniqueName('rentry');

beforeAll(async () => {
  gateway = await startTestGateway();
  fullClient = await connectSdk(gateway.url, scope);
  readerClient = await connect({ url: gateway.url, scope, WebSocket: wsConstructor(WebSocket) });
});

afterAll(async () => {
  await readerClient?.close();
  await fullClient?.close();
  await gateway?.close();
});

const keyOf = (v: string) => v.slice(0, 1);
function expectSameInOrderPerKey(got: string[], sent: string[]) {
  expect([...got].sort()).toEqual([...sent].sort());
  for (const key of ['a', 'b'])
    expect(got.filter((v) => keyOf(v) === key)).toEqual(sent.filter((v) => keyOf(v) === key));
}

describe('@sluice/sdk/reader', () => {
  it('has a client without writers that reads what the full client wrote', async () => {
    expect('writer' in readerClient).toBe(false);
    expect('pipeline' in readerClient).toBe(false);
    await fullClient.createScope(scope);
    const stream = uniqueName('s');
    // Admin calls come with the core.
    expect(await readerClient.createStream(stream, { scaling: { type: 'fixed', segments: 2 } })).toBe(true);
    const writer = fullClient.writer(stream, { serializer: FullSerializers.utf8() });
    const sent = Array.from({ length: 20 }, (_, i) => `${i % 2 === 0 ? 'a' : 'b'}-${i}`);
    for (const value of sent) await writer.write(value, keyOf(value));
    await writer.close();

    const tail = (await readerClient.streamInfo(stream)).tail;
    const batch: string[] = [];
    for await (const ev of readerClient.readBatch(stream, { to: tail, serializer: Serializers.utf8() }))
      batch.push(ev.value);
    expectSameInOrderPerKey(batch, sent);

    // A reader up to the tail cut, then one resumed from the position after its tenth event.
    const reader = readerClient.reader(stream, { serializer: Serializers.utf8(), to: tail });
    const first: string[] = [];
    let tenth: ReadEvent<string> | undefined;
    for await (const ev of reader) {
      first.push(ev.value);
      if (first.length === 10) tenth = ev;
    }
    await reader.close();
    expectSameInOrderPerKey(first, sent);
    expect(tenth).toBeDefined();
    const rest: string[] = [];
    const resumed = readerClient.reader(stream, { serializer: Serializers.utf8(), from: tenth!.position, to: tail });
    for await (const ev of resumed) rest.push(ev.value);
    await resumed.close();
    expect([...first.slice(0, 10), ...rest].sort()).toEqual([...sent].sort());
  });
});
