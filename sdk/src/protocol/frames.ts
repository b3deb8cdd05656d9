/**
 * Gateway protocol frames (generated from proto/sluice/v1/gateway.proto). Encoded and decoded by
 * the generated table codec (@sluice/proto's table-codec.ts), not protobuf-es's reflection
 * runtime, which would add ~18 KB min+gzip to every browser app (docs/packaging.md).
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { decodeServerFrame as decode, encodeClientFrame as encode } from '@sluice/proto/sluice/v1/gateway_codec.js';
import type { ClientFrameSchema, ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { SluiceError } from '../errors.js';
import { checkRun } from './event-runs.js';

export type ClientFrameKind = NonNullable<MessageInitShape<typeof ClientFrameSchema>['kind']>;
export type ServerFrameKind = ServerFrame['kind'];

/** 2: events travel as EventRuns (field 16); version 1 sent one Event message per event (field 6). */
export const PROTOCOL_VERSION = 2;
/**
 * The oldest version this SDK speaks. Hello offers the range MIN..PROTOCOL_VERSION (and MIN alone
 * in its protocol_version, all a gateway from before ranges reads); the gateway picks.
 */
export const MIN_PROTOCOL_VERSION = 2;

export function encodeClientFrame(kind: ClientFrameKind): Uint8Array {
  return encode({ kind });
}

/**
 * Decodes one server frame, runs of events checked to be whole events; whatever the bytes, the
 * only error is a SluiceError `protocol`.
 */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  let frame: ServerFrame;
  try {
    frame = decode(bytes);
  } catch (err) {
    throw new SluiceError('protocol', `undecodable frame: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (frame.kind.case === 'eventRuns') {
    for (const run of frame.kind.value.runs) {
      const problem = checkRun(run);
      if (problem) throw new SluiceError('protocol', `malformed events: ${problem}`);
    }
  }
  return frame;
}
