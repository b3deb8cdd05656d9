/**
 * FrameBuffers: what is reused and what is not, and that a buffer is never handed out twice
 * while out. Then the writer over a real `ws` socket (wsConstructor) to the fake gateway: the
 * same buffers carry many frames, and every payload still arrives intact and in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, Serializers, type SluiceClient, type WebSocketLike, wsConstructor } from '../node/index.js';
import { FrameBuffers } from '../src/transport/frame-buffers.js';
import { FakeGateway } from './fake-gateway.js';
import { useSdkResourceCheck } from './helpers/sdk-resources.js';

const sdk = useSdkResourceCheck();

describe('FrameBuffers', () => {
  it('reuses a released buffer for the next frame of its size class', () => {
    const pool = new FrameBuffers();
    const a = pool.take(100_000);
    expect(a.length).toBe(100_000);
    expect(a.buffer.byteLength).toBe(131_072);
    pool.release(a);
    expect(pool.idleByteCount).toBe(131_072);
    const b = pool.take(70_000); // same class (64 KiB < size ≤ 128 KiB)
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(70_000);
    expect(pool.idleByteCount).toBe(0);
    const c = pool.take(65_536); // the 64 KiB class: a new buffer
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.buffer.byteLength).toBe(65_536);
  });

  it('never hands out a buffer that is out, whatever is released twice or was never taken', () => {
    const pool = new FrameBuffers();
    const a = pool.take(200_000);
    pool.release(a);
    pool.release(a); // a second release of the same frame is ignored
    const b = pool.take(200_000);
    const c = pool.take(200_000);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(b.buffer);
    pool.release(new Uint8Array(262_144)); // not the pool's: ignored
    expect(pool.idleByteCount).toBe(0);
  });

  it('ignores a late release of an earlier frame while its buffer is out again', () => {
    const pool = new FrameBuffers();
    const first = pool.take(100_000);
    pool.release(first);
    const second = pool.take(100_000); // the same buffer, out again
    expect(second.buffer).toBe(first.buffer);
    pool.release(first); // stale: must not free the buffer `second` is in
    expect(pool.take(100_000).buffer).not.toBe(second.buffer);
    pool.release(second);
    expect(pool.idleByteCount).toBe(131_072);
  });

  it('pools neither small nor very large frames, and keeps at most 8 MiB idle', () => {
    const pool = new FrameBuffers();
    const small = pool.take(1_000);
    const large = pool.take(3 * 1024 * 1024);
    pool.release(small);
    pool.release(large);
    expect(pool.idleByteCount).toBe(0);
    const frames = Array.from({ length: 6 }, () => pool.take(2 * 1024 * 1024));
    for (const f of frames) pool.release(f);
    expect(pool.idleByteCount).toBe(8 * 1024 * 1024);
  });

  it('lets buffers of the size in use displace idle ones of another size', () => {
    const pool = new FrameBuffers();
    const large = Array.from({ length: 4 }, () => pool.take(2 * 1024 * 1024));
    for (const f of large) pool.release(f); // 8 MiB idle, all 2 MiB buffers
    const half = Array.from({ length: 3 }, () => pool.take(1024 * 1024));
    for (const f of half) pool.release(f); // two 2 MiB buffers make room for three of 1 MiB
    expect(pool.idleByteCount).toBe(2 * 2 * 1024 * 1024 + 3 * 1024 * 1024);
    const again = pool.take(1024 * 1024);
    expect(half.map((f) => f.buffer)).toContain(again.buffer);
  });
});

describe('the writer with reused frame buffers', () => {
  let gateway: FakeGateway | undefined;
  let client: SluiceClient | undefined;
  afterEach(async () => {
    await client?.close();
    await gateway?.close();
  });

  it('reuses a buffer only after the socket let go of it, every payload intact and in order', async () => {
    gateway = await FakeGateway.start();
    gateway.autoAck = true;
    // wsConstructor's sockets, watched: each frame's buffer and bytes when sent, and whether they
    // are unchanged when the socket lets go of it — which happens a little later here than ws
    // says, so that the writer encodes further frames meanwhile.
    const sentFrom: ArrayBufferLike[] = [];
    const inFlight = new Set<ArrayBufferLike>();
    let takenWhileInFlight = 0;
    let changedInFlight = 0;
    // Its sockets are the file's tracked ones too (the leak check sees them).
    const Base = sdk.track(wsConstructor(WebSocket, { maskFrames: false }));
    const Watched = function WatchedWs(url: string, protocols?: string | string[]) {
      const socket = new Base(url, protocols);
      const sendAndRelease = socket.sendAndRelease!.bind(socket);
      socket.sendAndRelease = (data, released) => {
        if (inFlight.has(data.buffer)) takenWhileInFlight++;
        inFlight.add(data.buffer);
        sentFrom.push(data.buffer);
        const sent = Buffer.from(data);
        sendAndRelease(data, () =>
          setTimeout(() => {
            if (!Buffer.from(data.buffer, data.byteOffset, data.length).equals(sent)) changedInFlight++;
            inFlight.delete(data.buffer);
            released();
          }, 5),
        );
      };
      return socket;
    } as unknown as new (
      url: string,
      protocols?: string | string[],
    ) => WebSocketLike;
    client = await connect({ url: gateway.url, timers: sdk.options.timers, WebSocket: Watched });
    const writer = client.writer('s/t', { serializer: Serializers.bytes(), writerId: 'w-1' });

    // 24 MB of 96 KiB events, each filled with its own index.
    const count = 256;
    const size = 96 * 1024;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < count; i++) writes.push(writer.write(new Uint8Array(size).fill(i & 0xff)));
    await Promise.all(writes);

    const received = gateway.appends.flatMap((a) => a.events.map((e) => e.payload));
    expect(received.length).toBe(count);
    received.forEach((payload, i) => {
      expect(payload.length).toBe(size);
      expect(payload.every((b) => b === (i & 0xff))).toBe(true);
    });
    expect(takenWhileInFlight).toBe(0);
    expect(changedInFlight).toBe(0);
    // Reuse happened: the frames came from far fewer buffers than there were frames.
    expect(sentFrom.length).toBeGreaterThan(20);
    expect(new Set(sentFrom).size).toBeLessThan(sentFrom.length / 2);
  });
});
