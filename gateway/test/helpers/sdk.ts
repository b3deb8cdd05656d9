/** Connects the real SDK (Node 20: ws's WebSocket injected) to a gateway URL. */
import { connect, type SluiceClient } from '@sluice/sdk';
import WebSocket from 'ws';

export function connectSdk(url: string, scope?: string): Promise<SluiceClient> {
  return connect({
    url,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    ...(scope ? { scope } : {}),
    reconnect: { baseMs: 50, maxMs: 1_000 },
  });
}
