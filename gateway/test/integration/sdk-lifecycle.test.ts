/**
 * The SDK's connection lifecycle against the real gateway and Pravega: a Hello the gateway
 * refuses is a fatal `protocol` error after one attempt; a gateway that shuts down says
 * GoingAway and its clients move at once to wherever their URL now leads, writes intact; an
 * aborted pipeline stops at once and leaves no transaction, reader or timer behind.
 */

import { connect, memoryStore, Serializers, type SluiceClient, type WebSocketConstructor } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSdkResourceCheck } from '../../../sdk/test/helpers/sdk-resources.js';
import type { RunningGateway } from '../../src/server/gateway.js';
import { decodeClientFrame } from '../../src/sessions/frames.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame } from '../helpers/raw-client.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const sdk = useSdkResourceCheck();
const scope = uniqueName('lifecycle');
let gateway: RunningGateway;
let admin: SluiceClient;

beforeAll(async () => {
  gateway = await startTestGateway();
  admin = await connect({ url: gateway.url, scope, ...sdk.options });
  await admin.createScope(scope);
});

afterAll(async () => {
  await admin?.close();
  await gateway?.close();
});

/** The tracked WebSocket, with the Hello's protocol versions replaced: a client from the future that speaks only `version`. */
function withProtocolVersion(version: number): WebSocketConstructor {
  const Base = sdk.options.WebSocket;
  return function FutureClient(url: string, protocols?: string | string[]) {
    const socket = new Base(url, protocols);
    const send = socket.send.bind(socket);
    socket.send = (data: Uint8Array) => {
      const frame = decodeClientFrame(data);
      if (frame.kind.case !== 'hello') return send(data);
      const value = {
        ...frame.kind.value,
        protocolVersion: version,
        minProtocolVersion: version,
        maxProtocolVersion: version,
      };
      send(clientFrame({ kind: { case: 'hello', value } }));
    };
    return socket;
  } as unknown as WebSocketConstructor;
}

describe('a Hello the gateway refuses', () => {
  it('is a fatal protocol error after one attempt, with the gateway’s reason', async () => {
    const before = sdk.sockets.length;
    await expect(
      connect({
        url: gateway.url,
        ...sdk.options,
        WebSocket: withProtocolVersion(99),
        reconnect: { baseMs: 1, maxAttempts: 10 },
      }),
    ).rejects.toMatchObject({ code: 'protocol', message: /protocol version 99 is not supported \(2 is\)/ });
    expect(sdk.sockets.length - before).toBe(1);
  });
});

describe('a gateway that shuts down', () => {
  it('says GoingAway; its clients reconnect at once to where the URL now leads, and no write is lost or doubled', async () => {
    const stream = uniqueName('moving');
    await admin.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const leaving = await startTestGateway();
    const next = await startTestGateway();
    const proxy = new TcpProxy('127.0.0.1', leaving.port);
    await proxy.start();
    const url = proxy.url;
    // A backoff of up to a minute: only the going-away path reconnects without waiting for it.
    const client = await connect({ url, scope, ...sdk.options, reconnect: { baseMs: 60_000, maxMs: 60_000 } });
    try {
      const states: string[] = [];
      client.onStateChange((s) => states.push(s));
      const writer = client.writer(stream, { serializer: Serializers.utf8() });
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) writes.push(writer.write(`before-${i}`, `k${i % 7}`));
      await Promise.all(writes.slice(0, 100));
      const armedBefore = sdk.delays.length;
      proxy.targetPort = next.port; // the URL now leads to the other gateway
      const live = new Promise<void>((resolve) => client.onStateChange((s) => s === 'live' && resolve()));
      await leaving.close();
      await live;
      for (let i = 0; i < 200; i++) writes.push(writer.write(`after-${i}`, `k${i % 7}`));
      await Promise.all(writes);
      await writer.close();
      expect(states).toEqual(['reconnecting', 'live']);
      const timeouts = sdk.delays.slice(armedBefore).filter((d) => d.kind === 'timeout');
      expect(timeouts.map((d) => d.ms)).toContain(0); // reconnected at once…
      expect(timeouts.filter((d) => d.ms > 0 && d.ms !== 10_000 && d.ms !== 2_000)).toEqual([]); // …never after a backoff

      const to = (await admin.streamInfo(stream)).tail;
      const seen: string[] = [];
      for await (const ev of admin.reader(stream, { serializer: Serializers.utf8(), from: 'head', to }))
        seen.push(ev.value);
      expect(seen.sort()).toEqual(
        [
          ...Array.from({ length: 200 }, (_, i) => `before-${i}`),
          ...Array.from({ length: 200 }, (_, i) => `after-${i}`),
        ].sort(),
      );
    } finally {
      await client.close();
      await proxy.stop();
      await next.close();
    }
  });
});

describe('an aborted pipeline', () => {
  it('stops while waiting for an event, aborts its open transaction and closes its reader', async () => {
    const input = uniqueName('in');
    const output = uniqueName('out');
    await admin.createStream(input, { scaling: { type: 'fixed', segments: 1 } });
    await admin.createStream(output, { scaling: { type: 'fixed', segments: 1 } });
    const source = admin.writer(input, { serializer: Serializers.utf8() });
    await Promise.all(['a', 'b', 'c'].map((v) => source.write(v)));
    await source.close();
    const reader = admin.reader(input, { serializer: Serializers.utf8(), from: 'head' });
    const writer = admin.writer<string>(output, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    // Record the transactions the pipeline begins (to ask Pravega about them afterwards).
    const begun: Array<{ txnId: string; status: string }> = [];
    const begin = writer.beginTxn.bind(writer);
    writer.beginTxn = async (options) => {
      const tx = await begin(options);
      begun.push(tx);
      return tx;
    };
    let processed = 0;
    const aborter = new AbortController();
    const job = admin.pipeline({
      from: reader,
      to: writer,
      checkpoints: memoryStore(),
      name: 'aborted',
      checkpointEvery: { events: 1_000, ms: 600_000 },
      process: (ev, emit) => {
        emit(ev.value.toUpperCase());
        processed++;
      },
    });
    const running = job.run(aborter.signal);
    // All three processed, the pipeline waits for a fourth event that never comes: abort it there.
    while (processed < 3) await new Promise((r) => setTimeout(r, 10));
    aborter.abort();
    await running;
    expect(processed).toBe(3);
    expect(begun).toHaveLength(1);
    expect(begun[0]!.status).toBe('aborted');
    expect(['aborting', 'aborted']).toContain(await admin.transactionStatus(output, begun[0]!.txnId));
    // The reader is closed: iterating it ends at once.
    for await (const _ of reader) expect.unreachable();
    expect((await admin.streamInfo(output)).tail.positions.get(0n) ?? 0n).toBe(0n);
  });
});
