/**
 * Protobuf tags of the Events frame, for the hand-written codecs on its hot path (the gateway's
 * encoder, the SDK's decoder). Derived from the generated schema, so they follow gateway.proto.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { EventSchema, EventsSchema, ServerFrameSchema } from './gen/sluice/v1/gateway_pb.js';

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
