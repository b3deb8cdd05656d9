/**
 * A fake gateway for SDK unit tests only: it injects what the real one cannot on cue (dropped
 * sockets, withheld acknowledgements). Everything else is tested against the real gateway.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import {
  type Append,
  type AppendPart,
  ClientFrameSchema,
  ServerFrameSchema,
} from '@sluice/proto/sluice/v1/gateway_pb.js';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * What the fake does with its n-th connection (1-based): welcome it; close it right after the
 * upgrade; or answer its Hello by closing with a code and reason (as the real gateway does with
 * 1002 for an unsupported version and 4001 for a refused token).
 */
export type ConnectionPolicy = 'welcome' | 'close-after-upgrade' | { code: number; reason: string };

export class FakeGateway {
  readonly appends: Append[] = [];
  /** AppendPart frames, as they came. */
  readonly parts: AppendPart[] = [];
  /** The size of every message received, in order. */
  readonly messageSizes: number[] = [];
  policy: (n: number) => ConnectionPolicy = () => 'welcome';
  /** Welcome's limits. */
  welcome = { maxMessageBytes: 1 << 20, maxEventBytes: 0 };
  private readonly wss: WebSocketServer;
  private socket: WebSocket | undefined;
  connections = 0;
  lastSequence = 0n;
  /** What a reader opened here is sent: its one segment's start offset and events (see openReader). */
  readerSegment: { segmentId: bigint; offset: bigint; payloads: Uint8Array[]; streamIndex?: number } | undefined;

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on('connection', (ws) => {
      this.socket = ws;
      const policy = this.policy(++this.connections);
      if (policy === 'close-after-upgrade') {
        ws.close();
        return;
      }
      ws.on('message', (data: Buffer) => {
        this.messageSizes.push(data.length);
        if (policy !== 'welcome') ws.close(policy.code, policy.reason);
        else this.onFrame(ws, data);
      });
    });
  }

  /** Acknowledges each append as it arrives. */
  autoAck = false;
  /** Keeps each append in `appends`; off, a sink for measuring the SDK alone (bench/sdk-writer-cpu.ts). */
  keepAppends = true;
  /** The in-flight window each writer is granted (the real gateway's default is 8 MiB). */
  maxInflightBytes = 1 << 20;

  static async start(): Promise<FakeGateway> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'sluice.v1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    return new FakeGateway(wss);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as { port: number }).port}`;
  }

  /** Acknowledges every event of channel 1 up to `seq`. */
  ack(seq: bigint): void {
    this.send(this.socket!, { case: 'acked', value: { channel: 1, throughSequence: seq } });
  }

  /** Acknowledges up to `through` and, above it, the events `[first, first + count)` of each range. */
  ackBeyond(through: bigint, ranges: Array<[first: bigint, count: number]>): void {
    this.send(this.socket!, {
      case: 'acked',
      value: {
        channel: 1,
        throughSequence: through,
        beyondFirst: ranges.map(([first]) => first),
        beyondCount: ranges.map(([, count]) => count),
      },
    });
  }

  /** Closes a channel of the current socket with an error, as the gateway does when a channel fails. */
  closeChannel(channel: number, error: { code: string; message: string }): void {
    this.send(this.socket!, { case: 'channelClosed', value: { channel, error } });
  }

  /** Says GoingAway on the current socket and closes it with 1001, as the gateway's shutdown does. */
  goAway(reason = 'gateway shutting down'): void {
    const ws = this.socket!;
    this.send(ws, { case: 'goingAway', value: { reason } });
    ws.close(1001, reason);
  }

  /** Drops the current socket as a crashed gateway would. */
  drop(): void {
    this.socket?.terminate();
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private send(ws: WebSocket, kind: NonNullable<MessageInitShape<typeof ServerFrameSchema>['kind']>): void {
    ws.send(toBinary(ServerFrameSchema, create(ServerFrameSchema, { kind })));
  }

  /** Opens a reader of `readerSegment` and sends its events back to back from its offset. */
  private openReader(ws: WebSocket, channel: number, stream: string): void {
    const { segmentId, offset, payloads, streamIndex = 0 } = this.readerSegment!;
    this.send(ws, {
      case: 'readerOpened',
      value: { channel, position: { streams: [{ stream, segments: [{ segmentId, offset }] }] } },
    });
    // One run of events as Pravega stores them: [int32 type 0][int32 length][payload] each.
    const events = Buffer.concat(
      payloads.flatMap((payload) => {
        const header = Buffer.alloc(8);
        header.writeInt32BE(payload.length, 4);
        return [header, payload];
      }),
    );
    this.send(ws, { case: 'eventRuns', value: { channel, runs: [{ streamIndex, segmentId, offset, events }] } });
  }

  private onFrame(ws: WebSocket, data: Buffer): void {
    const kind = fromBinary(ClientFrameSchema, data).kind;
    switch (kind.case) {
      case 'hello':
        this.send(ws, { case: 'welcome', value: { protocolVersion: 2, sessionId: 'fake', ...this.welcome } });
        return;
      case 'openWriter':
        this.send(ws, {
          case: 'writerOpened',
          value: {
            channel: kind.value.channel,
            lastSequence: this.lastSequence,
            maxInflightBytes: this.maxInflightBytes,
          },
        });
        return;
      case 'append': {
        const { channel, firstSequence, events } = kind.value;
        if (this.keepAppends) this.appends.push(kind.value);
        if (this.autoAck)
          this.send(ws, {
            case: 'acked',
            value: { channel, throughSequence: firstSequence + BigInt(events.length) - 1n },
          });
        return;
      }
      case 'appendPart':
        this.parts.push(kind.value);
        return;
      case 'request':
        // A bounded reader fixes its end first (sdk/src/reader/end-bound.ts): the cut is complete.
        if (kind.value.call.case === 'completeEndCut') {
          const cut = kind.value.call.value;
          this.send(ws, {
            case: 'reply',
            value: { id: kind.value.id, result: { case: 'streamInfo', value: { stream: cut.stream, tail: cut } } },
          });
        }
        return;
      case 'openReader':
        // Without a segment to serve, the reader is left waiting for ReaderOpened.
        if (this.readerSegment) this.openReader(ws, kind.value.channel, kind.value.streams[0]!);
        return;
      default:
        return;
    }
  }
}
