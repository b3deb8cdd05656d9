/**
 * Puts one large event back together from its AppendPart frames (gateway.proto): parts in order,
 * back to back, one event at a time per channel, bounded by Pravega's event limit. A part's bytes
 * are kept as they came (a view of its message, whose buffer is never reused: only Append frames
 * return theirs to the pool) and copied once, into the event, when the last arrives. Anything out
 * of order is a typed error and the channel closes (the SDK never sends such a sequence).
 */
import type { AppendPart } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { GatewayError } from '../errors.js';
import { fromUtf16le } from './append-frame.js';

/** Pravega's largest event (the Java client's Serializer.MAX_EVENT_SIZE): 8 MiB of payload. */
export const PRAVEGA_MAX_EVENT_BYTES = 8 * 1024 * 1024;

export interface AssembledEvent {
  readonly sequence: number;
  readonly payload: Uint8Array;
  readonly key: string | undefined;
}

export class EventAssembly {
  private sequence = 0;
  private total = -1;
  private readonly parts: Uint8Array[] = [];
  private received = 0;
  private key: string | undefined;

  constructor(private readonly maxEventBytes = PRAVEGA_MAX_EVENT_BYTES) {}

  /** True between an event's first part and its last. */
  get inProgress(): boolean {
    return this.total >= 0;
  }

  /**
   * Takes one part; returns the event once its last part arrived. `room`: bytes the channel may
   * still hold, checked at a first part against the event's whole size.
   */
  add(part: AppendPart, room: number): AssembledEvent | undefined {
    const sequence = Number(part.sequence);
    const total = part.totalBytes;
    const data = part.data;
    const hasKey = part.routingKey !== undefined || part.routingKeyUtf16.length > 0;
    if (this.total < 0) {
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
      this.sequence = sequence;
      this.total = total;
      this.key = part.routingKeyUtf16.length > 0 ? fromUtf16le(part.routingKeyUtf16) : part.routingKey;
    } else {
      if (sequence !== this.sequence)
        throw new GatewayError(
          'invalid-argument',
          `a part of event ${sequence} arrived while event ${this.sequence} was incomplete`,
        );
      if (total !== this.total)
        throw new GatewayError(
          'invalid-argument',
          `a part of event ${sequence} says ${total} bytes in all, the first said ${this.total}`,
        );
      if (part.offset !== this.received)
        throw new GatewayError(
          'invalid-argument',
          `a part of event ${sequence} starts at ${part.offset}; the next byte expected is ${this.received}`,
        );
      if (hasKey)
        throw new GatewayError('invalid-argument', `only the first part of event ${sequence} carries its routing key`);
    }
    if (data.length === 0) throw new GatewayError('invalid-argument', `an empty part of event ${sequence}`);
    if (this.received + data.length > this.total)
      throw new GatewayError(
        'invalid-argument',
        `a part of event ${sequence} runs past its end (${this.received + data.length} > ${this.total} bytes)`,
      );
    this.parts.push(data);
    this.received += data.length;
    if (this.received < this.total) return undefined;
    const payload = new Uint8Array(this.total);
    let at = 0;
    for (const p of this.parts) {
      payload.set(p, at);
      at += p.length;
    }
    const event = { sequence: this.sequence, payload, key: this.key };
    this.reset();
    return event;
  }

  /** Drops an incomplete event (the channel failed or closed). */
  reset(): void {
    this.total = -1;
    this.parts.length = 0;
    this.received = 0;
    this.key = undefined;
  }
}
