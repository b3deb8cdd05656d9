/**
 * A writer channel: events in, acknowledgements out — only after Pravega's: a cumulative level,
 * and the events above it that are durable too (Acked.beyond_*).
 */
import type { OpenWriter } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { requireRight } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import { parseStreamName } from '../streams/stream-name.js';
import { AppendingChannel } from './appending-channel.js';
import { AutoNoteTime, checkAutoNoteTimeMs } from './auto-note-time.js';
import type { ChannelHost } from './channel-host.js';
import { encodeServerFrame } from './frames.js';

export class WriterChannel extends AppendingChannel {
  private autoNoteTime: AutoNoteTime | undefined;

  constructor(
    session: ChannelHost,
    private readonly request: OpenWriter,
  ) {
    super(session, request.channel);
  }

  /** The gateway notes this writer's time itself (Java's automaticallyNoteTime): noteTime is refused. */
  get notesTimeAutomatically(): boolean {
    return this.request.autoNoteTimeMs > 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.autoNoteTime?.stop();
    this.dropEarly();
    this.writer?.detach(this);
  }

  protected async open(): Promise<void> {
    const { ctx } = this.session;
    try {
      if (!this.request.writerId) throw new GatewayError('invalid-argument', 'writer_id is required');
      checkAutoNoteTimeMs(this.request.autoNoteTimeMs);
      const { scope, stream } = parseStreamName(this.request.stream, ctx.defaultScope);
      requireRight(this.session.grants, scope, stream, 'write');
      const writer = ctx.writers.get(scope, stream, this.request.writerId);
      const lastSequence = await writer.open();
      if (this.closed) return;
      this.session.send(
        encodeServerFrame({
          case: 'writerOpened',
          value: { channel: this.channel, lastSequence, maxInflightBytes: ctx.limits.maxInflightBytesPerWriter },
        }),
      );
      this.attachWriter(writer);
      if (this.request.autoNoteTimeMs > 0)
        this.autoNoteTime = new AutoNoteTime(ctx.controller, this.session.logger, writer, this.request.autoNoteTimeMs);
    } catch (err) {
      this.fail(GatewayError.from(err));
    }
  }
}
