/**
 * A bounded read whose `to` cut leaves an open segment out reads that segment up to its length
 * when the read started, and keeps that end across a reconnect: events written to the segment
 * afterwards are not read, though the reader reopens (here after its socket was cut) and the
 * gateway would bound the segment at its length then (sdk/src/reader/end-bound.ts).
 */
import { Serializers, type SluiceClient, StreamCut } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server/gateway.js';
import { hashToRange } from '../../src/streams/routing.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let gateway: RunningGateway;
let proxy: TcpProxy;
let direct: SluiceClient;
let proxied: SluiceClient;
const scope = uniqueName('bound');

beforeAll(async () => {
  gateway = await startTestGateway();
  const target = new URL(gateway.url.replace(/^ws/, 'http'));
  proxy = new TcpProxy(target.hostname, Number(target.port));
  await proxy.start();
  direct = await connectSdk(gateway.url, scope);
  await direct.createScope(scope);
  proxied = await connectSdk(gateway.url.replace(`:${target.port}`, `:${proxy.port}`), scope);
});
afterAll(async () => {
  await proxied?.close();
  await direct?.close();
  await proxy?.stop();
  await gateway?.close();
});

/** A routing key whose place in the key space is in [low, high). */
function keyIn(low: number, high: number): string {
  for (let i = 0; ; i++) if (hashToRange(`k${i}`) >= low && hashToRange(`k${i}`) < high) return `k${i}`;
}

describe('a bounded read that leaves an open segment out', () => {
  it('keeps the bound it started with across a reconnect', async () => {
    const stream = uniqueName('s');
    await direct.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const [lowKey, highKey] = [keyIn(0, 0.5), keyIn(0.5, 1)];
    const writer = direct.writer(stream, { serializer: Serializers.utf8() });
    const before: string[] = [];
    for (let i = 0; i < 200; i++) before.push(`low-${i}`, `high-${i}`);
    await Promise.all(before.map((v) => writer.write(v, v.startsWith('low') ? lowKey : highKey)));

    // `to` names only the low segment: the high one, open, is bounded at its length now.
    const info = await direct.streamInfo(stream);
    const low = info.segments.find((s) => s.lowKey === 0)!.segmentId;
    const to = new StreamCut(info.tail.stream, new Map([[low, info.tail.positions.get(low)!]]));
    const reader = proxied.reader(stream, { serializer: Serializers.utf8(), from: 'head', to, creditEvents: 10 });
    const got: string[] = [];
    const it = reader[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) got.push((await it.next()).value.value);

    // Newer events in the left-out segment, then the reader's socket cut: it reopens.
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.write(`later-${i}`, highKey)));
    await writer.close();
    const port = proxy.port;
    await proxy.stop();
    await proxy.start(port);

    for (let r = await it.next(); !r.done; r = await it.next()) got.push(r.value.value);
    await reader.close();
    expect(got.filter((v) => v.startsWith('later'))).toEqual([]);
    expect([...got].sort()).toEqual([...before].sort());
  }, 60_000);
});
