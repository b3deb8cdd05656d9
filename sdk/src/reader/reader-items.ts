/**
 * What the reader queues from the gateway's frames. Events and position changes (a segment
 * finished, data truncated away, segments the group assigned, the end) share one queue, in the
 * order the gateway sent them, because a change applies only when the application reaches it:
 * the position of an event handed out must not already include what came after it.
 */
import type { ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { SluiceError } from '../errors.js';
import { RunEvents } from '../protocol/event-runs.js';

/** A segment finished: its successors that start now, and those still waiting for predecessors. */
export interface SegmentsChangedItem {
  kind: 'changed';
  streamIndex: number;
  finished: bigint;
  /** The finished segment stays at its end offset (a successor waits for other predecessors). */
  held: boolean;
  /** Segments the group gave to other readers. */
  released: bigint[];
  started: Array<[bigint, bigint]>;
  future: Array<[bigint, bigint[]]>;
}

/** Data below the reader's offset was truncated away: reading resumed at `resumed`. */
export interface TruncatedItem {
  kind: 'truncated';
  streamIndex: number;
  segment: bigint;
  requested: bigint;
  resumed: bigint;
}

/** Segments the group assigned to this reader, each with the offset to read from. */
export interface AssignedItem {
  kind: 'assigned';
  streamIndex: number;
  acquired: Array<[bigint, bigint]>;
}

export type ReaderItem =
  /** A frame's runs of events: taken an event at a time (`events` is at the one being taken). */
  | { kind: 'events'; events: RunEvents }
  | SegmentsChangedItem
  | TruncatedItem
  | AssignedItem
  | { kind: 'end' }
  /** A safe point to checkpoint (never from the gateway: see CheckpointSchedule). */
  | { kind: 'marker' };

/**
 * The item a frame queues; an error for events of a stream the reader does not read (a broken
 * gateway, never to be guessed at); undefined for a frame that queues nothing.
 */
export function itemOf(frame: ServerFrame['kind'], streamCount: number): ReaderItem | SluiceError | undefined {
  switch (frame.case) {
    case 'eventRuns': {
      const stray = frame.value.runs.find((r) => r.streamIndex >= streamCount);
      if (stray)
        return new SluiceError(
          'protocol',
          `the gateway sent events of stream #${stray.streamIndex} to a reader of ${streamCount} stream(s)`,
        );
      return { kind: 'events', events: new RunEvents(frame.value.runs) };
    }
    case 'segmentsChanged':
      return {
        kind: 'changed',
        streamIndex: frame.value.streamIndex,
        finished: frame.value.finished,
        held: frame.value.held,
        released: [...frame.value.released],
        started: frame.value.started.map((o) => [o.segmentId, o.offset]),
        future: frame.value.future.map((f) => [f.segmentId, [...f.waitingFor]]),
      };
    case 'truncated':
      return {
        kind: 'truncated',
        streamIndex: frame.value.streamIndex,
        segment: frame.value.segmentId,
        requested: frame.value.requestedOffset,
        resumed: frame.value.resumedOffset,
      };
    case 'endOfStream':
      return { kind: 'end' };
    case 'segmentsAssigned':
      return {
        kind: 'assigned',
        streamIndex: frame.value.streamIndex,
        acquired: frame.value.acquired.map((o) => [o.segmentId, o.offset]),
      };
    default:
      return undefined;
  }
}
