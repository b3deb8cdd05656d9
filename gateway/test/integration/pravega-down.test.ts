/**
 * With Pravega unreachable, calls fail with `unavailable` in bounded time, the gateway stays up,
 * /readyz says not ready; when Pravega returns, everything works again.
 */
import type { SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server/gateway.js';
import { controllerUri, startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let proxy: TcpProxy;
let gateway: RunningGateway;
let client: SluiceClient;

beforeAll(async () => {
  const target = new URL(controllerUri().replace(/^tcp:/, 'http:'));
  proxy = new TcpProxy(target.hostname, Number(target.port));
  const port = await proxy.start();
  // /readyz answers from a probe that runs every --readiness-interval-ms: a short one here.
  gateway = await startTestGateway([
    '--controller',
    `tcp://127.0.0.1:${port}`,
    '--controller-timeout-ms',
    '2000',
    '--readiness-interval-ms',
    '200',
  ]);
  client = await connectSdk(gateway.url);
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await proxy?.stop();
});

async function readyz(): Promise<number> {
  return (await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status;
}

describe('Pravega down', () => {
  it('is ready while Pravega is reachable', async () => {
    expect(await readyz()).toBe(200);
  });

  it('fails calls with unavailable, reports not ready, and recovers', async () => {
    await proxy.stop();
    await expect(client.createScope(uniqueName('down'))).rejects.toMatchObject({ code: 'unavailable' });
    // The next probe finds the controller gone (bounded: a few probe intervals plus its timeout).
    let down = 0;
    for (let i = 0; i < 50 && down !== 503; i++) {
      down = await readyz();
      if (down !== 503) await new Promise((r) => setTimeout(r, 200));
    }
    expect(down).toBe(503);
    expect((await fetch(`http://127.0.0.1:${gateway.port}/healthz`)).status).toBe(200);

    await proxy.start();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await readyz();
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    expect(await client.createScope(uniqueName('back'))).toBe(true);
  });
});
