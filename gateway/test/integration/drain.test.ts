/**
 * Graceful drain against the real gateway CLI (a child process) and Pravega: SIGTERM turns
 * /readyz 503 and refuses new sessions at once; a session's work in flight holds the drain (up to
 * --drain-timeout-ms), then its client is told GoingAway and the process exits 0. Clients writing
 * through the drain move to another gateway with every write and a transaction's commit intact:
 * nothing lost, nothing twice, no error to the application.
 */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server/gateway.js';
import { freePort, GatewayProcess } from '../helpers/gateway-process.js';
import { controllerUri, startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame, RawClient } from '../helpers/raw-client.js';
import { connectSdk } from '../helpers/sdk.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const scope = uniqueName('drain');
let other: RunningGateway;
let admin: SluiceClient;

beforeAll(async () => {
  other = await startTestGateway();
  admin = await connectSdk(other.url, scope);
  await admin.createScope(scope);
});

afterAll(async () => {
  await admin?.close();
  await other?.close();
});

async function startDraining(extra: string[] = []): Promise<GatewayProcess> {
  const adminPort = await freePort();
  return GatewayProcess.start([
    '--controller',
    controllerUri(),
    '--scope',
    scope,
    '--admin-port',
    String(adminPort),
    ...extra,
  ]);
}

async function readyz(gw: GatewayProcess): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return undefined; // exited
  }
}

async function readAll(stream: string): Promise<string[]> {
  const to = (await admin.streamInfo(stream)).tail;
  const seen: string[] = [];
  for await (const ev of admin.reader(stream, { serializer: Serializers.utf8(), from: 'head', to }))
    seen.push(ev.value);
  return seen;
}

describe('SIGTERM', () => {
  it('turns /readyz 503 and refuses new sessions at once; unfinished work holds the drain until the timeout; exit 0', async () => {
    const stream = uniqueName('held');
    await admin.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    const gw = await startDraining(['--drain-timeout-ms', '3000']);
    try {
      expect((await readyz(gw))?.status).toBe(200);
      // A writer that began an event in parts and never sends the rest: work in flight.
      const raw = await RawClient.session(gw.url);
      raw.send(clientFrame({ kind: { case: 'openWriter', value: { channel: 1, stream, writerId: uniqueName('w') } } }));
      await raw.until((f) => f.kind.case === 'writerOpened');
      raw.send(
        clientFrame({
          kind: {
            case: 'appendPart',
            value: { channel: 1, sequence: 1n, totalBytes: 4096, offset: 0, data: new Uint8Array(1024) },
          },
        }),
      );
      await raw.ping(7n); // the part was taken
      gw.terminate();
      let seen: { status: number; body: Record<string, unknown> } | undefined;
      for (let i = 0; i < 200 && seen?.status !== 503; i++) seen = await readyz(gw);
      expect(seen).toMatchObject({ status: 503, body: { ready: false, draining: true } });
      expect(await RawClient.status(gw.url)).toBe(503);
      // Still connected while its part is in flight; told GoingAway at the timeout.
      expect(raw.closeCode).toBeUndefined();
      expect(await raw.closed).toBe(1001);
      expect(raw.frames.some((f) => f.kind.case === 'goingAway')).toBe(true);
      await gw.exited(); // no second SIGTERM: that one would cut the drain short (exit 1)
      expect(gw.exitCode).toBe(0);
    } finally {
      await gw.stop();
    }
  });

  it('mid-write: writes in flight and a commit move to another gateway; every acknowledged write is there once', async () => {
    const stream = uniqueName('moving');
    await admin.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    const gw = await startDraining();
    const proxy = new TcpProxy('127.0.0.1', gw.port);
    await proxy.start();
    const url = proxy.url;
    const client = await connectSdk(url, scope);
    try {
      const states: string[] = [];
      client.onStateChange((s) => states.push(s));
      const writer = client.writer(stream, { serializer: Serializers.utf8() });
      const txWriter = client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
      const tx = await txWriter.beginTxn();
      await Promise.all(Array.from({ length: 50 }, (_, i) => tx.write(`tx-${i}`, `k${i % 5}`)));

      const total = 6_000;
      let acked = 0;
      let sent = 0;
      let terminated = false;
      const writes: Promise<void>[] = [];
      const outstanding = new Set<Promise<void>>();
      // Up to 500 writes outstanding: SIGTERM lands with many of them in flight. They resolve in
      // any order (each as its own segment acknowledges it), so wait for any, not for the oldest.
      while (sent < total) {
        while (outstanding.size < 500 && sent < total) {
          const i = sent++;
          const write = writer.write(`w-${i}`, `k${i % 11}`).then(() => void acked++);
          const forget = () => void outstanding.delete(write);
          write.then(forget, forget);
          outstanding.add(write);
          writes.push(write);
        }
        await Promise.race(outstanding);
        if (!terminated && acked >= total / 3) {
          terminated = true;
          proxy.targetPort = other.port; // the URL now leads to the other gateway
          gw.terminate();
        }
      }
      const commit = tx.commit(); // sent while the first gateway may still be draining
      await Promise.all(writes);
      await commit;
      await txWriter.close();
      await writer.close();
      await gw.exited();
      expect(gw.exitCode).toBe(0);
      expect(states).toContain('reconnecting');
      expect(states.at(-1)).toBe('live');

      const seen = await readAll(stream);
      const expected = [
        ...Array.from({ length: total }, (_, i) => `w-${i}`),
        ...Array.from({ length: 50 }, (_, i) => `tx-${i}`),
      ];
      expect(seen.length).toBe(expected.length);
      expect(seen.sort()).toEqual(expected.sort());
      console.log(
        `[drain] ${total} writes through a SIGTERM: reconnects ${states.filter((s) => s === 'reconnecting').length}, proxy connections ${proxy.connections}`,
      );
    } finally {
      await client.close();
      await proxy.stop();
      await gw.stop();
    }
  });
});
