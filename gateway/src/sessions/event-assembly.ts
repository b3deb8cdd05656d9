/**
 * Puts one large event back together from its AppendPart frames (gateway.proto): parts in order,
 * back to back, one event at a time per channel. The buffer is the event's size, allocated at its
 * first part and bounded by Pravega's event limit; anything out of order is a typed error and
 * the channel closes (the SDK never sends such a sequence).
 */
import type { AppendPart } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { GatewayError } from '../errors.js';

/** Pravega's largest event (the Java client's Serializer.MAX_EVENT_SIZE): 8 MiB of payload. */
export const PRAVEGA_MAX_EVENT_BYTES = 8 * 1024 * 1024;

export interface AssembledEvent {
  readonly sequence: number;
  readonly payload: Uint8Array;
  readonly key: string | undefined;
}

export class EventAssembly {
  private sequence = 0;
  private buffer: Uint8Array | undefined;
  private filled = 0;
  private key: string | undefined;

  constructor(private readonly maxEventBytes = PRAVEGA_MAX_EVENT_BYTES) {}

  /** True between an event's first part and its last. */
  get inProgress(): boolean {
    return this.buffer !== undefined;
  }

  /** Bytes held for the event being put together (its whole size from its first part on). */
  get heldBytes(): number {
    return this.buffer?.length ?? 0;
  }

  /**
   * Takes one part (its bytes are copied: the frame's buffer is not kept); returns the event
   * once its last part arrived. `room`: bytes the channel may still hold, checked at a first part.
   */
  add(part: AppendPart, room: number): AssembledEvent | undefined {
    const sequence = Number(part.sequence);
    const total = part.totalBytes;
    const data = part.data;
    if (!this.buffer) {
      if (part.offset !== 0)
        throw new GatewayError(
          'invalid-argument',
          `the first part of event ${sequence} starts at ${part.offset}, not 0`,
        );
      if (total > this.maxEventBytes)
        throw new GatewayError(
          'invalid-argument',
          `an event of ${total} bytes is larger than the gateway accepts (${this.maxEventBytes} bytes)`,
        );
      if (total === 0) throw new GatewayError('invalid-argument', `event ${sequence} in parts has no bytes`);
      if (!Number.isSafeInteger(sequence))
        throw new GatewayError('invalid-argument', 'sequence numbers must stay below 2^53');
      if (total > room)
        throw new GatewayError(
          'resource-exhausted',
          `an event of ${total} bytes does not fit in the writer's in-flight room (${Math.max(0, room)} bytes)`,
        );
      this.buffer = new Uint8Array(total);
      this.sequence = sequence;
      this.filled = 0;
      this.key = part.routingKey;
    } else {
      if (sequence !== this.sequence)
        throw new GatewayError(
          'invalid-argument',
          `a part of event ${sequence} arrived while event ${this.sequence} was incomplete`,
        );
      if (total !== this.buffer.length)
        throw new GatewayError(
          'invalid-argument',
          `a part of event ${sequence} says ${total} bytes in all, the first said ${this.buffer.length}`,
        );
      if (part.offset !== this.filled)
        throw new GatewayError(
          'invalid-argument',
          `a part of event ${sequence} starts at ${part.offset}; the next byte expected is ${this.filled}`,
        );
      if (part.routingKey !== undefined)
        throw new GatewayError('invalid-argument', `only the first part of event ${sequence} carries its routing key`);
    }
    if (data.length === 0) throw new GatewayError('invalid-argument', `an empty part of event ${sequence}`);
    if (this.filled + data.length > this.buffer.length)
      throw new GatewayError(
        'invalid-argument',
        `a part of event ${sequence} runs past its end (${this.filled + data.length} > ${this.buffer.length} bytes)`,
      );
    this.buffer.set(data, this.filled);
    this.filled += data.length;
    if (this.filled < this.buffer.length) return undefined;
    const event = { sequence: this.sequence, payload: this.buffer, key: this.key };
    this.reset();
    return event;
  }

  /** Drops an incomplete event (the channel closed). */
  reset(): void {
    this.buffer = undefined;
    this.filled = 0;
    this.key = undefined;
  }
}
