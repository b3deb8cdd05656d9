/**
 * Protobuf tags of the two hot-path frames, for their hand-written codecs: EventRuns (the
 * gateway encodes) and Append (the SDK encodes, the gateway decodes). Derived from the
 * generated schema, so they follow gateway.proto.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import {
  AppendSchema,
  ClientFrameSchema,
  EventDataSchema,
  EventRunSchema,
  EventRunsSchema,
  ServerFrameSchema,
} from './gen/sluice/v1/gateway_pb.js';

const VARINT = 0;
const LENGTH_DELIMITED = 2;

function tag(schema: DescMessage, localName: string, wireType: number): number {
  const field = schema.fields.find((f) => f.localName === localName);
  if (!field) throw new Error(`${schema.typeName} has no field ${localName}`);
  return (field.number << 3) | wireType;
}

/** ServerFrame.kind `eventRuns` (a tag above 15: two bytes as a varint). */
export const FRAME_EVENT_RUNS_TAG = tag(ServerFrameSchema, 'eventRuns', LENGTH_DELIMITED);
/** EventRuns.channel, EventRuns.runs. */
export const RUNS_CHANNEL_TAG = tag(EventRunsSchema, 'channel', VARINT);
export const RUN_TAG = tag(EventRunsSchema, 'runs', LENGTH_DELIMITED);
/** EventRun fields. */
export const RUN_STREAM_INDEX_TAG = tag(EventRunSchema, 'streamIndex', VARINT);
export const RUN_SEGMENT_ID_TAG = tag(EventRunSchema, 'segmentId', VARINT);
export const RUN_OFFSET_TAG = tag(EventRunSchema, 'offset', VARINT);
export const RUN_EVENTS_TAG = tag(EventRunSchema, 'events', LENGTH_DELIMITED);

/** ClientFrame.kind `append`, the writer's hot path (the SDK's encoder, the gateway's decoder). */
export const FRAME_APPEND_TAG = tag(ClientFrameSchema, 'append', LENGTH_DELIMITED);
/** Append fields. */
export const APPEND_CHANNEL_TAG = tag(AppendSchema, 'channel', VARINT);
export const APPEND_FIRST_SEQUENCE_TAG = tag(AppendSchema, 'firstSequence', VARINT);
export const APPEND_EVENT_TAG = tag(AppendSchema, 'events', LENGTH_DELIMITED);
/** EventData fields. */
export const EVENT_DATA_PAYLOAD_TAG = tag(EventDataSchema, 'payload', LENGTH_DELIMITED);
export const EVENT_DATA_ROUTING_KEY_TAG = tag(EventDataSchema, 'routingKey', LENGTH_DELIMITED);
export const EVENT_DATA_ROUTING_KEY_UTF16_TAG = tag(EventDataSchema, 'routingKeyUtf16', LENGTH_DELIMITED);
