/**
 * Limits that protect a gateway shared by many clients: connection rate per IP and per token
 * subject (429), idle sessions (4002), consumers that stop reading their socket (closed; others
 * keep flowing), channels per socket, in-flight bytes per writer, no compression.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Serializers } from '@sluice/sdk';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame as frame, RawClient } from '../helpers/raw-client.js';
import { connectSdk } from '../helpers/sdk.js';

async function sessions(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^sluice_sessions (\d+)/m.exec(text)?.[1] ?? -1);
}

async function slowConsumersClosed(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^sluice_sessions_closed_by_gateway_total\{reason="slow consumer"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe('limits', () => {
  it('refuses connections over the per-IP rate with 429', async () => {
    const gateway = await startTestGateway(['--connections-per-second-per-ip', '1']);
    try {
      const statuses = await Promise.all(Array.from({ length: 12 }, () => RawClient.status(gateway.url)));
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 101).length).toBeGreaterThan(0);
    } finally {
      await gateway.close();
    }
  });

  it('closes an idle session with 4002', async () => {
    const gateway = await startTestGateway(['--idle-timeout-ms', '1500']);
    try {
      const c = await RawClient.session(gateway.url);
      expect(await c.closed).toBe(4002);
    } finally {
      await gateway.close();
    }
  });

  it('closes a consumer that stopped reading its socket, and only that one', async () => {
    const gateway = await startTestGateway(['--send-high-water-bytes', '65536', '--slow-consumer-ms', '1000']);
    try {
      const scope = uniqueName('slow');
      const good = await connectSdk(gateway.url, scope);
      await good.createScope(scope);
      await good.createStream('s', { scaling: { type: 'fixed', segments: 1 } });
      const writer = good.writer('s', { serializer: Serializers.bytes() });
      // More than the kernel's loopback buffers hold, so the gateway's own send buffer must fill.
      await Promise.all(Array.from({ length: 3_000 }, () => writer.write(new Uint8Array(10_000))));
      const slow = await RawClient.session(gateway.url);
      slow.send(
        frame({
          kind: {
            case: 'openReader',
            value: {
              channel: 1,
              streams: [`${scope}/s`],
              start: { case: 'head', value: true },
              initialCreditEvents: 100_000,
              initialCreditBytes: 100_000_000,
            },
          },
        }),
      );
      slow.stopReading();
      while ((await slowConsumersClosed(gateway.port)) === 0) await new Promise((r) => setTimeout(r, 200));
      expect(await sessions(gateway.port)).toBe(1);
      expect(await good.createScope(scope)).toBe(false); // the well-behaved session is untouched
      slow.terminate();
      await good.close();
    } finally {
      await gateway.close();
    }
  });

  it('refuses connections over the per-subject rate with 429, from any address, and only that subject', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-limits-'));
    const secret = 'a-secret-for-the-per-subject-limit-test-0123456789';
    writeFileSync(join(dir, 'secret'), secret);
    const gateway = await startTestGateway([
      '--auth-secret-file',
      join(dir, 'secret'),
      '--connections-per-second-per-ip',
      '0',
      '--connections-per-second-per-subject',
      '1',
    ]);
    const tokenOf = (sub: string) =>
      new SignJWT({ grants: ['*/*:read'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setAudience('sluice')
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret));
    const open = (token: string) => RawClient.status(gateway.url, { headers: { authorization: `Bearer ${token}` } });
    try {
      const noisy = await tokenOf('noisy');
      const statuses = await Promise.all(Array.from({ length: 12 }, () => open(noisy)));
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 101).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 429 || s === 101)).toBe(true);
      // Another subject on the same address is unaffected.
      expect(await open(await tokenOf('quiet'))).toBe(101);
    } finally {
      await gateway.close();
    }
  });

  it('refuses a channel past --max-channels with resource-exhausted and keeps the socket', async () => {
    const gateway = await startTestGateway(['--max-channels', '2']);
    try {
      const scope = uniqueName('chan');
      const admin = await connectSdk(gateway.url, scope);
      await admin.createScope(scope);
      await admin.createStream('s', { scaling: { type: 'fixed', segments: 1 } });
      const c = await RawClient.session(gateway.url);
      for (const channel of [1, 2, 3]) {
        c.send(
          frame({
            kind: {
              case: 'openReader',
              value: { channel, streams: [`${scope}/s`], start: { case: 'tail', value: true } },
            },
          }),
        );
      }
      const closed = await c.until((f) => f.kind.case === 'channelClosed');
      expect(closed.kind.value).toMatchObject({ channel: 3, error: { code: 'resource-exhausted' } });
      await c.ping(7n);
      expect(c.closeCode).toBeUndefined();
      c.terminate();
      await admin.close();
    } finally {
      await gateway.close();
    }
  });

  it('closes a writer channel that ignores --max-inflight-bytes with resource-exhausted, not the socket', async () => {
    const gateway = await startTestGateway(['--max-inflight-bytes', String(256 * 1024)]);
    try {
      const scope = uniqueName('inflight');
      const admin = await connectSdk(gateway.url, scope);
      await admin.createScope(scope);
      await admin.createStream('s', { scaling: { type: 'fixed', segments: 1 } });
      const c = await RawClient.session(gateway.url);
      c.send(frame({ kind: { case: 'openWriter', value: { channel: 1, stream: `${scope}/s`, writerId: 'greedy' } } }));
      // 4 MiB in one burst, right behind the open: 8× the limit, never waiting for an ack.
      for (let i = 0; i < 16; i++) {
        const events = Array.from({ length: 8 }, () => ({ payload: new Uint8Array(32 * 1024) }));
        c.send(frame({ kind: { case: 'append', value: { channel: 1, firstSequence: BigInt(i * 8 + 1), events } } }));
      }
      const closed = await c.until((f) => f.kind.case === 'channelClosed');
      expect(closed.kind.value).toMatchObject({ channel: 1, error: { code: 'resource-exhausted' } });
      await c.ping(1n);
      expect(c.closeCode).toBeUndefined();
      c.terminate();
      await admin.close();
    } finally {
      await gateway.close();
    }
  });

  it('closes a writer channel whose sequence numbers reach 2^53 with invalid-argument; nothing of it is stored', async () => {
    const gateway = await startTestGateway();
    try {
      const scope = uniqueName('seq');
      const admin = await connectSdk(gateway.url, scope);
      await admin.createScope(scope);
      await admin.createStream('s', { scaling: { type: 'fixed', segments: 1 } });
      const c = await RawClient.session(gateway.url);
      c.send(frame({ kind: { case: 'openWriter', value: { channel: 1, stream: `${scope}/s`, writerId: 'huge' } } }));
      await c.until((f) => f.kind.case === 'writerOpened');
      const events = [{ payload: new Uint8Array([1]) }, { payload: new Uint8Array([2]) }];
      // 2^53 - 1 and 2^53: the second is not exact as a number.
      c.send(frame({ kind: { case: 'append', value: { channel: 1, firstSequence: 2n ** 53n - 1n, events } } }));
      const closed = await c.until((f) => f.kind.case === 'channelClosed');
      expect(closed.kind.value).toMatchObject({ channel: 1, error: { code: 'invalid-argument' } });
      await c.ping(1n);
      expect(c.closeCode).toBeUndefined();
      c.terminate();
      const info = await admin.streamInfo('s');
      expect([...info.tail.positions.values()]).toEqual([0n]);
      await admin.close();
    } finally {
      await gateway.close();
    }
  });

  it('negotiates no permessage-deflate even when the client offers it', async () => {
    const gateway = await startTestGateway();
    try {
      const c = await RawClient.open(gateway.url, { perMessageDeflate: true });
      if (typeof c === 'number') throw new Error(`refused: ${c}`);
      expect(c.ws.extensions).toBe('');
      c.terminate();
    } finally {
      await gateway.close();
    }
  });
});
