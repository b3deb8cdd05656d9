/** Gateway protocol frames (generated from proto/sluice/v1/gateway.proto). */
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema, type ServerFrame, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { SluiceError } from '../errors.js';
import { decodeEventsFrame } from './events-frame.js';

export type ClientFrameKind = NonNullable<MessageInitShape<typeof ClientFrameSchema>['kind']>;
export type ServerFrameKind = ServerFrame['kind'];

export const PROTOCOL_VERSION = 1;

export function encodeClientFrame(kind: ClientFrameKind): Uint8Array {
  return toBinary(ClientFrameSchema, create(ClientFrameSchema, { kind }));
}

/** Decodes one server frame; whatever the bytes, the only error is a SluiceError `protocol`. */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  try {
    return decodeEventsFrame(bytes) ?? fromBinary(ServerFrameSchema, bytes);
  } catch (err) {
    throw new SluiceError('protocol', `undecodable frame: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
