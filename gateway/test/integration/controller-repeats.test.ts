/**
 * Controller calls repeated after a first attempt that took effect but whose answer was lost (a
 * proxy that holds back the controller's replies; the repeat goes straight to it). A repeat's
 * "not found" or "precondition failed" is then our own first attempt's doing: deleteStream
 * succeeds, and scale reports the scale that happened when its successors are the ranges asked
 * for (retry-safety.ts; createStream's tag proof is create-stream-retry.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../src/controller/controller-client.js';
import { HoldingProxy } from '../helpers/holding-proxy.js';
import { uniqueName } from '../helpers/names.js';

const upstream = new URL((process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090').split(',')[0]!);
const proxy = new HoldingProxy(upstream.hostname, Number(upstream.port));
const scope = uniqueName('repeats');
let direct: ControllerClient;

/** Calls alternate between the holding proxy (first) and the controller itself. */
function stalledFirst(): ControllerClient {
  return new ControllerClient({
    uri: `tcp://127.0.0.1:${proxy.port},${upstream.host}`,
    callTimeoutMs: 2_000,
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

describe('controller calls repeated after a lost answer', () => {
  it('deleteStream: the repeat hears "not found" and succeeds, the stream gone', async () => {
    const stream = uniqueName('del');
    await direct.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } });
    await direct.sealStream(scope, stream);
    const client = stalledFirst();
    await client.deleteStream(scope, stream);
    expect(await direct.streamExists(scope, stream)).toBe(false);
    // Never there at all: not-found, as before.
    await expect(direct.deleteStream(scope, uniqueName('none'))).rejects.toMatchObject({ code: 'not-found' });
    await client.close();
  });

  it('scale: the repeat after the scale completed reports that scale, not a failed precondition', async () => {
    const stream = uniqueName('scale');
    await direct.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } });
    const [only] = (await direct.getCurrentSegments(scope, stream)).segments;
    const client = stalledFirst();
    const done = await client.scale(
      scope,
      stream,
      [only!.segmentId],
      [
        [0, 0.5],
        [0.5, 1],
      ],
    );
    expect(done.segments.map((s) => [s.minKey, s.maxKey])).toEqual([
      [0, 0.5],
      [0.5, 1],
    ]);
    const now = (await direct.getCurrentSegments(scope, stream)).segments;
    expect(now.map((s) => s.segmentId).sort()).toEqual(done.segments.map((s) => s.segmentId).sort());
    // A different scale of the same (now sealed) segment is still refused.
    await expect(direct.scale(scope, stream, [only!.segmentId], [[0, 1]])).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await client.close();
  });
});
