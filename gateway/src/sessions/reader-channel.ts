/** A reader channel: events out against the client's credit, each with its position. */
import type { OpenReader, Position } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { requireRight } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import type { StreamPositionState } from '../streams/position.js';
import { parseStreamName } from '../streams/stream-name.js';
import { type DeliveredEvent, type ReaderSink, type StartPosition, StreamReader } from '../streams/stream-reader.js';
import { encodeServerFrame } from './frames.js';
import type { Channel, Session } from './session.js';

export class ReaderChannel implements Channel, ReaderSink {
  private reader: StreamReader | undefined;
  private closed = false;
  private pendingCredit = { events: 0, bytes: 0 };

  constructor(
    private readonly session: Session,
    private readonly request: OpenReader,
  ) {
    this.pendingCredit = { events: request.initialCreditEvents, bytes: request.initialCreditBytes };
    // Start after the session has registered this channel, so an early failure can close it.
    queueMicrotask(() => void this.open());
  }

  grant(events: number, bytes: number): void {
    if (this.reader) this.reader.grant(events, bytes);
    else {
      this.pendingCredit.events += events;
      this.pendingCredit.bytes += bytes;
    }
  }

  close(): void {
    this.closed = true;
    this.reader?.close();
  }

  // ---- ReaderSink ------------------------------------------------------------------------

  onEvents(events: DeliveredEvent[]): void {
    this.session.ctx.metrics.eventsRead.inc(events.length);
    this.session.send(encodeServerFrame({ case: 'events', value: { channel: this.request.channel, events } }));
  }

  onSegmentsChanged(streamIndex: number, finished: bigint, started: bigint[], future: Map<bigint, Set<bigint>>): void {
    this.session.send(
      encodeServerFrame({
        case: 'segmentsChanged',
        value: {
          channel: this.request.channel,
          streamIndex,
          finished,
          started: started.map((segmentId) => ({ segmentId, offset: 0n })),
          future: [...future].map(([segmentId, waiting]) => ({ segmentId, waitingFor: [...waiting] })),
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
      const reader = new StreamReader(ctx.controller, ctx.segments, this.session.logger, streams, this);
      const positions = await reader.open(start, to, { batch: this.request.batch });
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
      reader.grant(this.pendingCredit.events, this.pendingCredit.bytes);
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
