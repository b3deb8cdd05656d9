/**
 * createStream retried after a timed-out attempt (a controller that died or stalled mid-call,
 * here a proxy that holds back its replies): Pravega answers the retry STREAM_EXISTS whoever
 * created the stream, so the stream's creation tag decides. A stream our first attempt created
 * reports "created" (true); one that existed before reports false, retried or not.
 */
import { describe, expect, it } from 'vitest';
import { useLostAnswerController } from '../helpers/lost-answer-controller.js';
import { uniqueName } from '../helpers/names.js';

const lost = useLostAnswerController('create-retry', 3_000);
const { scope } = lost;

describe('createStream retried after a timeout', () => {
  it('reports true when its own timed-out attempt created the stream', async () => {
    const stream = uniqueName('fresh');
    const client = lost.stalledFirst();
    expect(await client.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(true);
    // The first attempt did reach the controller: the stream exists and a plain retry says so.
    expect(await lost.direct.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(false);
    await client.close();
  });

  it('reports false when the stream existed before, retried or not', async () => {
    const stream = uniqueName('existing');
    expect(await lost.direct.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(true);
    const client = lost.stalledFirst();
    expect(await client.createStream(scope, stream, { scaling: { type: 'fixed', segments: 1 } })).toBe(false);
    await client.close();
  });
});
