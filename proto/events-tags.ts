/**
 * Protobuf tags of the two hot-path frames, for their hand-written codecs: EventRuns (the
 * gateway encodes) and Append (the SDK encodes, the gateway decodes). Derived from the
 * generated schema, so they follow gateway.proto.
 */
// From the codec's tables, not gateway_pb.ts: importing a protobuf-es schema would bring the whole
// file descriptor and its reflection runtime into the SDK's browser bundle (table-codec.ts).
import { GATEWAY_TABLE } from './gen/sluice/v1/gateway_codec.js';

const VARINT = 0;
const LENGTH_DELIMITED = 2;

function tag(message: string, localName: string, wireType: number): number {
  const fields = GATEWAY_TABLE.find(([typeName]) => typeName === `sluice.v1.${message}`)?.[1];
  const field = fields?.find(([, name]) => name === localName);
  if (!field) throw new Error(`sluice.v1.${message} has no field ${localName}`);
  return (field[0] << 3) | wireType;
}

/** ServerFrame.kind `eventRuns` (a tag above 15: two bytes as a varint). */
export const FRAME_EVENT_RUNS_TAG = tag('ServerFrame', 'eventRuns', LENGTH_DELIMITED);
/** EventRuns.channel, EventRuns.runs. */
export const RUNS_CHANNEL_TAG = tag('EventRuns', 'channel', VARINT);
export const RUN_TAG = tag('EventRuns', 'runs', LENGTH_DELIMITED);
/** EventRun fields. */
export const RUN_STREAM_INDEX_TAG = tag('EventRun', 'streamIndex', VARINT);
export const RUN_SEGMENT_ID_TAG = tag('EventRun', 'segmentId', VARINT);
export const RUN_OFFSET_TAG = tag('EventRun', 'offset', VARINT);
export const RUN_EVENTS_TAG = tag('EventRun', 'events', LENGTH_DELIMITED);

/** ClientFrame.kind `append`, the writer's hot path (the SDK's encoder, the gateway's decoder). */
export const FRAME_APPEND_TAG = tag('ClientFrame', 'append', LENGTH_DELIMITED);
/** Append fields. */
export const APPEND_CHANNEL_TAG = tag('Append', 'channel', VARINT);
export const APPEND_FIRST_SEQUENCE_TAG = tag('Append', 'firstSequence', VARINT);
export const APPEND_EVENT_TAG = tag('Append', 'events', LENGTH_DELIMITED);
/** EventData fields. */
export const EVENT_DATA_PAYLOAD_TAG = tag('EventData', 'payload', LENGTH_DELIMITED);
export const EVENT_DATA_ROUTING_KEY_TAG = tag('EventData', 'routingKey', LENGTH_DELIMITED);
export const EVENT_DATA_ROUTING_KEY_UTF16_TAG = tag('EventData', 'routingKeyUtf16', LENGTH_DELIMITED);
