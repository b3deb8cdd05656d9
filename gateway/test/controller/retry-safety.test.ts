/**
 * Which controller failures are retried, and which calls may be repeated (retry-safety.ts). The
 * failures are thrown by the attempt itself here, to count attempts exactly; the repeats against
 * the real controller are in integration/controller-repeats.test.ts.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../src/controller/controller-client.js';
import { isTransient } from '../../src/controller/errors.js';
import { type ControllerRpc, mayRepeat, RETRY_SAFETY } from '../../src/controller/retry-safety.js';
import { GatewayError } from '../../src/errors.js';

// Nothing is sent: each attempt below throws or answers by itself.
const client = new ControllerClient({ uri: 'tcp://127.0.0.1:9090', retryBudgetMs: 5_000 });
afterAll(() => client.close());

/** Runs `rpc` whose first `failures` attempts throw `code`; returns the outcome and the attempts made. */
async function attempts(rpc: ControllerRpc, code: Code, failures: number, checked = false) {
  let n = 0;
  const outcome = await client
    .call(
      rpc,
      async () => {
        if (n++ < failures) throw new ConnectError('get entry: key: s table: _system/_tables/scopes', code);
        return 'answered';
      },
      undefined,
      checked ? () => {} : undefined,
    )
    .catch((err: unknown) => err as GatewayError);
  return { outcome: outcome instanceof GatewayError ? outcome.code : outcome, attempts: n };
}

describe('controller retry classification', () => {
  it('treats the codes Java retries as transient, and answers about the request as final', () => {
    for (const code of [
      Code.Internal,
      Code.Unknown,
      Code.Unavailable,
      Code.DeadlineExceeded,
      Code.FailedPrecondition,
      Code.Aborted,
      Code.ResourceExhausted,
      Code.DataLoss,
      Code.Canceled,
    ])
      expect(isTransient(new ConnectError('x', code)), Code[code]).toBe(true);
    for (const code of [
      Code.NotFound,
      Code.AlreadyExists,
      Code.InvalidArgument,
      Code.OutOfRange,
      Code.PermissionDenied,
      Code.Unauthenticated,
      Code.Unimplemented,
    ])
      expect(isTransient(new ConnectError('x', code)), Code[code]).toBe(false);
  });

  it('retries a read the controller failed with INTERNAL or UNKNOWN (its metadata table not ready)', async () => {
    expect(await attempts('getSegmentsImmediatelyFollowing', Code.Internal, 2)).toEqual({
      outcome: 'answered',
      attempts: 3,
    });
    expect(await attempts('getCurrentSegments', Code.Unknown, 1)).toEqual({ outcome: 'answered', attempts: 2 });
  });

  it('does not retry what the controller said about the request', async () => {
    expect(await attempts('getSegmentsImmediatelyFollowing', Code.NotFound, 1)).toEqual({
      outcome: 'not-found',
      attempts: 1,
    });
    expect(await attempts('getURI', Code.PermissionDenied, 1)).toEqual({ outcome: 'permission-denied', attempts: 1 });
  });

  it('repeats an answer-checked call only for a caller that reads the repeat as one', async () => {
    expect(await attempts('deleteStream', Code.Internal, 1)).toEqual({ outcome: 'outcome-unknown', attempts: 1 });
    expect(await attempts('scale', Code.DeadlineExceeded, 1)).toEqual({ outcome: 'outcome-unknown', attempts: 1 });
    expect(await attempts('deleteStream', Code.Internal, 1, true)).toEqual({ outcome: 'answered', attempts: 2 });
    // A duplicate transaction is harmless (its lease runs out): repeated without a check.
    expect(await attempts('createTransaction', Code.Unknown, 1)).toEqual({ outcome: 'answered', attempts: 2 });
  });

  it('gives up on a transient failure within the budget, as unavailable', async () => {
    const quick = new ControllerClient({ uri: 'tcp://127.0.0.1:9090', retryBudgetMs: 300 });
    const err = await quick
      .call('getEpochSegments', async () => {
        throw new ConnectError('get entry: key: s table: _system/_tables/scopes', Code.Internal);
      })
      .catch((e: unknown) => e as GatewayError);
    expect(err.code).toBe('unavailable');
    await quick.close();
  });

  it('classifies every call: only creates, deletes and scale are answer-checked', () => {
    const checked = Object.entries(RETRY_SAFETY)
      .filter(([, s]) => s === 'answer-checked')
      .map(([rpc]) => rpc)
      .sort();
    expect(checked).toEqual([
      'createKeyValueTable',
      'createScope',
      'createStream',
      'deleteKeyValueTable',
      'deleteReaderGroup',
      'deleteScope',
      'deleteStream',
      'scale',
    ]);
    expect(mayRepeat('getURI', false)).toBe(true);
    expect(mayRepeat('createScope', false)).toBe(false);
    expect(mayRepeat('createScope', true)).toBe(true);
  });
});
