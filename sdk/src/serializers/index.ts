/** Serializers whose bytes match Pravega's Java serializers (fact sheet §8). */
import { type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { basicSerializers } from './basic.js';
import type { Serializer } from './serializer.js';

export type { Serializer } from './serializer.js';

export const Serializers = {
  ...basicSerializers,
  /** Protobuf messages (protobuf-es schemas): the message's plain binary encoding, no header. */
  protobuf<Desc extends DescMessage>(schema: Desc): Serializer<MessageShape<Desc>> {
    return { serialize: (m) => toBinary(schema, m), deserialize: (b) => fromBinary(schema, b) };
  },
};
