/**
 * Which controller calls may be sent again after a failure that might have taken effect, and on
 * what terms. Java's ControllerImpl retries every call alike on the same transient codes; here
 * each call says what a repeat does, so none is repeated blindly:
 * - 'repeatable': a repeat has the same effect and the same answer (reads; updates, seal,
 *   truncate, commit/abort/ping of a transaction and noting a writer's time, which Pravega
 *   applies idempotently).
 * - 'answer-checked': a repeat has the same effect, but its answer can differ from what the first
 *   attempt would have said ("exists", "not found", "precondition failed" may be that attempt's
 *   own doing). The caller passes `onRetry` to ControllerClient.call and reads the answer knowing
 *   it was a repeat; without that the call is not repeated: a failure that may have taken effect
 *   is reported as 'outcome-unknown'.
 * - 'duplicating': a repeat makes a second one. Only createTransaction: a transaction the lost
 *   attempt began is never used, so its lease runs out and Pravega aborts it.
 */
export type RetrySafety = 'repeatable' | 'answer-checked' | 'duplicating';

export const RETRY_SAFETY = {
  // Reads.
  checkScopeExists: 'repeatable',
  listScopes: 'repeatable',
  listStreamsInScope: 'repeatable',
  listStreamsInScopeForTag: 'repeatable',
  listKeyValueTablesInScope: 'repeatable',
  checkStreamExists: 'repeatable',
  getStreamConfiguration: 'repeatable',
  getKeyValueTableConfiguration: 'repeatable',
  getCurrentSegments: 'repeatable',
  getCurrentSegmentsKeyValueTable: 'repeatable',
  getEpochSegments: 'repeatable',
  getSegments: 'repeatable',
  getSegmentsImmediatelyFollowing: 'repeatable',
  getSegmentsBetween: 'repeatable',
  isStreamCutValid: 'repeatable',
  getURI: 'repeatable',
  checkScale: 'repeatable',
  checkTransactionState: 'repeatable',
  listCompletedTransactions: 'repeatable',
  getDelegationToken: 'repeatable',
  listSubscribers: 'repeatable',
  // Writes that Pravega applies idempotently: the same request twice leaves the same state and
  // answers the same (a seal of a sealed stream succeeds; a writer's time equal to the one it
  // noted is accepted; committing a committing transaction succeeds).
  updateStream: 'repeatable',
  sealStream: 'repeatable',
  truncateStream: 'repeatable',
  noteTimestampFromWriter: 'repeatable',
  pingTransaction: 'repeatable',
  commitTransaction: 'repeatable',
  abortTransaction: 'repeatable',
  // The subscriber's cut: the same cut again is accepted. A reader group created again answers
  // with the id it already has (subscriber-rpc.ts adopts it), so a repeat registers it once.
  updateSubscriberStreamCut: 'repeatable',
  createReaderGroup: 'repeatable',
  // A repeat answers "exists" / "not found" / "precondition failed" after our own lost attempt.
  createScope: 'answer-checked',
  deleteScope: 'answer-checked',
  createStream: 'answer-checked',
  deleteStream: 'answer-checked',
  createKeyValueTable: 'answer-checked',
  deleteKeyValueTable: 'answer-checked',
  deleteReaderGroup: 'answer-checked',
  scale: 'answer-checked',
  createTransaction: 'duplicating',
} as const satisfies Record<string, RetrySafety>;

/** The controller RPCs the gateway makes (ControllerService method names). */
export type ControllerRpc = keyof typeof RETRY_SAFETY;

/**
 * May `rpc` be sent again after a transient failure? `checked`: its caller reads a repeat's
 * answer as one (passed `onRetry`).
 */
export function mayRepeat(rpc: ControllerRpc, checked: boolean): boolean {
  return RETRY_SAFETY[rpc] !== 'answer-checked' || checked;
}
