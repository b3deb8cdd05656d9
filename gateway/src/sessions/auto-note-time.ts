/**
 * Pravega's EventWriterConfig.automaticallyNoteTime for a writer channel: the gateway notes its
 * own clock's time for the writer at a fixed interval, with the writer's acknowledged position
 * (as Java's writer notes System.currentTimeMillis() with its last observed write offsets every
 * 5 s). The gateway's clock, not the client's: a browser's clock is not trusted with event time.
 */
import type { Logger } from 'pino';
import type { ControllerClient } from '../controller/controller-client.js';
import { noteTimestampFromWriter } from '../controller/stream-api-rpc.js';
import { GatewayError } from '../errors.js';
import type { StreamWriter } from '../streams/stream-writer.js';

/** The shortest interval a client may ask for: each note is a controller call. */
export const MIN_AUTO_NOTE_TIME_MS = 1_000;

export function checkAutoNoteTimeMs(ms: number): void {
  if (ms !== 0 && ms < MIN_AUTO_NOTE_TIME_MS)
    throw new GatewayError(
      'invalid-argument',
      `auto_note_time_ms is 0 (off) or at least ${MIN_AUTO_NOTE_TIME_MS}, got ${ms}`,
    );
}

export class AutoNoteTime {
  private readonly timer: NodeJS.Timeout;
  private noting = false;
  private last = -1n;

  constructor(
    private readonly controller: ControllerClient,
    private readonly logger: Logger,
    private readonly writer: StreamWriter,
    everyMs: number,
  ) {
    this.timer = setInterval(() => void this.note(), everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async note(): Promise<void> {
    if (this.noting) return;
    this.noting = true;
    const now = BigInt(Date.now());
    try {
      // The controller refuses a time below one it has: a clock stepped back waits until it is past.
      if (now <= this.last) return;
      const w = this.writer;
      await noteTimestampFromWriter(this.controller, w.scope, w.stream, w.writerId, w.writePosition(), now);
      this.last = now;
    } catch (err) {
      // The next tick notes a later time; a missed note only delays the stream's watermark.
      this.logger.debug({ err, stream: `${this.writer.scope}/${this.writer.stream}` }, 'automatic noteTime failed');
    } finally {
      this.noting = false;
    }
  }
}
