/**
 * A raw `ws` client of the gateway protocol for tests that must misbehave where the SDK cannot:
 * send any frame or bytes, stop reading its socket, and see every server frame and the close code.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema, type ServerFrame, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import WebSocket from 'ws';

type Init = Parameters<typeof create<typeof ClientFrameSchema>>[1];

/** Encodes one client frame from a plain init object. */
export const clientFrame = (init: Init): Uint8Array => toBinary(ClientFrameSchema, create(ClientFrameSchema, init));

export const HELLO = clientFrame({ kind: { case: 'hello', value: { protocolVersion: 2, clientName: 'raw test' } } });

export class RawClient {
  readonly frames: ServerFrame[] = [];
  /** The close code, once the socket closed (1006 when it was dropped without one). */
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
    ws.on('error', () => {}); // the close event carries what matters
    ws.on('message', (data: Buffer) => {
      try {
        this.frames.push(fromBinary(ServerFrameSchema, data));
      } catch {
        // a server frame that does not decode fails the waiting test through its predicate
      }
      this.wake();
    });
  }

  /** Opens a socket; resolves with the HTTP status when the upgrade is refused. */
  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient | number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, 'sluice.v1', options);
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('error', () => resolve(0));
    });
  }

  /** Opens a socket and says Hello; throws when the upgrade is refused. */
  static async session(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
    const c = await RawClient.open(url, options);
    if (typeof c === 'number') throw new Error(`upgrade refused: ${c}`);
    c.send(HELLO);
    await c.until((f) => f.kind.case === 'welcome');
    return c;
  }

  /** The upgrade's outcome only: 101, or the HTTP status it was refused with (0: no answer). */
  static async status(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
    const c = await RawClient.open(url, options);
    if (typeof c === 'number') return c;
    c.terminate();
    return 101;
  }

  /** Pings and waits for the matching Pong: the socket is open and the gateway still answers. */
  async ping(nonce: bigint): Promise<void> {
    this.send(clientFrame({ kind: { case: 'ping', value: { nonce } } }));
    await this.until((f) => f.kind.case === 'pong' && f.kind.value.nonce === nonce);
  }

  send(bytes: Uint8Array | string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  /** Stops reading the socket: the gateway's send buffer for it fills up. */
  stopReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  /** Resolves with the first frame (already received or later) that matches; rejects on close. */
  async until(match: (f: ServerFrame) => boolean): Promise<ServerFrame> {
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) before the frame arrived`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  terminate(): void {
    this.ws.terminate();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
