import { create, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';

/** The oneof of a server frame, as plain init objects (no $typeName needed). */
export type ServerFrameKind = NonNullable<MessageInitShape<typeof ServerFrameSchema>['kind']>;

/** Encodes one server frame. */
export function encodeServerFrame(kind: ServerFrameKind): Uint8Array {
  return toBinary(ServerFrameSchema, create(ServerFrameSchema, { kind }));
}
