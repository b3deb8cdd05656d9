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
  /** The upgrade succeeded: frames may be sent. */
  onOpen(): void;
  /**
   * The socket never opened: the gateway is unreachable or refused the upgrade. (A browser cannot
   * tell which: it sees neither the HTTP status nor a reason.)
   */
  onOpenFailed(error: SluiceError): void;
  onMessage(data: Uint8Array): void;
  /** The open socket closed (by either side), with the close frame's code and reason. */
  onClose(code: number, reason: string): void;
  /** The socket is closed, whatever happened before (called last, exactly once). */
  onGone(): void;
}

export const SUBPROTOCOL = 'sluice.v1';

/** WebSocket.CLOSED */
export const CLOSED = 3;

/**
 * Creates a socket and reports what becomes of it; each of onOpen/onOpenFailed at most once,
 * onClose only after onOpen. Throws `invalid-argument` if the constructor refuses the URL.
 */
export function createSocket(
  Ctor: WebSocketConstructor,
  url: string,
  protocols: string[],
  events: SocketEvents,
): WebSocketLike {
  let ws: WebSocketLike;
  try {
    ws = new Ctor(url, protocols);
  } catch (err) {
    throw new SluiceError('invalid-argument', `cannot open ${url}: ${(err as Error).message}`, { cause: err });
  }
  ws.binaryType = 'arraybuffer';
  let opened = false;
  let failed = false;
  const fail = (error: SluiceError) => {
    if (opened || failed) return;
    failed = true;
    events.onOpenFailed(error);
  };
  ws.onopen = () => {
    if (failed) return;
    opened = true;
    events.onOpen();
  };
  ws.onerror = () => fail(new SluiceError('unavailable', `cannot reach the gateway at ${url}`));
  ws.onclose = (ev) => {
    if (!opened)
      fail(new SluiceError('unavailable', `the gateway at ${url} did not accept the connection (${ev.code})`));
    else events.onClose(ev.code, ev.reason);
    events.onGone();
  };
  ws.onmessage = (ev) => {
    const data = ev.data;
    if (data instanceof ArrayBuffer) events.onMessage(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) events.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  };
  return ws;
}
