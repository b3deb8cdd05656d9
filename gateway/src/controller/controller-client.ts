/**
 * The gateway's client of Pravega's ControllerService (fact sheet §3). Every call has a deadline
 * and is retried with full-jitter backoff on transient failures only (errors.ts), within a
 * budget, and only as far as repeating it is safe (retry-safety.ts): with the controller down a
 * call fails with 'unavailable' in bounded time. Ids are bigint throughout.
 */
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { type Client, createClient, type Transport } from '@connectrpc/connect';
import {
  ControllerService,
  CreateScopeStatus_Status,
  CreateStreamStatus_Status,
  DeleteScopeStatus_Status,
  DeleteStreamStatus_Status,
  type SegmentRange as PbSegmentRange,
  PingTxnStatus_Status,
  RetentionPolicy_RetentionPolicyType,
  ScaleResponse_ScaleStreamStatus,
  ScaleStatusResponse_ScaleStatus,
  ScalingPolicy_ScalingPolicyType,
  StreamInfo_AccessOperation,
  StreamInfoSchema,
  TxnState_State,
  TxnStatus_Status,
  UpdateStreamStatus_Status,
} from '@sluice/proto/pravega/controller_pb.js';
import type { Logger } from 'pino';
import { tlsFailureOf } from '../auth/tls-failure.js';
import { GatewayError } from '../errors.js';
import { backoffDelay, sleep } from '../segmentstore/backoff.js';
import { fromControllerError, isTransient } from './errors.js';
import { bitsToUuid, segmentEpoch, uuidToBits } from './names.js';
import { type ControllerRpc, mayRepeat } from './retry-safety.js';
import { createTransports } from './transport.js';
import { parseControllerUri } from './uri.js';

export interface SegmentRange {
  segmentId: bigint;
  minKey: number;
  maxKey: number;
}
export interface Endpoint {
  host: string;
  port: number;
}
export type StreamScaling =
  | { type: 'fixed'; segments: number }
  | { type: 'byEventRate' | 'byDataRate'; targetRate: number; scaleFactor: number; minSegments: number };
/**
 * `maxMs`/`maxBytes`: Pravega's retentionMax, the most kept even when a subscribing reader group
 * has not consumed it (consumption-based retention); absent: no maximum.
 */
export type StreamRetention =
  | { type: 'time'; ms: number; maxMs?: number }
  | { type: 'size'; bytes: number; maxBytes?: number };
export type TxnState = 'open' | 'committing' | 'committed' | 'aborting' | 'aborted' | 'unknown';
export type PingStatus =
  | 'ok'
  | 'lease-too-large'
  | 'max-execution-time-exceeded'
  | 'committed'
  | 'aborted'
  | 'unknown'
  | 'disconnected';

export interface ControllerClientOptions {
  uri: string;
  credentials?: { username: string; password: string } | undefined;
  tls?: { caFile?: string; validateHostname?: boolean } | undefined;
  /** Deadline of one attempt. */
  callTimeoutMs?: number;
  /** How long a call keeps retrying transient failures before 'unavailable'. */
  retryBudgetMs?: number;
  logger?: Logger;
}

export const MAX_LONG = 2n ** 63n - 1n;
/**
 * A tag each createStream carries, unique to the call: when a retried call (the first timed out,
 * its outcome unknown) hears "exists", the stream's tags say whether that earlier attempt of ours
 * created it. Pravega answers STREAM_EXISTS to every create of a stream that exists, its creator's
 * retry included.
 */
export const CREATE_TAG_PREFIX = 'sluice.create.';
const MIN_LONG = -(2n ** 63n);

function toRange(r: PbSegmentRange): SegmentRange {
  return { segmentId: r.segmentId?.segmentId ?? 0n, minKey: r.minKey, maxKey: r.maxKey };
}

export class ControllerClient {
  private readonly clients: Array<Client<typeof ControllerService>>;
  private next = 0;
  private readonly callTimeoutMs: number;
  private readonly retryBudgetMs: number;

  constructor(private readonly opts: ControllerClientOptions) {
    const transports: Transport[] = createTransports(parseControllerUri(opts.uri), opts);
    this.clients = transports.map((t) => createClient(ControllerService, t));
    this.callTimeoutMs = opts.callTimeoutMs ?? 5_000;
    this.retryBudgetMs = opts.retryBudgetMs ?? 10_000;
  }

  /**
   * Runs one RPC with a deadline, round-robin over controllers, retrying transient failures.
   * Public for the calls other modules own (tables/kvt-controller.ts, streams/stream-api-rpc.ts).
   */
  async call<T>(
    what: ControllerRpc,
    fn: (client: Client<typeof ControllerService>, options: { timeoutMs: number; signal?: AbortSignal }) => Promise<T>,
    signal?: AbortSignal,
    /**
     * Told before each attempt after the first: an earlier one failed and may have taken effect.
     * An 'answer-checked' call (retry-safety.ts) is repeated only when its caller passes this.
     */
    onRetry?: () => void,
  ): Promise<T> {
    const deadline = Date.now() + this.retryBudgetMs;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) onRetry?.();
      const client = this.clients[this.next++ % this.clients.length]!;
      const timeoutMs = Math.max(1, Math.min(this.callTimeoutMs, deadline - Date.now()));
      try {
        return await fn(client, { timeoutMs, ...(signal ? { signal } : {}) });
      } catch (err) {
        if (signal?.aborted) throw new GatewayError('cancelled', `controller ${what}: cancelled`, { cause: err });
        // A refused certificate stays refused: no point in spending the retry budget on it.
        if (!isTransient(err) || tlsFailureOf(err)) throw fromControllerError(err, what);
        if (!mayRepeat(what, onRetry !== undefined)) {
          throw new GatewayError(
            'outcome-unknown',
            `controller ${what} failed and may have taken effect: ${fromControllerError(err, what).message}`,
            { cause: err },
          );
        }
        const delay = backoffDelay(attempt, 50, 1_000);
        if (Date.now() + delay >= deadline) {
          const e = fromControllerError(err, what);
          throw new GatewayError('unavailable', `Pravega controller unreachable (${what}): ${e.message}`, {
            cause: err,
          });
        }
        this.opts.logger?.debug({ what, attempt, err: (err as Error).message }, 'controller call failed; retrying');
        await sleep(delay, signal);
      }
    }
  }

  /** @internal */
  info(scope: string, stream: string, access = StreamInfo_AccessOperation.NONE) {
    return create(StreamInfoSchema, { scope, stream, accessOperation: access });
  }

  // ---- scopes --------------------------------------------------------------------------

  /**
   * True if created, false if it existed. After a repeat (the first attempt's answer lost)
   * "exists" may be that attempt's doing and no proof is possible (scopes carry no tags): the
   * scope exists either way, and the answer is Java's, false.
   */
  async createScope(scope: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.call(
      'createScope',
      (c, o) => c.createScope({ scope }, o),
      signal,
      () => {},
    );
    if (r.status === CreateScopeStatus_Status.SUCCESS) return true;
    if (r.status === CreateScopeStatus_Status.SCOPE_EXISTS) return false;
    if (r.status === CreateScopeStatus_Status.INVALID_SCOPE_NAME)
      throw new GatewayError('invalid-argument', `invalid scope name "${scope}"`);
    throw new GatewayError('internal', `controller failed to create scope ${scope}`);
  }

  /** True if deleted, false if there was none; after a repeat false may be our first attempt's doing (as createScope). */
  async deleteScope(scope: string): Promise<boolean> {
    const r = await this.call(
      'deleteScope',
      (c, o) => c.deleteScope({ scope }, o),
      undefined,
      () => {},
    );
    if (r.status === DeleteScopeStatus_Status.SUCCESS) return true;
    if (r.status === DeleteScopeStatus_Status.SCOPE_NOT_FOUND) return false;
    if (r.status === DeleteScopeStatus_Status.SCOPE_NOT_EMPTY)
      throw new GatewayError('invalid-argument', `scope ${scope} is not empty`);
    throw new GatewayError('internal', `controller failed to delete scope ${scope}`);
  }

  async scopeExists(scope: string): Promise<boolean> {
    return (await this.call('checkScopeExists', (c, o) => c.checkScopeExists({ scope }, o))).exists;
  }

  async listScopes(): Promise<string[]> {
    const out: string[] = [];
    let token = '';
    for (;;) {
      const r = await this.call('listScopes', (c, o) => c.listScopes({ continuationToken: { token } }, o));
      if (r.scopes.length === 0) return out;
      out.push(...r.scopes);
      token = r.continuationToken?.token ?? '';
    }
  }

  // ---- streams -------------------------------------------------------------------------

  async listStreams(scope: string): Promise<string[]> {
    const out: string[] = [];
    let token = '';
    for (;;) {
      const r = await this.call('listStreamsInScope', (c, o) =>
        c.listStreamsInScope({ scope: { scope }, continuationToken: { token } }, o),
      );
      if (r.status === 2) throw new GatewayError('not-found', `scope ${scope} does not exist`);
      if (r.streams.length === 0) return out;
      out.push(...r.streams.map((s) => s.stream));
      token = r.continuationToken?.token ?? '';
    }
  }

  async createStream(
    scope: string,
    stream: string,
    config: { scaling: StreamScaling; retention?: StreamRetention; tags?: string[] },
  ): Promise<boolean> {
    const scaling = scalingPolicy(config.scaling);
    // No retention: no policy at create (an update sends UNKNOWN, retentionPolicy's answer).
    const retention = config.retention ? retentionPolicy(config.retention) : undefined;
    const tag = `${CREATE_TAG_PREFIX}${randomUUID()}`;
    let retried = false;
    const r = await this.call(
      'createStream',
      (c, o) =>
        c.createStream(
          {
            streamInfo: { scope, stream },
            scalingPolicy: scaling,
            ...(retention ? { retentionPolicy: retention } : {}),
            // The user's tags, and ours that tells a retried create's own success from a stranger's.
            tags: { tag: [...(config.tags ?? []), tag] },
          },
          o,
        ),
      undefined,
      () => {
        retried = true;
      },
    );
    // Ours proven, the tag has done its job: the stream keeps only the user's tags (Java's
    // clients see them). A failure here leaves a tag that streamInfo's configuration hides.
    const untag = async () => {
      await this.call('updateStream', (c, o) =>
        c.updateStream(
          {
            streamInfo: { scope, stream },
            scalingPolicy: scaling,
            ...(retention ? { retentionPolicy: retention } : {}),
            tags: { tag: [...(config.tags ?? [])] },
          },
          o,
        ),
      ).catch(() => {});
      return true;
    };
    switch (r.status) {
      case CreateStreamStatus_Status.SUCCESS:
        return untag();
      case CreateStreamStatus_Status.STREAM_EXISTS:
        // After a retry "exists" may be our own first attempt's doing: the tag proves it.
        if (!retried) return false;
        return (await this.streamTags(scope, stream)).includes(tag) ? untag() : false;
      case CreateStreamStatus_Status.SCOPE_NOT_FOUND:
        throw new GatewayError('not-found', `scope ${scope} does not exist`);
      case CreateStreamStatus_Status.INVALID_STREAM_NAME:
        throw new GatewayError('invalid-argument', `invalid stream name "${stream}"`);
      default:
        throw new GatewayError('internal', `controller failed to create stream ${scope}/${stream}`);
    }
  }

  /** The stream's tags (Pravega 0.10+). */
  async streamTags(scope: string, stream: string): Promise<string[]> {
    const config = await this.call('getStreamConfiguration', (c, o) =>
      c.getStreamConfiguration(this.info(scope, stream), o),
    );
    return config.tags?.tag ?? [];
  }

  async streamExists(scope: string, stream: string): Promise<boolean> {
    return (await this.call('checkStreamExists', (c, o) => c.checkStreamExists(this.info(scope, stream), o))).exists;
  }

  async sealStream(scope: string, stream: string): Promise<void> {
    const r = await this.call('sealStream', (c, o) => c.sealStream(this.info(scope, stream), o));
    this.checkUpdate(r.status, scope, stream, 'seal');
  }

  /**
   * Deletes a sealed stream; not-found if there is none. After a repeat, "not found" means gone,
   * maybe by the first attempt (its answer lost): the deletion asked for holds, so it succeeds.
   */
  async deleteStream(scope: string, stream: string): Promise<void> {
    let repeated = false;
    const r = await this.call(
      'deleteStream',
      (c, o) => c.deleteStream(this.info(scope, stream), o),
      undefined,
      () => {
        repeated = true;
      },
    );
    if (r.status === DeleteStreamStatus_Status.SUCCESS) return;
    if (r.status === DeleteStreamStatus_Status.STREAM_NOT_FOUND) {
      if (repeated) return;
      throw new GatewayError('not-found', `stream ${scope}/${stream} does not exist`);
    }
    if (r.status === DeleteStreamStatus_Status.STREAM_NOT_SEALED)
      throw new GatewayError('invalid-argument', `stream ${scope}/${stream} must be sealed before it is deleted`);
    throw new GatewayError('internal', `controller failed to delete ${scope}/${stream}`);
  }

  async truncateStream(scope: string, stream: string, cut: Map<bigint, bigint>): Promise<void> {
    const r = await this.call('truncateStream', (c, o) =>
      c.truncateStream({ streamInfo: { scope, stream }, cut: Object.fromEntries(cut) as never }, o),
    );
    this.checkUpdate(r.status, scope, stream, 'truncate');
  }

  /** Turns an update-type status (seal, truncate, update) into success or a typed error. */
  checkUpdate(status: UpdateStreamStatus_Status, scope: string, stream: string, what: string): void {
    switch (status) {
      case UpdateStreamStatus_Status.SUCCESS:
        return;
      case UpdateStreamStatus_Status.STREAM_NOT_FOUND:
        throw new GatewayError('not-found', `stream ${scope}/${stream} does not exist`);
      case UpdateStreamStatus_Status.SCOPE_NOT_FOUND:
        throw new GatewayError('not-found', `scope ${scope} does not exist`);
      case UpdateStreamStatus_Status.STREAM_SEALED:
        throw new GatewayError('sealed', `stream ${scope}/${stream} is sealed`);
      default:
        throw new GatewayError('internal', `controller failed to ${what} ${scope}/${stream}`);
    }
  }

  // ---- segments ------------------------------------------------------------------------

  async getCurrentSegments(
    scope: string,
    stream: string,
  ): Promise<{ segments: SegmentRange[]; delegationToken: string }> {
    const r = await this.call('getCurrentSegments', (c, o) => c.getCurrentSegments(this.info(scope, stream), o));
    return {
      segments: r.segmentRanges.map(toRange).sort((a, b) => a.minKey - b.minKey),
      delegationToken: r.delegationToken,
    };
  }

  async getEpochSegments(scope: string, stream: string, epoch: number): Promise<SegmentRange[]> {
    const r = await this.call('getEpochSegments', (c, o) =>
      c.getEpochSegments({ streamInfo: this.info(scope, stream), epoch }, o),
    );
    return r.segmentRanges.map(toRange).sort((a, b) => a.minKey - b.minKey);
  }

  /** The stream's head: every segment to start from and its first readable offset. */
  async getHeadCut(scope: string, stream: string): Promise<Map<bigint, bigint>> {
    const r = await this.call('getSegments', (c, o) =>
      c.getSegments({ streamInfo: this.info(scope, stream), timestamp: 0n }, o),
    );
    return new Map(r.segments.map((s) => [s.segmentId?.segmentId ?? 0n, s.offset]));
  }

  async getSuccessors(
    scope: string,
    stream: string,
    segmentId: bigint,
  ): Promise<{ successors: Array<{ segment: SegmentRange; predecessors: bigint[] }>; delegationToken: string }> {
    const r = await this.call('getSegmentsImmediatelyFollowing', (c, o) =>
      c.getSegmentsImmediatelyFollowing({ streamInfo: this.info(scope, stream), segmentId }, o),
    );
    return {
      successors: r.segments.map((e) => ({ segment: toRange(e.segment!), predecessors: [...e.value] })),
      delegationToken: r.delegationToken,
    };
  }

  async getSegmentsBetween(
    scope: string,
    stream: string,
    from: Map<bigint, bigint>,
    to: Map<bigint, bigint>,
  ): Promise<bigint[]> {
    const r = await this.call('getSegmentsBetween', (c, o) =>
      c.getSegmentsBetween(
        { streamInfo: { scope, stream }, from: Object.fromEntries(from) as never, to: Object.fromEntries(to) as never },
        o,
      ),
    );
    return r.segments.map((s) => s.segmentId);
  }

  async isStreamCutValid(scope: string, stream: string, cut: Map<bigint, bigint>): Promise<boolean> {
    return (
      await this.call('isStreamCutValid', (c, o) =>
        c.isStreamCutValid({ streamInfo: { scope, stream }, cut: Object.fromEntries(cut) as never }, o),
      )
    ).response;
  }

  async getEndpoint(scope: string, stream: string, segmentId: bigint): Promise<Endpoint> {
    const r = await this.call('getURI', (c, o) => c.getURI({ streamInfo: this.info(scope, stream), segmentId }, o));
    return { host: r.endpoint, port: r.port };
  }

  /**
   * Seals `seal` and creates `newRanges`; resolves when the scale completed. A repeat of a scale
   * still under way is accepted as the same scale (Pravega compares it with the running one); a
   * repeat after it completed hears "precondition failed" (the segments are sealed), so then the
   * successors of `seal` say whether this scale (the first attempt's) is what happened.
   */
  async scale(
    scope: string,
    stream: string,
    seal: bigint[],
    newRanges: Array<[number, number]>,
  ): Promise<{ epoch: number; segments: SegmentRange[] }> {
    let repeated = false;
    const r = await this.call(
      'scale',
      (c, o) =>
        c.scale(
          {
            streamInfo: { scope, stream },
            sealedSegments: seal,
            newKeyRanges: newRanges.map(([start, end]) => ({ start, end })),
            scaleTimestamp: BigInt(Date.now()),
          },
          o,
        ),
      undefined,
      () => {
        repeated = true;
      },
    );
    if (r.status === ScaleResponse_ScaleStreamStatus.PRECONDITION_FAILED) {
      const done = repeated ? await this.scaledAs(scope, stream, seal, newRanges) : undefined;
      if (done) return done;
      throw new GatewayError(
        'invalid-argument',
        `cannot scale ${scope}/${stream}: the sealed segments must be active, the new ranges must cover exactly theirs, and a fixed policy allows no fewer segments than it names`,
      );
    }
    if (r.status !== ScaleResponse_ScaleStreamStatus.STARTED)
      throw new GatewayError('internal', `controller failed to scale ${scope}/${stream}`);
    for (let i = 0; ; i++) {
      const s = await this.call('checkScale', (c, o) =>
        c.checkScale({ streamInfo: { scope, stream }, epoch: r.epoch }, o),
      );
      if (s.status === ScaleStatusResponse_ScaleStatus.SUCCESS) break;
      if (s.status !== ScaleStatusResponse_ScaleStatus.IN_PROGRESS)
        throw new GatewayError('internal', `scale of ${scope}/${stream} failed`);
      if (i > 600) throw new GatewayError('unavailable', `scale of ${scope}/${stream} did not finish in time`);
      await sleep(100);
    }
    return { epoch: r.epoch, segments: r.segments.map(toRange) };
  }

  /** The scale that sealed `seal`, if its successors are exactly `newRanges`. */
  private async scaledAs(
    scope: string,
    stream: string,
    seal: bigint[],
    newRanges: Array<[number, number]>,
  ): Promise<{ epoch: number; segments: SegmentRange[] } | undefined> {
    const successors = new Map<bigint, SegmentRange>();
    for (const id of seal) {
      const { successors: next } = await this.getSuccessors(scope, stream, id);
      if (next.length === 0) return undefined;
      for (const s of next) successors.set(s.segment.segmentId, s.segment);
    }
    const segments = [...successors.values()].sort((a, b) => a.minKey - b.minKey);
    const wanted = [...newRanges].sort((a, b) => a[0] - b[0]);
    const same =
      segments.length === wanted.length &&
      segments.every((s, i) => s.minKey === wanted[i]![0] && s.maxKey === wanted[i]![1]);
    return same ? { epoch: segmentEpoch(segments[0]!.segmentId), segments } : undefined;
  }

  // ---- transactions --------------------------------------------------------------------

  async createTransaction(
    scope: string,
    stream: string,
    leaseMs: number,
  ): Promise<{ txnId: string; segments: SegmentRange[]; delegationToken: string }> {
    const r = await this.call('createTransaction', (c, o) =>
      c.createTransaction({ streamInfo: { scope, stream }, lease: BigInt(leaseMs) }, o),
    );
    return {
      txnId: bitsToUuid(r.txnId?.highBits ?? 0n, r.txnId?.lowBits ?? 0n),
      segments: r.activeSegments.map(toRange),
      delegationToken: r.delegationToken,
    };
  }

  async pingTransaction(scope: string, stream: string, txnId: string, leaseMs: number): Promise<PingStatus> {
    const r = await this.call('pingTransaction', (c, o) =>
      c.pingTransaction({ streamInfo: { scope, stream }, txnId: uuidToBits(txnId), lease: BigInt(leaseMs) }, o),
    );
    const map: Record<number, PingStatus> = {
      [PingTxnStatus_Status.OK]: 'ok',
      [PingTxnStatus_Status.LEASE_TOO_LARGE]: 'lease-too-large',
      [PingTxnStatus_Status.MAX_EXECUTION_TIME_EXCEEDED]: 'max-execution-time-exceeded',
      [PingTxnStatus_Status.DISCONNECTED]: 'disconnected',
      [PingTxnStatus_Status.COMMITTED]: 'committed',
      [PingTxnStatus_Status.ABORTED]: 'aborted',
    };
    return map[r.status] ?? 'unknown';
  }

  /**
   * Idempotent in Pravega (committing a committing/committed txn succeeds), so retrying is safe.
   * `eventTime`: Pravega's Transaction.commit(timestamp), the time of writer `writerId` at the
   * transaction's end (the controller notes it as that writer's time once committed).
   */
  async commitTransaction(
    scope: string,
    stream: string,
    txnId: string,
    eventTime?: { writerId: string; timestamp: bigint },
  ): Promise<void> {
    const r = await this.call('commitTransaction', (c, o) =>
      c.commitTransaction(
        {
          streamInfo: { scope, stream },
          txnId: uuidToBits(txnId),
          writerId: eventTime?.writerId ?? '',
          timestamp: eventTime?.timestamp ?? MIN_LONG,
        },
        o,
      ),
    );
    await this.checkTxnStatus(r.status, scope, stream, txnId, 'commit');
  }

  async abortTransaction(scope: string, stream: string, txnId: string): Promise<void> {
    const r = await this.call('abortTransaction', (c, o) =>
      c.abortTransaction(
        { streamInfo: { scope, stream }, txnId: uuidToBits(txnId), writerId: '', timestamp: MIN_LONG },
        o,
      ),
    );
    await this.checkTxnStatus(r.status, scope, stream, txnId, 'abort');
  }

  private async checkTxnStatus(
    status: TxnStatus_Status,
    scope: string,
    stream: string,
    txnId: string,
    what: 'commit' | 'abort',
  ): Promise<void> {
    if (status === TxnStatus_Status.SUCCESS) return;
    if (status === TxnStatus_Status.STREAM_NOT_FOUND)
      throw new GatewayError('not-found', `stream ${scope}/${stream} does not exist`);
    if (status === TxnStatus_Status.TRANSACTION_NOT_FOUND)
      throw new GatewayError('not-found', `transaction ${txnId} does not exist`);
    const state = await this.transactionState(scope, stream, txnId);
    if (state === 'unknown') throw new GatewayError('not-found', `transaction ${txnId} does not exist`);
    if (what === 'commit' && (state === 'aborting' || state === 'aborted'))
      throw new GatewayError('txn-aborted', `transaction ${txnId} was aborted`);
    if (what === 'abort' && (state === 'committing' || state === 'committed'))
      throw new GatewayError('invalid-argument', `transaction ${txnId} is already committed`);
    throw new GatewayError('internal', `controller failed to ${what} transaction ${txnId} (state ${state})`);
  }

  async transactionState(scope: string, stream: string, txnId: string): Promise<TxnState> {
    const r = await this.call('checkTransactionState', (c, o) =>
      c.checkTransactionState({ streamInfo: { scope, stream }, txnId: uuidToBits(txnId) }, o),
    );
    const map: Record<number, TxnState> = {
      [TxnState_State.OPEN]: 'open',
      [TxnState_State.COMMITTING]: 'committing',
      [TxnState_State.COMMITTED]: 'committed',
      [TxnState_State.ABORTING]: 'aborting',
      [TxnState_State.ABORTED]: 'aborted',
    };
    return map[r.state] ?? 'unknown';
  }

  async getDelegationToken(
    scope: string,
    stream: string,
    access: 'read' | 'write' | 'read-write' | 'any',
  ): Promise<string> {
    const op = {
      read: StreamInfo_AccessOperation.READ,
      write: StreamInfo_AccessOperation.WRITE,
      'read-write': StreamInfo_AccessOperation.READ_WRITE,
      any: StreamInfo_AccessOperation.ANY,
    }[access];
    return (await this.call('getDelegationToken', (c, o) => c.getDelegationToken(this.info(scope, stream, op), o)))
      .delegationToken;
  }

  /** A cheap call that proves the controller answers (readiness). */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.call('checkScopeExists', (c, o) => c.checkScopeExists({ scope: '_system' }, o), signal);
  }

  async close(): Promise<void> {
    // Transports close their HTTP/2 sessions when idle; nothing else is held.
  }
}

/** Pravega's scaling policy for a stream's scaling (create and update). */
export function scalingPolicy(s: StreamScaling) {
  if (s.type === 'fixed')
    return { scaleType: ScalingPolicy_ScalingPolicyType.FIXED_NUM_SEGMENTS, minNumSegments: s.segments };
  return {
    scaleType:
      s.type === 'byEventRate'
        ? ScalingPolicy_ScalingPolicyType.BY_RATE_IN_EVENTS_PER_SEC
        : ScalingPolicy_ScalingPolicyType.BY_RATE_IN_KBYTES_PER_SEC,
    targetRate: s.targetRate,
    scaleFactor: s.scaleFactor,
    minNumSegments: s.minSegments,
  };
}

/** Pravega's retention policy; none is a policy of type UNKNOWN (what Java sends for a null policy). */
export function retentionPolicy(r: StreamRetention | undefined) {
  if (!r) return { retentionType: RetentionPolicy_RetentionPolicyType.UNKNOWN };
  return r.type === 'time'
    ? {
        retentionType: RetentionPolicy_RetentionPolicyType.TIME,
        retentionParam: BigInt(r.ms),
        retentionMax: r.maxMs === undefined ? MAX_LONG : BigInt(r.maxMs),
      }
    : {
        retentionType: RetentionPolicy_RetentionPolicyType.SIZE,
        retentionParam: BigInt(r.bytes),
        retentionMax: r.maxBytes === undefined ? MAX_LONG : BigInt(r.maxBytes),
      };
}
