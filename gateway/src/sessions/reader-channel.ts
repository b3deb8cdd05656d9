/** A reader channel: events out against the client's credit, each with its position. */
import type { GroupCommit, OpenReader, Position } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { requireRight } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import { DEFAULT_GROUP_TIMEOUT_MS, GroupMember, type GroupMemberListener } from '../groups/group-member.js';
import { publishCheckpoint } from '../groups/group-retention.js';
import { parseSegmentKey, segmentKey } from '../groups/group-state.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import type { SegmentCompletion, StreamPositionState } from '../streams/position.js';
import { parseStreamName, type ScopedStream } from '../streams/stream-name.js';
import { type DeliveredRun, type ReaderSink, type StartPosition, StreamReader } from '../streams/stream-reader.js';
import { runPayloadBytes } from '../wire/index.js';
import type { Channel, ChannelHost } from './channel-host.js';
import { encodeEventRunsFrame } from './event-runs-frame.js';
import { encodeServerFrame } from './frames.js';

/** The most credit a reader holds at once (it sends at most this much past the high-water mark). */
const LEND_EVENTS = 1024;
const LEND_BYTES = 256 * 1024;

export class ReaderChannel implements Channel, ReaderSink, GroupMemberListener {
  private reader: StreamReader | undefined;
  private member: GroupMember | undefined;
  private names: string[] = [];
  private closed = false;
  /** Credit the client granted that the reader was not yet given (see `lend`). */
  private pendingCredit = { events: 0, bytes: 0 };
  /** Credit the reader holds: what it may still send. */
  private readonly lent = { events: 0, bytes: 0 };
  private waitingForRoom = false;

  constructor(
    private readonly session: ChannelHost,
    private readonly request: OpenReader,
  ) {
    this.pendingCredit = { events: request.initialCreditEvents, bytes: request.initialCreditBytes };
    // Start after the session has registered this channel, so an early failure can close it.
    queueMicrotask(() => void this.open());
  }

  grant(events: number, bytes: number): void {
    this.pendingCredit.events += events;
    this.pendingCredit.bytes += bytes;
    this.lend();
  }

  /**
   * Hands the client's credit to the reader a slice at a time, and only while the socket has
   * room. Credit is the client's to give, so alone it cannot bound the gateway's memory: a
   * client that grants much and reads nothing stops its reader at the socket's high-water mark
   * (plus one slice), and is then closed as a slow consumer.
   */
  private lend(): void {
    const reader = this.reader;
    if (!reader || this.closed) return;
    if (!this.session.hasRoom) {
      if (this.waitingForRoom) return;
      this.waitingForRoom = true;
      void this.session.whenRoom().then(() => {
        this.waitingForRoom = false;
        this.lend();
      });
      return;
    }
    const events = Math.max(0, Math.min(this.pendingCredit.events, LEND_EVENTS - this.lent.events));
    const bytes = Math.max(0, Math.min(this.pendingCredit.bytes, LEND_BYTES - this.lent.bytes));
    if (events === 0 && bytes === 0) return;
    this.pendingCredit.events -= events;
    this.pendingCredit.bytes -= bytes;
    this.lent.events += events;
    this.lent.bytes += bytes;
    reader.grant(events, bytes);
  }

  close(sessionLost?: boolean): void {
    this.closed = true;
    this.reader?.close();
    const member = this.member;
    if (!member) return;
    // A lost socket keeps the reader's segments until the group's timeout (it may come back);
    // a reader the client closed hands them back at once.
    if (sessionLost) member.stop();
    else
      member.leave().catch((err) => this.session.logger.warn({ err, group: member.group }, 'leaving the group failed'));
  }

  // ---- reader groups ---------------------------------------------------------------------

  /** A group reader's commit (its checkpoint); returns the segments it no longer owns. */
  async commitGroup(request: GroupCommit): Promise<Array<{ stream: string; segmentId: bigint; offset: bigint }>> {
    const member = this.member;
    if (!member || !this.reader) throw new GatewayError('invalid-argument', 'this reader is not in a reader group');
    const positions = new Map<string, bigint>();
    for (const sp of request.position?.streams ?? []) {
      const index = this.indexOf(sp.stream);
      for (const o of sp.segments) positions.set(segmentKey(index, o.segmentId), o.offset);
    }
    const finished = request.finished.map((f) => segmentKey(this.indexOf(f.stream), f.segmentId));
    let state: unknown;
    if (request.stateJson) {
      try {
        state = JSON.parse(request.stateJson);
      } catch {
        throw new GatewayError('invalid-argument', 'the checkpoint state is not JSON');
      }
    }
    const { released, publish } = await member.commit({
      positions,
      finished,
      ...(state !== undefined ? { state } : {}),
      ...(request.txn ? { txn: { stream: request.txn.stream, txnId: request.txn.txnId } } : {}),
    });
    // This commit completed a group checkpoint: an automatic-release group hands its cuts to the
    // controller's retention. Not awaited (the reader goes on).
    if (publish) this.onPublishDue();
    return released.map((key) => {
      const { streamIndex, segmentId } = parseSegmentKey(key);
      this.reader?.removeSegment(streamIndex, segmentId);
      return { stream: this.names[streamIndex]!, segmentId, offset: positions.get(key) ?? 0n };
    });
  }

  onAcquired(segments: Array<[string, bigint]>): void {
    if (this.closed || !this.reader) return;
    const byStream = new Map<number, Array<{ segmentId: bigint; offset: bigint }>>();
    for (const [key, offset] of segments) {
      const { streamIndex, segmentId } = parseSegmentKey(key);
      const list = byStream.get(streamIndex) ?? [];
      list.push({ segmentId, offset });
      byStream.set(streamIndex, list);
    }
    // The client learns of a segment before its first event.
    for (const [streamIndex, acquired] of byStream) {
      this.session.send(
        encodeServerFrame({
          case: 'segmentsAssigned',
          value: { channel: this.request.channel, streamIndex, acquired: acquired as never },
        }),
      );
      for (const a of acquired) this.reader.addSegment(streamIndex, a.segmentId, a.offset);
    }
  }

  onCheckpointRequested(id: number): void {
    if (this.closed) return;
    this.session.send(
      encodeServerFrame({
        case: 'checkpointRequested',
        value: { channel: this.request.channel, checkpointId: BigInt(id) },
      }),
    );
  }

  /**
   * Publishes the group's last checkpoint as its retention cut. A failure is retried at this
   * reader's next heartbeat (the checkpoint stays unpublished), and checkpointReaderGroup
   * publishes before it resolves.
   */
  onPublishDue(): void {
    const member = this.member;
    if (!member) return;
    publishCheckpoint({ ...this.session.ctx, logger: this.session.logger }, member.scope, member.group).catch((err) =>
      this.session.logger.warn(
        { err, group: `${member.scope}/${member.group}` },
        'publishing the retention cut failed',
      ),
    );
  }

  onGroupFinished(): void {
    this.onEnd();
  }

  onFailed(err: GatewayError): void {
    this.onError(err);
  }

  private indexOf(stream: string): number {
    const p = parseStreamName(stream, this.session.ctx.defaultScope);
    const index = this.names.indexOf(`${p.scope}/${p.stream}`);
    if (index < 0) throw new GatewayError('invalid-argument', `this reader does not read ${stream}`);
    return index;
  }

  private async openGroup(streams: ScopedStream[], names: string[]): Promise<void> {
    const { ctx } = this.session;
    const request = this.request;
    if (request.batch || request.to.length > 0)
      throw new GatewayError('invalid-argument', 'a reader group reads unbounded streams (no `to` cut, no batch)');
    if (!request.readerId) throw new GatewayError('invalid-argument', 'a group reader needs a reader id');
    // A group is reachable with read rights on its streams (checked above) — no separate grant.
    const group = parseStreamName(request.group, streams[0]!.scope);
    const member = new GroupMember(
      { ...ctx, logger: this.session.logger },
      group.scope,
      group.stream,
      request.readerId,
      streams,
      this,
    );
    let resume: { positions: Map<string, bigint>; finished: Set<string> } | undefined;
    if (request.resume && request.start.case === 'position') {
      const positions = new Map<string, bigint>();
      for (const sp of request.start.value.streams) {
        const index = this.indexOf(sp.stream);
        for (const o of sp.segments) positions.set(segmentKey(index, o.segmentId), o.offset);
      }
      resume = {
        positions,
        finished: new Set(request.finished.map((f) => segmentKey(this.indexOf(f.stream), f.segmentId))),
      };
    }
    const joined = await member.join(
      () => this.resolveGroupStart(streams, names),
      request.groupTimeoutMs || DEFAULT_GROUP_TIMEOUT_MS,
      resume,
    );
    this.member = member;
    if (this.closed) {
      member.stop();
      return;
    }
    const owned = streams.map(() => ({ active: new Map<bigint, bigint>(), future: new Map<bigint, Set<bigint>>() }));
    for (const [key, offset] of joined.owned) {
      const { streamIndex, segmentId } = parseSegmentKey(key);
      owned[streamIndex]!.active.set(segmentId, offset);
    }
    const reader = new StreamReader(ctx.controller, ctx.segments, this.session.logger, streams, this, ctx.tails);
    const positions = await reader.open({ type: 'position', streams: owned }, joined.ends, { group: true });
    if (this.closed) {
      reader.close();
      return;
    }
    this.reader = reader;
    this.session.send(
      encodeServerFrame({
        case: 'readerOpened',
        value: {
          channel: request.channel,
          position: toPositionMessage(names, positions),
          restoredJson: joined.restored ? JSON.stringify(joined.restored) : '',
        },
      }),
    );
    this.lend();
    member.startHeartbeats();
  }

  /** Where a new group starts: the reader's `from` (head, tail or a cut) for every stream. */
  private async resolveGroupStart(streams: ScopedStream[], names: string[]): Promise<Map<string, bigint>> {
    const { ctx } = this.session;
    const start = this.startOf(names);
    const result = new Map<string, bigint>();
    for (let i = 0; i < streams.length; i++) {
      const { scope, stream } = streams[i]!;
      let cut: Map<bigint, bigint>;
      if (start.type === 'position') cut = start.streams[i]!.active;
      else if (start.type === 'head') cut = await ctx.controller.getHeadCut(scope, stream);
      else {
        const { segments } = await ctx.controller.getCurrentSegments(scope, stream);
        const infos = await Promise.all(
          segments.map((s) => ctx.segments.segmentInfo(segmentRef(scope, stream, s.segmentId))),
        );
        cut = new Map(segments.map((s, j) => [s.segmentId, infos[j]!.writeOffset]));
      }
      for (const [segmentId, offset] of cut) result.set(segmentKey(i, segmentId), offset);
    }
    return result;
  }

  // ---- ReaderSink ------------------------------------------------------------------------

  onRuns(runs: DeliveredRun[], waitedMs: number): void {
    const pool = this.session.ctx.framePool;
    const frame = encodeEventRunsFrame(this.request.channel, runs, (size) => pool.take(size));
    this.session.send(frame, pool.pools(frame.length));
    let events = 0;
    for (const { run } of runs) {
      events += run.count;
      this.lent.bytes -= runPayloadBytes(run);
    }
    this.lent.events -= events;
    this.session.ctx.metrics.eventsRead.inc(events);
    this.session.ctx.metrics.service.deliverySeconds.observe(waitedMs / 1000);
    // Not from inside the reader's drain: credit granted there would be seen by its loop but
    // not by its last pass, leaving events queued with credit to send them and no one to.
    queueMicrotask(() => this.lend());
  }

  onSegmentsChanged(
    streamIndex: number,
    finished: bigint,
    change: SegmentCompletion,
    future: Map<bigint, Set<bigint>>,
  ): void {
    this.session.send(
      encodeServerFrame({
        case: 'segmentsChanged',
        value: {
          channel: this.request.channel,
          streamIndex,
          finished,
          started: change.started.map((segmentId) => ({ segmentId, offset: 0n })),
          future: [...future].map(([segmentId, waiting]) => ({ segmentId, waitingFor: [...waiting] })),
          held: change.held,
          released: change.released,
        },
      }),
    );
  }

  onTruncated(streamIndex: number, segmentId: bigint, requested: bigint, resumed: bigint): void {
    this.session.send(
      encodeServerFrame({
        case: 'truncated',
        value: {
          channel: this.request.channel,
          streamIndex,
          segmentId,
          requestedOffset: requested,
          resumedOffset: resumed,
        },
      }),
    );
  }

  onEnd(): void {
    if (this.closed) return;
    this.session.send(encodeServerFrame({ case: 'endOfStream', value: { channel: this.request.channel } }));
    this.session.closeChannel(this.request.channel);
  }

  onError(err: GatewayError): void {
    if (this.closed) return;
    this.session.closeChannel(this.request.channel, err);
  }

  // ---- opening ---------------------------------------------------------------------------

  private async open(): Promise<void> {
    const { ctx } = this.session;
    try {
      if (this.request.streams.length === 0)
        throw new GatewayError('invalid-argument', 'a reader needs at least one stream');
      const streams = this.request.streams.map((s) => parseStreamName(s, ctx.defaultScope));
      for (const s of streams) requireRight(this.session.grants, s.scope, s.stream, 'read');
      const names = streams.map((s) => `${s.scope}/${s.stream}`);
      await Promise.all(
        streams.map(async (s) => {
          if (!(await ctx.controller.streamExists(s.scope, s.stream))) {
            throw new GatewayError('not-found', `stream ${s.scope}/${s.stream} does not exist`);
          }
        }),
      );
      this.names = names;
      if (this.request.group) {
        await this.openGroup(streams, names);
        return;
      }
      const start = this.startOf(names);
      const to = names.map((name) => {
        const cut = this.request.to.find(
          (c) => (c.stream.includes('/') ? c.stream : `${ctx.defaultScope}/${c.stream}`) === name,
        );
        return cut ? new Map(cut.positions.map((p) => [p.segmentId, p.offset])) : undefined;
      });
      for (const cut of this.request.to) {
        const parsed = parseStreamName(cut.stream, ctx.defaultScope);
        if (!names.includes(`${parsed.scope}/${parsed.stream}`)) {
          throw new GatewayError(
            'invalid-argument',
            `the end cut is for ${cut.stream}, which this reader does not read`,
          );
        }
      }
      const reader = new StreamReader(ctx.controller, ctx.segments, this.session.logger, streams, this, ctx.tails);
      const positions = await reader.open(start, to, { batch: this.request.batch, ranges: this.request.ranges });
      if (this.closed) {
        reader.close();
        return;
      }
      this.reader = reader;
      this.session.send(
        encodeServerFrame({
          case: 'readerOpened',
          value: { channel: this.request.channel, position: toPositionMessage(names, positions) },
        }),
      );
      this.lend();
    } catch (err) {
      this.onError(GatewayError.from(err));
    }
  }

  private startOf(names: string[]): StartPosition {
    const start = this.request.start;
    if (start.case === 'tail') return { type: 'tail' };
    if (start.case === 'position') {
      const { ctx } = this.session;
      const byName = new Map(
        start.value.streams.map((s) => {
          const p = parseStreamName(s.stream, ctx.defaultScope);
          return [`${p.scope}/${p.stream}`, s];
        }),
      );
      return {
        type: 'position',
        streams: names.map((name) => {
          const s = byName.get(name);
          if (!s) throw new GatewayError('invalid-argument', `the position has no entry for ${name}`);
          return {
            active: new Map(s.segments.map((o) => [o.segmentId, o.offset])),
            future: new Map(s.future.map((f) => [f.segmentId, new Set(f.waitingFor)])),
          };
        }),
      };
    }
    return { type: 'head' };
  }
}

function toPositionMessage(names: string[], positions: StreamPositionState[]): Omit<Position, '$typeName'> {
  return {
    streams: positions.map((p, i) => ({
      stream: names[i]!,
      segments: [...p.active].map(([segmentId, offset]) => ({ segmentId, offset })),
      future: [...p.future].map(([segmentId, waiting]) => ({ segmentId, waitingFor: [...waiting] })),
    })) as never,
  };
}
