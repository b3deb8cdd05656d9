/**
 * createStream retried after a timed-out attempt (a controller that died or stalled mid-call,
 * here a proxy that holds back its replies): Pravega answers the retry STREAM_EXISTS whoever
 * created the stream, so the stream's creation tag decides. A stream our first attempt created
 * reports "created" (true); one that existed before reports false, retried or not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../src/controller/controller-client.js';
import { HoldingProxy } from '../helpers/holding-proxy.js';
import { uniqueName } from '../helpers/names.js';

const upstream = new URL((process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090').split(',')[0]!);
const proxy = new HoldingProxy(upstream.hostname, Number(upstream.port));
const scope = uniqueName('create-retry');
let direct: ControllerClient;

/** First attempt through the proxy (its reply never comes), the retry straight to the controller. */
function stalledFirst(): ControllerClient {
  return new ControllerClient({
    uri: `tcp://127.0.0.1:${proxy.port},${upstream.host}`,
    callTimeoutMs: 3_000,
    retryBudgetMs: 30_000,
  });
}

beforeAll(async () => {
  await proxy.start();
  proxy.hold();
  direct = new ControllerClient({ uri: `tcp://${upstream.host}` });
  await direct.createScope(scope);
});
afterAll(async () => {
  await direct?.close();
  await proxy.stop();
});

describe('createStream retried after a timeout', () => {
  it('reports true when its own timed-out attempt created the stream', async () => {
    const stream = uniqueName('fresh');
    const client = stalledFirst();
    expect(await client.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(true);
    // The first attempt did reach the controller: the stream exists and a plain retry says so.
    expect(await direct.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(false);
    await client.close();
  });

  it('reports false when the stream existed before, retried or not', async () => {
    const stream = uniqueName('existing');
    expect(await direct.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(true);
    const client = stalledFirst();
    expect(await client.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(false);
    await client.close();
  });
});
