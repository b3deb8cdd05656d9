/**
 * Protobuf tags of the two hot-path frames, for their hand-written codecs: Events (the gateway
 * encodes, the SDK decodes) and Append (the SDK encodes, the gateway decodes). Derived from the
 * generated schema, so they follow gateway.proto.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import {
  AppendSchema,
  ClientFrameSchema,
  EventDataSchema,
  EventSchema,
  EventsSchema,
  ServerFrameSchema,
} from './gen/sluice/v1/gateway_pb.js';

const VARINT = 0;
const LENGTH_DELIMITED = 2;

function tag(schema: DescMessage, localName: string, wireType: number): number {
  const field = schema.fields.find((f) => f.localName === localName);
  if (!field) throw new Error(`${schema.typeName} has no field ${localName}`);
  return (field.number << 3) | wireType;
}

/** ServerFrame.kind `events`. */
export const FRAME_EVENTS_TAG = tag(ServerFrameSchema, 'events', LENGTH_DELIMITED);
/** Events.channel, Events.events. */
export const CHANNEL_TAG = tag(EventsSchema, 'channel', VARINT);
export const EVENT_TAG = tag(EventsSchema, 'events', LENGTH_DELIMITED);
/** Event fields. */
export const STREAM_INDEX_TAG = tag(EventSchema, 'streamIndex', VARINT);
export const SEGMENT_ID_TAG = tag(EventSchema, 'segmentId', VARINT);
export const OFFSET_TAG = tag(EventSchema, 'offset', VARINT);
export const PAYLOAD_TAG = tag(EventSchema, 'payload', LENGTH_DELIMITED);

/** ClientFrame.kind `append`, the writer's hot path (the SDK's encoder, the gateway's decoder). */
export const FRAME_APPEND_TAG = tag(ClientFrameSchema, 'append', LENGTH_DELIMITED);
/** Append fields. */
export const APPEND_CHANNEL_TAG = tag(AppendSchema, 'channel', VARINT);
export const APPEND_FIRST_SEQUENCE_TAG = tag(AppendSchema, 'firstSequence', VARINT);
export const APPEND_EVENT_TAG = tag(AppendSchema, 'events', LENGTH_DELIMITED);
/** EventData fields. */
export const EVENT_DATA_PAYLOAD_TAG = tag(EventDataSchema, 'payload', LENGTH_DELIMITED);
export const EVENT_DATA_ROUTING_KEY_TAG = tag(EventDataSchema, 'routingKey', LENGTH_DELIMITED);
