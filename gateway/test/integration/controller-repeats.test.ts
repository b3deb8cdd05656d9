/**
 * Controller calls repeated after a first attempt that took effect but whose answer was lost (a
 * proxy that holds back the controller's replies; the repeat goes straight to it). A repeat's
 * "not found" or "precondition failed" is then our own first attempt's doing: deleteStream
 * succeeds, and scale reports the scale that happened when its successors are the ranges asked
 * for (retry-safety.ts; createStream's tag proof is create-stream-retry.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { useLostAnswerController } from '../helpers/lost-answer-controller.js';
import { uniqueName } from '../helpers/names.js';

const lost = useLostAnswerController('repeats', 2_000);
const { scope } = lost;

describe('controller calls repeated after a lost answer', () => {
  it('deleteStream: the repeat hears "not found" and succeeds, the stream gone', async () => {
    const stream = uniqueName('del');
    await lost.direct.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } });
    await lost.direct.sealStream(scope, stream);
    const client = lost.stalledFirst();
    await client.deleteStream(scope, stream);
    expect(await lost.direct.streamExists(scope, stream)).toBe(false);
    // Never there at all: not-found, as before.
    await expect(lost.direct.deleteStream(scope, uniqueName('none'))).rejects.toMatchObject({ code: 'not-found' });
    await client.close();
  });

  it('scale: the repeat after the scale completed reports that scale, not a failed precondition', async () => {
    const stream = uniqueName('scale');
    await lost.direct.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } });
    const [only] = (await lost.direct.getCurrentSegments(scope, stream)).segments;
    const client = lost.stalledFirst();
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
    const now = (await lost.direct.getCurrentSegments(scope, stream)).segments;
    expect(now.map((s) => s.segmentId).sort()).toEqual(done.segments.map((s) => s.segmentId).sort());
    // A different scale of the same (now sealed) segment is still refused.
    await expect(lost.direct.scale(scope, stream, [only!.segmentId], [[0, 1]])).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await client.close();
  });
});
