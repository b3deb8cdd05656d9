import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { type ClientFrame, ClientFrameSchema, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { GatewayError } from '../errors.js';

/** The oneof of a server frame, as plain init objects (no $typeName needed). */
export type ServerFrameKind = NonNullable<MessageInitShape<typeof ServerFrameSchema>['kind']>;

/** Encodes one server frame. */
export function encodeServerFrame(kind: ServerFrameKind): Uint8Array {
  return toBinary(ServerFrameSchema, create(ServerFrameSchema, { kind }));
}

/**
 * Decodes one client frame. Whatever the bytes, the only error is a GatewayError `protocol`
 * (the fuzz tests hold it to that): the session closes that socket with 1002.
 */
export function decodeClientFrame(data: Uint8Array): ClientFrame {
  try {
    return fromBinary(ClientFrameSchema, data);
  } catch (err) {
    throw new GatewayError('protocol', `undecodable frame: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
