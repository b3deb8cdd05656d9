/**
 * The one transport: any W3C-style WebSocket constructor (browsers, Deno, Bun, workers, Node ≥ 22,
 * or `ws` passed in on Node 20). Nothing here sniffs the runtime.
 */
import { SluiceError } from '../errors.js';

/** The part of the W3C WebSocket the SDK uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: Uint8Array): void;
  /**
   * Optional: sends `data` and calls `released` at most once, when the socket no longer reads it
   * (written out, or dropped with the connection), so that the SDK may reuse the buffer
   * (frame-buffers.ts). Not calling it is safe; calling it early is not. Sockets without this
   * method never get a sent buffer back.
   */
  sendAndRelease?(data: Uint8Array, released: () => void): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface SocketEvents {
  onMessage(data: Uint8Array): void;
  onClose(code: number, reason: string): void;
}

export const SUBPROTOCOL = 'sluice.v1';

/** Opens a socket; resolves once open, rejects with 'unavailable' if it cannot. */
export function openSocket(
  Ctor: WebSocketConstructor,
  url: string,
  protocols: string[],
  events: SocketEvents,
): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    let ws: WebSocketLike;
    try {
      ws = new Ctor(url, protocols);
    } catch (err) {
      reject(new SluiceError('invalid-argument', `cannot open ${url}: ${(err as Error).message}`, { cause: err }));
      return;
    }
    ws.binaryType = 'arraybuffer';
    let opened = false;
    ws.onopen = () => {
      opened = true;
      resolve(ws);
    };
    ws.onerror = () => {
      if (!opened) reject(new SluiceError('unavailable', `cannot reach the gateway at ${url}`));
    };
    ws.onclose = (ev) => {
      if (!opened) {
        reject(new SluiceError('unavailable', `the gateway at ${url} closed the connection (${ev.code})`));
        return;
      }
      events.onClose(ev.code, ev.reason);
    };
    ws.onmessage = (ev) => {
      const data = ev.data;
      if (data instanceof ArrayBuffer) events.onMessage(new Uint8Array(data));
      else if (ArrayBuffer.isView(data))
        events.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
  });
}
