/**
 * The client: one session with a gateway, admin calls, and factories for writers and readers.
 * Stream names are "scope/stream", or "stream" in the client's default scope.
 */
import { Retention_Type, Scaling_Type } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { BatchRange } from '../batch-range.js';
import { SluiceError } from '../errors.js';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import { ReaderPosition } from '../reader/position.js';
import { EventReader, type ReadEvent, type ReaderOptions } from '../reader/reader.js';
import { Serializers } from '../serializers/index.js';
import { StreamCut } from '../stream-cut.js';
import { cancelled, type Timers } from '../transport/timers.js';
import type { WebSocketConstructor } from '../transport/websocket.js';
import { SDK_VERSION } from '../version.js';
import { commitTransaction, type TxnStatus, transactionStatus } from '../writer/transaction.js';
import { EventWriter, type WriterOptions } from '../writer/writer.js';
import { Connection, type ConnectionState } from './connection.js';

export type StreamScaling =
  | { type: 'fixed'; segments: number }
  | { type: 'byEventRate' | 'byDataRate'; targetRate: number; scaleFactor: number; minSegments: number };
export type StreamRetention = { type: 'time'; ms: number } | { type: 'size'; bytes: number };

export interface StreamConfig {
  scaling?: StreamScaling;
  retention?: StreamRetention;
}

export interface StreamInfo {
  stream: string;
  head: StreamCut;
  tail: StreamCut;
  segments: Array<{ segmentId: bigint; lowKey: number; highKey: number }>;
  sealed: boolean;
}

export interface ConnectOptions {
  /** Default: SLUICE_URL where an environment exists, else ws://localhost:8080. */
  url?: string;
  /** Default scope for stream names without one. */
  scope?: string;
  /** A bearer token, or a function returning one (called again on every reconnect). */
  token?: string | (() => string | Promise<string>);
  /** A WebSocket constructor where the runtime has none (Node 20: the `ws` package's). */
  WebSocket?: unknown;
  /** Shown in the gateway's logs. */
  name?: string;
  /**
   * Backoff between attempts: full jitter, a random delay in [0, min(maxMs, baseMs · 2^n)) where
   * n grows with every wait and starts over only after a session stayed live for 10 s (defaults
   * 100 ms, 10 s). `maxAttempts`: attempts in a row that may fail before the client gives up
   * (state 'closed', error `unavailable`) — on the first connect and after every loss alike.
   * Default: 3 for the first connect, unlimited once live.
   */
  reconnect?: { baseMs?: number; maxMs?: number; maxAttempts?: number };
  /** From opening a socket to the gateway's Welcome; a slower attempt counts as failed (default 10 s). */
  handshakeTimeoutMs?: number;
  /**
   * Where the SDK's timers come from (default: the runtime's setTimeout/setInterval). Tests pass
   * one that records them, to fail when one is left behind.
   */
  timers?: Timers;
  /** Aborts the first connect: connect() rejects with `cancelled`. */
  signal?: AbortSignal;
}

function defaultUrl(): string {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.SLUICE_URL ?? 'ws://localhost:8080';
}

export class SluiceClient implements AsyncDisposable {
  /** @internal */
  constructor(
    private readonly conn: Connection,
    readonly scope: string | undefined,
  ) {}

  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Listens to connection state changes; returns a function that stops listening. */
  onStateChange(listener: (state: ConnectionState, error?: SluiceError) => void): () => void {
    return this.conn.onStateChange(listener);
  }

  private qualify(name: string): string {
    if (name.includes('/')) return name;
    return this.scope ? `${this.scope}/${name}` : name;
  }

  private async call(call: Parameters<Connection['request']>[0], signal?: AbortSignal) {
    return this.conn.request(call, signal);
  }

  /** True if created, false if it existed. */
  async createScope(scope: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.call({ case: 'createScope', value: { scope } }, signal);
    return r.case === 'done' && r.value;
  }

  async deleteScope(scope: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.call({ case: 'deleteScope', value: { scope } }, signal);
    return r.case === 'done' && r.value;
  }

  async listScopes(signal?: AbortSignal): Promise<string[]> {
    const r = await this.call({ case: 'listScopes', value: {} }, signal);
    return r.case === 'names' ? r.value.names : [];
  }

  /** Streams of a scope (internal streams hidden). */
  async listStreams(scope?: string, signal?: AbortSignal): Promise<string[]> {
    const r = await this.call({ case: 'listStreams', value: { scope: scope ?? this.scope ?? '' } }, signal);
    return r.case === 'names' ? r.value.names : [];
  }

  /** True if created, false if it existed. */
  async createStream(stream: string, config: StreamConfig = {}, signal?: AbortSignal): Promise<boolean> {
    const s = config.scaling ?? { type: 'fixed', segments: 1 };
    const scaling =
      s.type === 'fixed'
        ? { type: Scaling_Type.FIXED, segments: s.segments }
        : {
            type: s.type === 'byEventRate' ? Scaling_Type.BY_EVENT_RATE : Scaling_Type.BY_DATA_RATE,
            segments: s.minSegments,
            targetRate: s.targetRate,
            scaleFactor: s.scaleFactor,
          };
    const r = config.retention;
    const retention = r
      ? r.type === 'time'
        ? { type: Retention_Type.TIME, value: BigInt(r.ms) }
        : { type: Retention_Type.SIZE, value: BigInt(r.bytes) }
      : undefined;
    const reply = await this.call(
      { case: 'createStream', value: { stream: this.qualify(stream), scaling, ...(retention ? { retention } : {}) } },
      signal,
    );
    return reply.case === 'done' && reply.value;
  }

  async streamInfo(stream: string, signal?: AbortSignal): Promise<StreamInfo> {
    const r = await this.call({ case: 'streamInfo', value: { stream: this.qualify(stream) } }, signal);
    if (r.case !== 'streamInfo') throw new SluiceError('internal', 'unexpected reply to streamInfo');
    const v = r.value;
    const cut = (c: typeof v.head) =>
      new StreamCut(v.stream, new Map((c?.positions ?? []).map((p) => [p.segmentId, p.offset])));
    return {
      stream: v.stream,
      head: cut(v.head),
      tail: cut(v.tail),
      segments: v.segments.map((s) => ({ segmentId: s.segmentId, lowKey: s.lowKey, highKey: s.highKey })),
      sealed: v.sealed,
    };
  }

  async sealStream(stream: string, signal?: AbortSignal): Promise<void> {
    await this.call({ case: 'sealStream', value: { stream: this.qualify(stream) } }, signal);
  }

  async deleteStream(stream: string, signal?: AbortSignal): Promise<void> {
    await this.call({ case: 'deleteStream', value: { stream: this.qualify(stream) } }, signal);
  }

  /** Manual scale: seal `seal` and create segments for `newRanges` ([low, high) in [0, 1)). */
  async scaleStream(
    stream: string,
    change: { seal: bigint[]; newRanges: Array<[number, number]> },
    signal?: AbortSignal,
  ): Promise<void> {
    await this.call(
      {
        case: 'scaleStream',
        value: {
          stream: this.qualify(stream),
          seal: change.seal,
          newRanges: change.newRanges.map(([low, high]) => ({ low, high })),
        },
      },
      signal,
    );
  }

  /** Drops everything before `cut`. */
  async truncateStream(cut: StreamCut, signal?: AbortSignal): Promise<void> {
    await this.call(
      {
        case: 'truncateStream',
        value: {
          stream: this.qualify(cut.stream),
          positions: [...cut.positions].map(([segmentId, offset]) => ({ segmentId, offset })),
        },
      },
      signal,
    );
  }

  /** Commits a transaction from its id alone (recovery after a crash); resolves once committed. */
  async commitTransaction(stream: string, txnId: string, signal?: AbortSignal): Promise<void> {
    await commitTransaction(this.conn, this.qualify(stream), txnId, signal);
  }

  async abortTransaction(stream: string, txnId: string, signal?: AbortSignal): Promise<void> {
    await this.call({ case: 'abortTxn', value: { stream: this.qualify(stream), txnId } }, signal);
  }

  /** 'open' | 'committing' | 'committed' | 'aborting' | 'aborted' | 'unknown' */
  async transactionStatus(stream: string, txnId: string, signal?: AbortSignal): Promise<TxnStatus> {
    return transactionStatus(this.conn, this.qualify(stream), txnId, signal);
  }

  /**
   * A bounded batch read: every segment between `from` and `to` is read at once, in parallel;
   * each event in the range is yielded once, with no order across segments (within a segment,
   * in order). `from` defaults to the head, `to` to the tail at the time of the call.
   * `signal` ends the read at once, even while it waits for an event: the iteration throws
   * `cancelled` (it did not reach `to`). Leaving the loop early closes the read too.
   */
  async *readBatch<T = Uint8Array>(
    stream: string,
    opts: {
      from?: StreamCut | 'head';
      to?: StreamCut | 'tail';
      serializer?: ReaderOptions<T>['serializer'];
      signal?: AbortSignal;
    } = {},
  ): AsyncGenerator<ReadEvent<T>> {
    const name = this.qualify(stream);
    const needInfo = opts.from === undefined || opts.from === 'head' || opts.to === undefined || opts.to === 'tail';
    const info = needInfo ? await this.streamInfo(name, opts.signal) : undefined;
    const from = opts.from instanceof StreamCut ? opts.from : info!.head;
    const to = opts.to instanceof StreamCut ? opts.to : info!.tail;
    if (from.stream !== name && from.stream !== '' && this.qualify(from.stream) !== name) {
      throw new SluiceError('invalid-argument', `the start cut is for ${from.stream}, not ${name}`);
    }
    const reader = this.reader<T>(name, {
      ...(opts.serializer ? { serializer: opts.serializer } : {}),
      from,
      to,
      batch: true,
    });
    yield* untilEnd(reader, opts.signal, 'readBatch');
  }

  /**
   * A batch read between two cuts split into one range per segment, as Pravega's batch client
   * lists them: hand them to workers or tabs and read each with `readRange`; together they hold
   * every event between the cuts once. `from` defaults to the head, `to` to the tail now; a `to`
   * that leaves segments out bounds them as readBatch does (docs/stream-cuts.md).
   */
  async batchRanges(
    stream: string,
    opts: { from?: StreamCut | 'head'; to?: StreamCut | 'tail'; signal?: AbortSignal } = {},
  ): Promise<BatchRange[]> {
    const name = this.qualify(stream);
    const cut = (c: StreamCut | string | undefined) =>
      c instanceof StreamCut && !c.isUnbounded
        ? {
            stream: this.qualify(c.stream),
            positions: [...c.positions].map(([segmentId, offset]) => ({ segmentId, offset })),
          }
        : undefined;
    const from = cut(opts.from);
    const to = cut(opts.to);
    const r = await this.call(
      { case: 'batchRanges', value: { stream: name, ...(from ? { from } : {}), ...(to ? { to } : {}) } },
      opts.signal,
    );
    if (r.case !== 'ranges') throw new SluiceError('internal', 'unexpected reply to batchRanges');
    return r.value.ranges.map((x) => new BatchRange(x.stream, x.segmentId, x.start, x.end));
  }

  /**
   * Reads one range of `batchRanges` (here or in another worker, tab or process): its segment's
   * events from `start` up to `end`, in order. `signal` and leaving the loop early behave as in readBatch.
   */
  async *readRange<T = Uint8Array>(
    range: BatchRange,
    opts: { serializer?: ReaderOptions<T>['serializer']; signal?: AbortSignal } = {},
  ): AsyncGenerator<ReadEvent<T>> {
    const r = range instanceof BatchRange ? range : BatchRange.fromJSON(range);
    const reader = this.reader<T>(r.stream, {
      ...(opts.serializer ? { serializer: opts.serializer } : {}),
      from: new StreamCut(r.stream, new Map([[r.segment, r.start]])),
      to: new StreamCut(r.stream, new Map([[r.segment, r.end]])),
      batch: true,
      range: true,
    });
    yield* untilEnd(reader, opts.signal, 'readRange');
  }

  /** An exactly-once pipeline (read → process → transactional write) tied to checkpoints. */
  pipeline<I, O, S = unknown>(opts: PipelineOptions<I, O, S>): Pipeline<I, O, S> {
    return new Pipeline<I, O, S>(
      (stream, txnId, signal) => this.commitTransaction(stream, txnId, signal),
      (stream, txnId, signal) => this.transactionStatus(stream, txnId, signal),
      opts,
    );
  }

  // ---- reader groups ---------------------------------------------------------------------

  /** Reader groups of a scope (default: the client's). */
  async listReaderGroups(scope?: string, signal?: AbortSignal): Promise<string[]> {
    const r = await this.call({ case: 'listReaderGroups', value: { scope: scope ?? this.scope ?? '' } }, signal);
    return r.case === 'names' ? r.value.names : [];
  }

  /** Who reads what in a group, its committed offsets, last group checkpoint and lag. */
  async describeReaderGroup(group: string, signal?: AbortSignal): Promise<ReaderGroupInfo> {
    const r = await this.call({ case: 'describeReaderGroup', value: { group: this.qualify(group) } }, signal);
    if (r.case !== 'groupInfo') throw new SluiceError('internal', 'unexpected reply to describeReaderGroup');
    const v = r.value;
    const segs = (list: typeof v.unassigned) =>
      list.map((s) => ({ stream: s.stream, segment: s.segmentId, offset: s.offset }));
    return {
      group: v.group,
      streams: v.streams,
      readers: v.readers.map((rd) => ({
        readerId: rd.readerId,
        lastSeen: new Date(Number(rd.lastSeenMs)),
        segments: segs(rd.segments),
      })),
      unassigned: segs(v.unassigned),
      lastCheckpoint:
        v.lastCheckpointId > 0n
          ? {
              id: Number(v.lastCheckpointId),
              cuts: new Map(
                v.lastCheckpoint.map((c) => [
                  c.stream,
                  new StreamCut(c.stream, new Map(c.positions.map((p) => [p.segmentId, p.offset]))),
                ]),
              ),
            }
          : undefined,
      lagBytes: v.lagBytes,
    };
  }

  /** Deletes a group's state (its readers then fail with `not-found`); false if there was none. */
  async deleteReaderGroup(group: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.call({ case: 'deleteReaderGroup', value: { group: this.qualify(group) } }, signal);
    return r.case === 'done' && r.value;
  }

  /**
   * A group-wide checkpoint: every reader of the group commits at its next read; resolves with
   * the one consistent cut (per stream) that results.
   */
  async checkpointReaderGroup(
    group: string,
    signal?: AbortSignal,
  ): Promise<{ id: number; cuts: Map<string, StreamCut> }> {
    const r = await this.call({ case: 'checkpointReaderGroup', value: { group: this.qualify(group) } }, signal);
    if (r.case !== 'groupCheckpoint') throw new SluiceError('internal', 'unexpected reply to checkpointReaderGroup');
    return {
      id: Number(r.value.id),
      cuts: new Map(
        r.value.cuts.map((c) => [
          c.stream,
          new StreamCut(c.stream, new Map(c.positions.map((p) => [p.segmentId, p.offset]))),
        ]),
      ),
    };
  }

  writer<T>(stream: string, opts: WriterOptions<T>): EventWriter<T> {
    return new EventWriter(this.conn, this.qualify(stream), opts);
  }

  reader<T = Uint8Array>(streams: string | string[], opts?: Partial<ReaderOptions<T>>): EventReader<T> {
    const names = (Array.isArray(streams) ? streams : [streams]).map((s) => this.qualify(s));
    if (names.length === 0) throw new SluiceError('invalid-argument', 'a reader needs at least one stream');
    const serializer = opts?.serializer ?? (Serializers.bytes() as unknown as ReaderOptions<T>['serializer']);
    let from = opts?.from;
    if (from instanceof ReaderPosition) {
      const position = from;
      const missing = names.filter((n) => !position.streams.has(n));
      if (missing.length > 0)
        throw new SluiceError('invalid-argument', `the position has no entry for ${missing.join(', ')}`);
    } else if (from instanceof StreamCut || Array.isArray(from)) {
      const cuts = (Array.isArray(from) ? from : [from])
        .filter((c) => !c.isUnbounded)
        .map((c) => new StreamCut(this.qualify(c.stream), c.positions));
      for (const c of cuts) {
        if (!names.includes(c.stream))
          throw new SluiceError(
            'invalid-argument',
            `the start cut is for ${c.stream}, which this reader does not read`,
          );
      }
      if (cuts.length > 0) {
        const missing = names.filter((n) => cuts.filter((c) => c.stream === n).length !== 1);
        if (missing.length > 0)
          throw new SluiceError(
            'invalid-argument',
            `a start from cuts needs exactly one cut for ${missing.join(', ')}`,
          );
      }
      from = Array.isArray(from) ? cuts : (cuts[0] ?? from);
    }
    return new EventReader<T>(this.conn, names, { ...opts, serializer, ...(from !== undefined ? { from } : {}) });
  }

  /**
   * Ends the session now; it does not wait for acknowledgements (close or flush writers first).
   * Everything pending settles: writes never sent reject with `cancelled`, writes sent but not
   * acknowledged with `outcome-unknown`, admin calls with `cancelled`; readers' iterations end.
   * Resolves once the socket has closed.
   */
  async close(): Promise<void> {
    await this.conn.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Connects to a gateway; resolves once the session is live. */
export interface ReaderGroupInfo {
  group: string;
  streams: string[];
  readers: Array<{ readerId: string; lastSeen: Date; segments: GroupSegment[] }>;
  /** Segments no reader owns right now (the next reader to look takes them). */
  unassigned: GroupSegment[];
  lastCheckpoint: { id: number; cuts: Map<string, StreamCut> } | undefined;
  /** Bytes after the group's committed offsets. */
  lagBytes: bigint;
}

/** A segment of a group with its committed offset. */
export interface GroupSegment {
  stream: string;
  segment: bigint;
  offset: bigint;
}

export async function connect(options: ConnectOptions = {}): Promise<SluiceClient> {
  const Ctor = (options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket) as
    | WebSocketConstructor
    | undefined;
  if (!Ctor) {
    throw new SluiceError(
      'invalid-argument',
      'this runtime has no global WebSocket: pass one as connect({ WebSocket }) (on Node 20: the `ws` package)',
    );
  }
  const conn = new Connection({
    url: options.url ?? defaultUrl(),
    WebSocket: Ctor,
    token: options.token,
    name: options.name ?? `@sluice/sdk ${SDK_VERSION}`,
    reconnect: options.reconnect ?? {},
    ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    ...(options.timers ? { timers: options.timers } : {}),
  });
  await conn.start(options.signal);
  return new SluiceClient(conn, options.scope);
}

/** A bounded reader's events until its end; `signal` ends it at once with `cancelled`. */
async function* untilEnd<T>(reader: EventReader<T>, signal: AbortSignal | undefined, what: string) {
  // An abort closes the reader, which ends the iteration even while it waits for an event.
  const onAbort = () => void reader.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const ev of reader) {
      if (signal?.aborted) break;
      yield ev;
    }
    // An aborted read did not reach its end: it says so rather than end as if it had.
    if (signal?.aborted) throw cancelled(signal, what);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await reader.close();
  }
}
