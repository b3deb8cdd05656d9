/**
 * What a reader makes of runs a gateway sends that Pravega cannot be made to produce in a test
 * (so a fake gateway serves them): offsets past 2^53, where a JavaScript number is no longer
 * exact (the reader sums offsets as numbers below that), and events of a stream it does not read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, Serializers, type SluiceClient } from '../src/index.js';
import { FakeGateway } from './fake-gateway.js';

let gateway: FakeGateway;
let client: SluiceClient;

afterEach(async () => {
  await client?.close();
  await gateway?.close();
});

const TWO_53 = 2n ** 53n;

describe('reader positions', () => {
  it('move past each event exactly, below, across and above 2^53', async () => {
    gateway = await FakeGateway.start();
    const payloads = [3, 1, 7, 0, 5].map((n) => new Uint8Array(n).fill(n));
    const start = TWO_53 - 20n; // the third event crosses 2^53
    gateway.readerSegment = { segmentId: 4n, offset: start, payloads };
    client = await connect({ url: gateway.url, WebSocket });
    const reader = client.reader('s/t', { serializer: Serializers.bytes() });
    const offsets: bigint[] = [];
    const after: bigint[] = [];
    for await (const ev of reader) {
      offsets.push(ev.offset);
      after.push(ev.position.streams.get('s/t')!.segments.get(4n)!);
      if (offsets.length === payloads.length) break;
    }
    const expected: bigint[] = [];
    let next = start;
    for (const p of payloads) {
      expected.push(next);
      next += BigInt(8 + p.length);
    }
    expect(offsets).toEqual(expected);
    expect(after).toEqual([...expected.slice(1), next]);
    expect(next).toBeGreaterThan(TWO_53);
  });

  it('fails with a protocol error, not wrong events, when the gateway sends events of a stream it does not read', async () => {
    gateway = await FakeGateway.start();
    gateway.readerSegment = { segmentId: 4n, offset: 0n, payloads: [Uint8Array.of(1)], streamIndex: 1 };
    client = await connect({ url: gateway.url, WebSocket });
    const reader = client.reader('s/t', { serializer: Serializers.bytes() });
    const error = await (async () => {
      for await (const _ of reader) return undefined;
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'protocol' });
  });
});
