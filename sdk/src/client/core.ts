/**
 * What every client has, whatever it opens: one session with a gateway, the default scope and the
 * admin calls (scopes, streams, transactions by id, reader groups). It imports no reader, writer
 * or pipeline, so that an app that only writes (`@sluice/sdk/writer`) or only reads does not
 * carry the other half (docs/packaging.md, "Splitting the client").
 * Stream names are "scope/stream", or "stream" in the client's default scope.
 */
import { SluiceError } from '../errors.js';
import type { ReaderPosition } from '../reader/position.js';
import { StreamCut } from '../stream-cut.js';
import type { Timers } from '../transport/timers.js';
import type { WebSocketConstructor } from '../transport/websocket.js';
import { SDK_VERSION } from '../version.js';
import { commitTransaction, type TxnStatus, transactionStatus } from '../writer/transaction.js';
import { Connection, type ConnectionState } from './connection.js';
import type { ReaderGroupConfig } from './group-config.js';
import * as groupConfig from './group-config.js';
import type { CompletedTransaction, StreamConfiguration, StreamRetention, StreamScaling } from './stream-api.js';
import * as streamApi from './stream-api.js';

export type { GroupRetention, ReaderGroupConfig } from './group-config.js';

export type { CompletedTransaction, StreamConfiguration, StreamRetention, StreamScaling } from './stream-api.js';

export interface StreamConfig {
  scaling?: StreamScaling;
  retention?: StreamRetention;
  /** Pravega's stream tags (find streams by tag with listStreamsByTag). */
  tags?: string[];
}

export interface StreamInfo {
  stream: string;
  head: StreamCut;
  tail: StreamCut;
  segments: Array<{ segmentId: bigint; lowKey: number; highKey: number }>;
  sealed: boolean;
  /** Its scaling, retention and tags, as Pravega keeps them. */
  config: StreamConfiguration;
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

/** The session and the admin calls; the entries' clients add writers and readers. */
export class ClientCore implements AsyncDisposable {
  /** @internal */
  constructor(
    /** @internal */
    protected readonly conn: Connection,
    readonly scope: string | undefined,
  ) {}

  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Listens to connection state changes; returns a function that stops listening. */
  onStateChange(listener: (state: ConnectionState, error?: SluiceError) => void): () => void {
    return this.conn.onStateChange(listener);
  }

  /** @internal */
  protected qualify(name: string): string {
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

  /** Whether the scope exists (Pravega's StreamManager.checkScopeExists); internal scopes do not. */
  async checkScopeExists(scope: string, signal?: AbortSignal): Promise<boolean> {
    return groupConfig.checkScopeExists(this.conn, scope, signal);
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
    const scaling = streamApi.scalingFrame(config.scaling ?? { type: 'fixed', segments: 1 });
    const retention = streamApi.retentionFrame(config.retention);
    const reply = await this.call(
      {
        case: 'createStream',
        value: { stream: this.qualify(stream), scaling, tags: config.tags ?? [], ...(retention ? { retention } : {}) },
      },
      signal,
    );
    return reply.case === 'done' && reply.value;
  }

  async streamInfo(stream: string, signal?: AbortSignal): Promise<StreamInfo> {
    const [r, config] = await Promise.all([
      this.call({ case: 'streamInfo', value: { stream: this.qualify(stream) } }, signal),
      streamApi.streamConfiguration(this.conn, this.qualify(stream), signal),
    ]);
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
      config,
    };
  }

  /**
   * Replaces the stream's scaling, retention (absent: none) and tags, as Pravega's
   * StreamManager.updateStream; what is not given is taken from the current configuration.
   */
  async updateStream(
    stream: string,
    config: { scaling?: StreamScaling; retention?: StreamRetention | null; tags?: string[] },
    signal?: AbortSignal,
  ): Promise<void> {
    const name = this.qualify(stream);
    const current = await streamApi.streamConfiguration(this.conn, name, signal);
    const retention = config.retention === null ? undefined : (config.retention ?? current.retention);
    await streamApi.updateStream(
      this.conn,
      name,
      {
        scaling: config.scaling ?? current.scaling,
        tags: config.tags ?? current.tags,
        ...(retention ? { retention } : {}),
      },
      signal,
    );
  }

  /** Whether the stream exists (Pravega's StreamManager.checkStreamExists). */
  async checkStreamExists(stream: string, signal?: AbortSignal): Promise<boolean> {
    return streamApi.checkStreamExists(this.conn, this.qualify(stream), signal);
  }

  /** Streams of a scope (default: the client's) carrying `tag`, internal ones hidden. */
  async listStreamsByTag(tag: string, scope?: string, signal?: AbortSignal): Promise<string[]> {
    return streamApi.listStreamsByTag(this.conn, scope ?? this.scope ?? '', tag, signal);
  }

  /** Transactions of the stream the controller lists as completed (committed or aborted). */
  async listCompletedTransactions(stream: string, signal?: AbortSignal): Promise<CompletedTransaction[]> {
    return streamApi.listCompletedTransactions(this.conn, this.qualify(stream), signal);
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

  // ---- reader groups ---------------------------------------------------------------------

  /**
   * Creates a reader group before its first reader (Pravega's ReaderGroupManager.createReaderGroup),
   * with what a reader's options cannot say: consumption-based `retention`. True if created,
   * false if it existed (its configuration is then left as it is). Readers join it with
   * `client.reader(streams, { group })`; their `from` is ignored for a group that exists.
   */
  async createReaderGroup(group: string, config: ReaderGroupConfig, signal?: AbortSignal): Promise<boolean> {
    return groupConfig.createReaderGroup(this.conn, this.qualify(group), config, (n) => this.qualify(n), signal);
  }

  /**
   * Tells the controller what a `retention: 'manual'` group has consumed (Pravega's
   * ReaderGroup.updateRetentionStreamCut): the streams' retention may drop data before `cuts`.
   * A cut behind one given before fails with `invalid-argument`.
   */
  async updateRetentionStreamCut(group: string, cuts: StreamCut[], signal?: AbortSignal): Promise<void> {
    await groupConfig.updateRetentionStreamCut(this.conn, this.qualify(group), cuts, (n) => this.qualify(n), signal);
  }

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
  /**
   * Ends the session now; it does not wait for acknowledgements (close or flush writers first).
   * Everything pending settles: writes never sent reject with `cancelled`, writes sent but not
   * acknowledged with `outcome-unknown`, admin calls with `cancelled`; readers' iterations end.
   * Resolves once the socket has closed.
   */
  /**
   * The group's stream cuts now (Pravega's ReaderGroup.getStreamCuts): per stream, every segment
   * the group holds at its committed offset — where the group would resume. Valid stream cuts:
   * Java's StreamCut.from reads their text, and reading from them reads what the group has not
   * committed yet.
   */
  async readerGroupStreamCuts(group: string, signal?: AbortSignal): Promise<Map<string, StreamCut>> {
    const info = await this.describeReaderGroup(group, signal);
    const cuts = new Map(info.streams.map((s) => [s, new Map<bigint, bigint>()]));
    for (const seg of [...info.readers.flatMap((r) => r.segments), ...info.unassigned])
      cuts.get(seg.stream)?.set(seg.segment, seg.offset);
    return new Map([...cuts].map(([stream, positions]) => [stream, new StreamCut(stream, positions)]));
  }

  /**
   * A reader of the group is gone for good (Pravega's ReaderGroup.readerOffline): its segments
   * go back to the group at once — at `position` (e.g. its last saved `ev.position`) where it
   * names them, else at their committed offsets — instead of after its timeout. Resolves false
   * if the group has no such reader; that reader's own later commits fail with `reassigned`.
   */
  async readerOffline(
    group: string,
    readerId: string,
    position?: ReaderPosition,
    signal?: AbortSignal,
  ): Promise<boolean> {
    return streamApi.readerOffline(this.conn, this.qualify(group), readerId, position, signal);
  }

  /**
   * Starts a reader group over (Pravega's ReaderGroup.resetReaderGroup) from `from`: 'head',
   * 'tail' or one cut per stream of the group. Its readers are removed: each fails with
   * `reassigned` at its next commit and is to be opened again, reading from the new start.
   */
  async resetReaderGroup(group: string, from: 'head' | 'tail' | StreamCut[], signal?: AbortSignal): Promise<void> {
    const cuts = Array.isArray(from) ? from.map((c) => new StreamCut(this.qualify(c.stream), c.positions)) : from;
    await streamApi.resetReaderGroup(this.conn, this.qualify(group), cuts, signal);
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

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

/** @internal Opens the session `connect()` of each entry wraps in its client; resolves once it is live. */
export async function openConnection(options: ConnectOptions): Promise<Connection> {
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
  return conn;
}
