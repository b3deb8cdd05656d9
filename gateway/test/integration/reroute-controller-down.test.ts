/**
 * A writer whose segment is sealed while the controller is unreachable (past a controller
 * call's retry budget): re-routing waits for the controller instead of failing, and when it is
 * back every write is acknowledged and read back once, in order.
 */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../src/controller/controller-client.js';
import type { RunningGateway } from '../../src/server/gateway.js';
import { controllerUri, startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let proxy: TcpProxy;
let gateway: RunningGateway;
let client: SluiceClient;
let direct: ControllerClient;
const scope = uniqueName('rdown');

beforeAll(async () => {
  const target = new URL(controllerUri().replace(/^tcp:/, 'http:'));
  proxy = new TcpProxy(target.hostname, Number(target.port));
  const port = await proxy.start();
  // A short budget: the controller stays away longer than one call keeps retrying.
  gateway = await startTestGateway(['--controller', `tcp://127.0.0.1:${port}`, '--controller-timeout-ms', '1000']);
  client = await connectSdk(gateway.url, scope);
  await client.createScope(scope);
  direct = new ControllerClient({ uri: controllerUri() });
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await direct?.close();
  await proxy?.stop();
});

describe('re-routing while the controller is unreachable', () => {
  it('waits for the controller and loses nothing', async () => {
    const stream = uniqueName('s');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    const writer = client.writer(stream, { serializer: Serializers.utf8(), deliveryTimeoutMs: 30_000 });
    const written: string[] = [];
    const write = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () => {
          const v = `k|${written.length}`;
          written.push(v);
          return writer.write(v, 'k');
        }),
      );
    await write(50);

    await proxy.stop();
    const [only] = (await direct.getCurrentSegments(scope, stream)).segments;
    await direct.scale(
      scope,
      stream,
      [only!.segmentId],
      [
        [0, 0.5],
        [0.5, 1],
      ],
    );
    // The writer hears the seal at once; the successors only when the controller is back.
    const during = write(50);
    await new Promise((r) => setTimeout(r, 3_000)); // past the gateway's 1 s controller budget
    await proxy.start();
    await during;
    await write(50);
    await writer.close();

    const to = (await client.streamInfo(stream)).tail;
    const got: string[] = [];
    for await (const ev of client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to }))
      got.push(ev.value);
    expect(got).toEqual(written);
  }, 60_000);
});
