/**
 * wsConstructor: the bytes of a client frame as they reach the server's socket — masked with a
 * key by default, with an all-zero key (the payload in the clear) when masking is turned off —
 * and the message the server's `ws` delivers is the same either way; the frames of one turn of the
 * event loop leave in one write, in order.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { type WebSocketLike, wsConstructor } from '@sluice/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

interface Received {
  /** Everything the server's socket read after the upgrade. */
  raw: Buffer;
  /** The message as ws delivered it. */
  message: Buffer;
}

let server: Server | undefined;
let wss: WebSocketServer | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  wss = undefined;
});

/** A ws server that records the raw bytes of the first message and the message itself. */
async function sendOneMessage(maskFrames: boolean | undefined, payload: Uint8Array): Promise<Received> {
  server = createServer();
  wss = new WebSocketServer({ server });
  const received = new Promise<Received>((resolve) => {
    wss!.on('connection', (socket, request) => {
      const chunks: Buffer[] = [];
      // Ahead of ws's own listener (which delivers the message within the same 'data' event), and a
      // copy: ws unmasks the payload in place.
      request.socket.prependListener('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
      socket.on('message', (data) => resolve({ raw: Buffer.concat(chunks), message: data as Buffer }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const Ctor = wsConstructor(WebSocket, maskFrames === undefined ? {} : { maskFrames });
  const client: WebSocketLike = new Ctor(`ws://127.0.0.1:${port}`);
  await new Promise<void>((resolve) => {
    client.onopen = () => resolve();
  });
  client.send(payload);
  const result = await received;
  await new Promise<void>((resolve) => {
    client.onclose = () => resolve();
    client.close();
  });
  return result;
}

/** Splits a short (< 126 bytes) client frame: its mask bit, key and payload as sent. */
function parseShortFrame(raw: Buffer) {
  expect(raw[0]).toBe(0x82); // FIN, binary
  const masked = (raw[1]! & 0x80) !== 0;
  const length = raw[1]! & 0x7f;
  expect(length).toBeLessThan(126);
  return { masked, key: raw.subarray(2, 6), sent: raw.subarray(6, 6 + length) };
}

describe('wsConstructor', () => {
  const payload = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 1) & 0xff);

  it('masks client frames by default, as RFC 6455 asks', async () => {
    const { raw, message } = await sendOneMessage(undefined, payload);
    const frame = parseShortFrame(raw);
    expect(frame.masked).toBe(true);
    expect([...frame.key]).not.toEqual([0, 0, 0, 0]); // a random key (all-zero once in 2^32)
    expect(Buffer.from(frame.sent)).not.toEqual(Buffer.from(payload));
    const unmasked = frame.sent.map((byte, i) => byte ^ frame.key[i % 4]!);
    expect(Buffer.from(unmasked)).toEqual(Buffer.from(payload));
    expect(Buffer.from(message)).toEqual(Buffer.from(payload));
  });

  it('with maskFrames: false sends an all-zero key and the payload as is', async () => {
    const { raw, message } = await sendOneMessage(false, payload);
    const frame = parseShortFrame(raw);
    expect(frame.masked).toBe(true); // the mask bit stays: servers require it
    expect([...frame.key]).toEqual([0, 0, 0, 0]);
    expect(Buffer.from(frame.sent)).toEqual(Buffer.from(payload));
    expect(Buffer.from(message)).toEqual(Buffer.from(payload));
  });

  it('holds the frames of one turn and writes them together at its end, in order', async () => {
    server = createServer();
    wss = new WebSocketServer({ server });
    const messages: string[] = [];
    const allReceived = new Promise<void>((resolve) => {
      wss!.on('connection', (socket) =>
        socket.on('message', (data) => {
          messages.push(String(data));
          if (messages.length === 5) resolve();
        }),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const Ctor = wsConstructor(WebSocket, { maskFrames: false });
    const client: WebSocketLike = new Ctor(`ws://127.0.0.1:${port}`);
    await new Promise<void>((resolve) => {
      client.onopen = () => resolve();
    });
    try {
      const tcp = (client as unknown as { _socket: Writable })._socket;
      for (let i = 0; i < 5; i++) client.send(new TextEncoder().encode(`frame ${i}`));
      // Still in the socket's own buffer: nothing went to the kernel during this turn.
      expect(tcp.writableCorked).toBe(1);
      expect(tcp.writableLength).toBeGreaterThan(0);
      await allReceived;
      expect(messages).toEqual(['frame 0', 'frame 1', 'frame 2', 'frame 3', 'frame 4']);
      expect(tcp.writableCorked).toBe(0);
    } finally {
      await new Promise<void>((resolve) => {
        client.onclose = () => resolve();
        client.close();
      });
    }
  });
});
