/**
 * The `ws` package's WebSocket as the SDK's transport on Node 20, optionally without masking.
 *
 * RFC 6455 has clients mask every frame so that a script in a browser cannot craft bytes that an
 * HTTP intermediary between it and the server would mistake for a request of its own. Over
 * `wss://`, or where no such intermediary sits (loopback, a private network), masking protects
 * nothing and costs the sender a pass and a copy of every byte. `ws` skips both for an all-zero
 * masking key, on the sending side and on the gateway's receiving side alike.
 *
 * The frames one turn of the event loop sends (requests issued together, a writer's appends) go
 * out in one vectored write: each `send` was its own system call, and with many requests in flight
 * those calls were most of what a key-value-table client cost the gateway and the SDK
 * (bench/README.md, Tables).
 */
import type { Writable } from 'node:stream';
import type { WebSocketConstructor, WebSocketLike } from '../src/transport/websocket.js';

/** What this needs of `ws`'s WebSocket class (its third argument is ws's ClientOptions). */
export type WsClass = new (
  url: string,
  protocols: string | string[] | undefined,
  options: { generateMask?: (mask: Uint8Array) => void; perMessageDeflate?: boolean },
) => { send(data: Uint8Array, done: (error?: Error) => void): void };

export interface WsConstructorOptions {
  /**
   * Mask client frames as RFC 6455 asks (default true). Pass false only over `wss://` or where
   * no HTTP intermediary sits between this process and the gateway.
   */
  maskFrames?: boolean;
}

const zeroMask = (mask: Uint8Array): void => {
  mask.fill(0);
};

/**
 * Wraps `ws`'s WebSocket class (passed in: the SDK never imports `ws` itself) for `connect()`.
 * Its sockets also say when a sent frame is written out (`sendAndRelease`, from ws's send
 * callback), so that the writer reuses its frame buffers.
 */
export function wsConstructor(WebSocket: WsClass, options: WsConstructorOptions = {}): WebSocketConstructor {
  // No compression offered: the gateway turns it off (gateway/src/server/gateway.ts).
  const clientOptions = {
    perMessageDeflate: false,
    ...(options.maskFrames === false ? { generateMask: zeroMask } : {}),
  };
  return function SluiceWs(url: string, protocols?: string | string[]) {
    const socket = new WebSocket(url, protocols, clientOptions) as InstanceType<WsClass> & WebSocketLike;
    const send = socket.send.bind(socket) as (data: Uint8Array, done?: (error?: Error) => void) => void;
    let held = false;
    const release = (tcp: Writable) => {
      held = false;
      tcp.uncork();
    };
    // ws's socket is its undocumented `_socket` (there since ws 1); without it, frames go one by one.
    socket.send = (data: Uint8Array, done?: (error?: Error) => void) => {
      const tcp = (socket as { _socket?: Writable })._socket;
      if (!held && tcp) {
        held = true;
        tcp.cork();
        setImmediate(release, tcp);
      }
      send(data, done);
    };
    // ws calls back once the frame is written to the kernel, or with an error if it never will be.
    socket.sendAndRelease = (data, released) => socket.send(data, () => released());
    return socket;
  } as unknown as WebSocketConstructor;
}
