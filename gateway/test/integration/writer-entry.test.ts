/**
 * `@sluice/sdk/writer` against the real gateway and Pravega standalone: its client (no reading
 * half) makes admin calls, writes and commits a transaction, and the full client of
 * `@sluice/sdk` reads back exactly what was written, in order per key.
 */
import { Serializers as FullSerializers, type SluiceClient, wsConstructor } from '@sluice/sdk';
import { connect, Serializers, type WriterClient } from '@sluice/sdk/writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningGateway } from '../../src/server/gateway.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';

let gateway: RunningGateway;
let writerClient: WriterClient;
let fullClient: SluiceClient;
const scope = uniqueName('wentry');

beforeAll(async () => {
  gateway = await startTestGateway();
  writerClient = await connect({ url: gateway.url, scope, WebSocket: wsConstructor(WebSocket) });
  fullClient = await connectSdk(gateway.url, scope);
});

afterAll(async () => {
  await writerClient?.close();
  await fullClient?.close();
  await gateway?.close();
});

describe('@sluice/sdk/writer', () => {
  it('has a client without readers that writes what the full client reads', async () => {
    expect('reader' in writerClient).toBe(false);
    expect(await writerClient.createScope(scope)).toBe(true);
    const stream = uniqueName('s');
    expect(
      await writerClient.createStream(stream, {
        scaling: { type: 'fixed', segments: 2 },
        retention: { type: 'time', ms: 3_600_000 },
      }),
    ).toBe(true);
    const writer = writerClient.writer(stream, { serializer: Serializers.utf8() });
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const value = `${i % 2 === 0 ? 'a' : 'b'}-${i}`;
      sent.push(value);
      await writer.write(value, value.slice(0, 1));
    }
    const txWriter = writerClient.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    const tx = await txWriter.beginTxn();
    await tx.write('t-20', 'a');
    await tx.commit();
    sent.push('t-20');
    await writer.close();
    await txWriter.close();

    const info = await writerClient.streamInfo(stream);
    const got: string[] = [];
    for await (const ev of fullClient.readBatch(stream, { to: info.tail, serializer: FullSerializers.utf8() })) {
      got.push(ev.value);
    }
    expect([...got].sort()).toEqual([...sent].sort());
    // Within a key, in the order written.
    for (const key of ['a', 'b']) {
      const mine = (v: string) => (v.startsWith('t') ? 'a' : v.slice(0, 1)) === key;
      expect(got.filter(mine)).toEqual(sent.filter(mine));
    }
  });
});
