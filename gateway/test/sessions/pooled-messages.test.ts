/**
 * Large messages received into pooled buffers (src/sessions/pooled-messages.ts), over a real
 * `ws` server and client on loopback: every message arrives exactly as sent, one that spans socket
 * reads (at most 64 KiB each) gets a pooled buffer and its lease, and a buffer whose lease is held
 * is never reused, so a kept message is never overwritten by a later one.
 */
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer, WebSocket as WsClient } from 'ws';
import { type BufferLease, LeasedBuffers } from '../../src/leased-buffers.js';
import { poolMessages } from '../../src/sessions/pooled-messages.js';

const KiB = 1024;
const POOLED_BYTES = 256 * KiB;

/** Message i of `size` bytes: its number, then bytes derived from it. */
function message(i: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let j = 0; j < size; j++) bytes[j] = (i * 31 + j * 7) & 0xff;
  if (size >= 4) bytes.writeUInt32BE(i, 0);
  return bytes;
}

interface Received {
  readonly data: Buffer;
  readonly lease: BufferLease | undefined;
  /** Whether the message was the one sent when it arrived. */
  readonly intact: boolean;
}

/** Sends `sizes` from a client, in order; resolves with what the server got, leases kept. */
async function exchange(buffers: LeasedBuffers, sizes: number[], keep: boolean[]): Promise<Received[]> {
  const server = new WebSocketServer({ port: 0, perMessageDeflate: false, maxPayload: POOLED_BYTES });
  const received: Received[] = [];
  let pooledHere = false;
  const done = new Promise<void>((resolve) => {
    server.on('connection', (ws: WebSocket) => {
      pooledHere = poolMessages(ws, buffers);
      ws.on('message', (data: Buffer) => {
        const lease = buffers.leaseOf(data);
        const i = received.length;
        received.push({ data, lease, intact: data.equals(message(i, sizes[i]!)) });
        // What is not kept is let go at once, so its buffer can serve the next message.
        if (!keep[i]) lease?.release();
        if (received.length === sizes.length) resolve();
      });
    });
  });
  await new Promise<void>((r) => server.on('listening', () => r()));
  const client = new WsClient(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise<void>((r) => client.on('open', () => r()));
  for (const [i, size] of sizes.entries()) client.send(message(i, size));
  await done;
  client.close();
  await new Promise<void>((r) => server.close(() => r()));
  expect(pooledHere).toBe(true);
  return received;
}

describe('pooled messages', () => {
  it('delivers every message as sent; a kept one stays intact while released buffers are reused', async () => {
    const size = fc.oneof(
      fc.integer({ min: 0, max: 64 * KiB }),
      fc.integer({ min: POOLED_BYTES / 2 + 1, max: POOLED_BYTES }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(size, fc.boolean()), { minLength: 1, maxLength: 24 }), async (plan) => {
        const buffers = new LeasedBuffers(POOLED_BYTES, 4);
        const sizes = plan.map(([s]) => s);
        const keep = plan.map(([, k]) => k);
        const received = await exchange(buffers, sizes, keep);
        let released = 0;
        received.forEach(({ data, lease, intact }, i) => {
          // Kept or not, what arrived was the message sent; a kept one still is, after the rest.
          expect(intact).toBe(true);
          if (keep[i]) expect(data.equals(message(i, sizes[i]!))).toBe(true);
          // Above half the pooled size a message spans reads: it is pooled, with its lease.
          expect(lease !== undefined).toBe(sizes[i]! > POOLED_BYTES / 2);
          if (lease && !keep[i]) released++;
        });
        // A released buffer serves the next pooled message.
        const pooledAfterRelease = received.some(
          ({ lease }, i) => lease && received.slice(0, i).some((r, j) => r.lease && !keep[j]),
        );
        if (released > 0 && pooledAfterRelease) expect(buffers.reused).toBeGreaterThan(0);
        for (const { lease } of received) lease?.release();
      }),
      { numRuns: 25 },
    );
  });

  it('leaves a message within one socket read as ws delivers it, unpooled', async () => {
    const buffers = new LeasedBuffers(POOLED_BYTES, 4);
    const received = await exchange(buffers, [1_000, 40 * KiB], [false, false]);
    expect(received.map((r) => r.lease)).toEqual([undefined, undefined]);
    expect(received.map((r) => r.intact)).toEqual([true, true]);
  });
});
