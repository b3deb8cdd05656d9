/** Gateway protocol frames (generated from proto/sluice/v1/gateway.proto). */
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema, type ServerFrame, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';

export type ClientFrameKind = NonNullable<MessageInitShape<typeof ClientFrameSchema>['kind']>;
export type ServerFrameKind = ServerFrame['kind'];

export const PROTOCOL_VERSION = 1;

export function encodeClientFrame(kind: ClientFrameKind): Uint8Array {
  return toBinary(ClientFrameSchema, create(ClientFrameSchema, { kind }));
}

export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  return fromBinary(ServerFrameSchema, bytes);
}
