/**
 * `sendParts`' `onWritten` runs only once the socket no longer needs the parts: the appender keeps
 * pooled client messages from reuse until then (segmentstore/appender.ts). A stand-in segment store
 * that answers Hello and then stops reading: the one fault a real store cannot be made to produce.
 */
import { createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentStoreConnection } from '../../src/segmentstore/connection.js';
import { encodeCommand, OLDEST_COMPATIBLE_VERSION, WIRE_VERSION } from '../../src/wire/index.js';

const MiB = 1024 * 1024;
/** Far more than loopback's kernel buffers can hold (a few MiB each way). */
const TOTAL = 64 * MiB;

interface StalledStore {
  server: Server;
  port: number;
  /** The gateway's socket, paused until `resume()`. */
  peer: Promise<Socket>;
  received: () => number;
}

async function stalledStore(): Promise<StalledStore> {
  let received = 0;
  let onPeer: (s: Socket) => void = () => {};
  const peer = new Promise<Socket>((r) => {
    onPeer = r;
  });
  const server = createServer((socket) => {
    socket.once('data', () => {
      // The client's Hello: answer it, then read nothing until the test resumes.
      socket.pause();
      socket.write(encodeCommand({ type: 'Hello', highVersion: WIRE_VERSION, lowVersion: OLDEST_COMPATIBLE_VERSION }));
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      onPeer(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { server, port, peer, received: () => received };
}

const servers: StalledStore[] = [];
const connections: SegmentStoreConnection[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  for (const s of servers.splice(0)) {
    (await s.peer).destroy();
    await new Promise((r) => s.server.close(r));
  }
});

/**
 * A connection to a store that stopped reading, with 64 MiB sent on it; `written()` tells whether
 * `onWritten` has run. Resolves once the send was made and one turn of the event loop has passed.
 */
async function sendToStalledStore() {
  const store = await stalledStore();
  servers.push(store);
  const conn = new SegmentStoreConnection({ host: '127.0.0.1', port: store.port, logger: pino({ level: 'silent' }) });
  connections.push(conn);
  await conn.whenReady();
  const peer = await store.peer;
  let written = false;
  const parts = Array.from({ length: TOTAL / MiB }, () => new Uint8Array(MiB));
  conn.sendParts(parts, () => {
    written = true;
  });
  await new Promise((r) => setImmediate(r));
  return { store, conn, peer, written: () => written };
}

describe('SegmentStoreConnection.sendParts', () => {
  it('calls onWritten only after the socket wrote every part', async () => {
    const { store, conn, peer, written } = await sendToStalledStore();
    // Nothing was read, so most of the 64 MiB still waits in the socket: not written yet.
    expect(written()).toBe(false);
    peer.resume();
    await expect.poll(written, { timeout: 30_000 }).toBe(true);
    // The last part was handed to the kernel; all but what loopback buffers hold has arrived.
    expect(store.received()).toBeGreaterThan(TOTAL - 32 * MiB);
    conn.close();
  });

  it('calls onWritten when the connection closes with the parts still queued', async () => {
    const { store, conn, written } = await sendToStalledStore();
    expect(written()).toBe(false);
    conn.close();
    await expect.poll(written, { timeout: 30_000 }).toBe(true);
    expect(store.received()).toBe(0);
  });
});
