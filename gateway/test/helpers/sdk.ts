/** Connects the real SDK (Node 20: ws's WebSocket injected) to a gateway URL. */
import { connect, type SluiceClient, wsConstructor } from '@sluice/sdk';
import WebSocket from 'ws';

export interface ConnectSdkOptions {
  /** Mask client frames (RFC 6455's default); the benchmarks, on loopback, pass false. */
  maskFrames?: boolean;
}

export function connectSdk(url: string, scope?: string, options: ConnectSdkOptions = {}): Promise<SluiceClient> {
  return connect({
    url,
    WebSocket: wsConstructor(WebSocket, { maskFrames: options.maskFrames ?? true }),
    ...(scope ? { scope } : {}),
    reconnect: { baseMs: 50, maxMs: 1_000 },
  });
}
