import { segmentName } from '../controller/names.js';

/** A segment as the gateway addresses it: its stream, its id and its qualified name. */
export interface SegmentRef {
  readonly scope: string;
  readonly stream: string;
  readonly segmentId: bigint;
  /** What the segment store calls it: `scope/stream/<number>.#epoch.<epoch>` (or a txn segment). */
  readonly name: string;
}

export function segmentRef(scope: string, stream: string, segmentId: bigint): SegmentRef {
  return { scope, stream, segmentId, name: segmentName(scope, stream, segmentId) };
}
