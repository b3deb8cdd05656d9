/** Pravega's segment-store wire protocol: pure encode/decode, no I/O. */

export { decodeModifiedUtf8, encodeModifiedUtf8 } from './bytes.js';
export {
  CommandDecoder,
  decodePayload,
  encodeAppendBlockEndParts,
  encodeCommand,
  FRAME_HEADER_BYTES,
  MAX_FRAME_BYTES,
  OLDEST_COMPATIBLE_VERSION,
  WIRE_VERSION,
} from './codec.js';
export { WireError, type WireErrorCode } from './errors.js';
export {
  cutBefore,
  EVENT_HEADER_BYTES,
  type EventRun,
  type RunLease,
  runEnd,
  runFrom,
  runPayloadBytes,
  splitRun,
} from './event-run.js';
export {
  EventFrameParser,
  encodeEventFrame,
  encodeEventFrames,
  headerOnly,
  MAX_EVENT_BYTES,
  UNCOPIED_PAYLOAD_BYTES,
} from './events.js';
export {
  COMMANDS,
  type Command,
  type CommandName,
  type TableEntry,
  type TableKey,
  type WireCommand,
} from './schema.js';
