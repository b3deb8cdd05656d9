/**
 * The e2e fixtures: a real gateway process per test (so a test may SIGKILL and restart it), a
 * fresh scope, a Node SDK client for setting up and checking streams, and the page probe.
 */
import { test as base, expect } from '@playwright/test';
import { connect, Serializers, type SluiceClient } from '@sluice/sdk';
import WebSocket from 'ws';
import { GatewayProcess } from '../../gateway/test/helpers/gateway-process.js';
import { Probe } from './probe.js';

export { expect };

export const controllerUri = (): string => process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';

export interface E2E {
  scope: string;
  gateway: GatewayProcess;
  sdk: SluiceClient;
  probe: Probe;
  /** The dashboard's URL for a stream of this test's scope on this test's gateway. */
  dashboardUrl: (stream: string) => string;
}

export function connectNode(url: string, scope: string): Promise<SluiceClient> {
  return connect({ url, scope, WebSocket, reconnect: { baseMs: 50, maxMs: 1000 } });
}

export const test = base.extend<E2E>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring
  scope: async ({}, use) => {
    await use(`e2e-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`);
  },
  gateway: async ({ scope }, use) => {
    const gw = await GatewayProcess.start(['--controller', controllerUri(), '--scope', scope]);
    await use(gw);
    await gw.stop();
  },
  sdk: async ({ gateway, scope }, use) => {
    const client = await connectNode(gateway.url, scope);
    await client.createScope(scope);
    await use(client);
    await client.close();
  },
  probe: async ({ context }, use) => {
    await use(await Probe.install(context));
  },
  dashboardUrl: async ({ gateway, scope }, use) => {
    await use((stream) => `/?${new URLSearchParams({ gateway: gateway.url, scope, stream }).toString()}`);
  },
});

/** Everything in a stream from head to tail, as UTF-8 strings in per-segment order. */
export async function readAll(sdk: SluiceClient, stream: string): Promise<string[]> {
  const out: string[] = [];
  for await (const ev of sdk.readBatch(stream, { serializer: Serializers.utf8() })) out.push(ev.value);
  return out;
}
