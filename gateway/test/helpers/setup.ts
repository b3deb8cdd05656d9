/**
 * The usual test fixture: a gateway (in this process, or as a child process that tests may
 * SIGKILL), an SDK client on it, and a fresh scope; all closed after the file's tests.
 */
import type { SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll } from 'vitest';
import type { RunningGateway } from '../../src/server/gateway.js';
import { GatewayProcess } from './gateway-process.js';
import { startTestGateway } from './in-process-gateway.js';
import { uniqueName } from './names.js';
import { connectSdk } from './sdk.js';

export interface Fixture<G> {
  readonly scope: string;
  readonly gateway: G;
  readonly client: SluiceClient;
}

export function useGateway(prefix: string, args: string[] = []): Fixture<RunningGateway> {
  const scope = uniqueName(prefix);
  const fixture = { scope } as { scope: string; gateway: RunningGateway; client: SluiceClient };
  beforeAll(async () => {
    fixture.gateway = await startTestGateway(args);
    fixture.client = await connectSdk(fixture.gateway.url, scope);
    await fixture.client.createScope(scope);
  });
  afterAll(async () => {
    await fixture.client?.close();
    await fixture.gateway?.close();
  });
  return fixture;
}

export function useGatewayProcess(prefix: string, args: string[] = []): Fixture<GatewayProcess> {
  const scope = uniqueName(prefix);
  const controller = process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
  const fixture = { scope } as { scope: string; gateway: GatewayProcess; client: SluiceClient };
  beforeAll(async () => {
    fixture.gateway = await GatewayProcess.start(['--controller', controller, '--scope', scope, ...args]);
    fixture.client = await connectSdk(fixture.gateway.url, scope);
    await fixture.client.createScope(scope);
  }, 120_000);
  afterAll(async () => {
    await fixture.client?.close();
    await fixture.gateway?.stop();
  });
  return fixture;
}
