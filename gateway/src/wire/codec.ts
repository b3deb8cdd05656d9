/**
 * Frames: i32 type, i32 payload length, payload (fact sheet §1.2). `encodeCommand` writes one;
 * `CommandDecoder` takes bytes as they arrive and returns whole commands, refusing a frame
 * larger than its limit before buffering any of it.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { WireError } from './errors.js';
import { readField, writeField } from './fields.js';
import { COMMANDS, type CommandName, type FieldKind, type WireCommand } from './schema.js';

export const WIRE_VERSION = 16;
export const OLDEST_COMPATIBLE_VERSION = 5;
/** A whole frame, header included, is at most this long (the server's frame decoder limit). */
export const MAX_FRAME_BYTES = 0x00ffffff;
export const FRAME_HEADER_BYTES = 8;

type Spec = {
  code: number;
  fields: ReadonlyArray<readonly [string, FieldKind] | readonly [string, FieldKind, unknown]>;
};
const BY_NAME = COMMANDS as unknown as Record<CommandName, Spec>;
const BY_CODE = new Map<number, { name: CommandName; spec: Spec }>(
  (Object.entries(BY_NAME) as Array<[CommandName, Spec]>).map(([name, spec]) => [spec.code, { name, spec }]),
);

export function encodeCommand(cmd: WireCommand): Buffer {
  const spec = BY_NAME[cmd.type];
  const data = 'data' in cmd ? (cmd.data as Uint8Array).length : 0;
  const w = new ByteWriter(96 + data);
  w.i32(spec.code).i32(0);
  const values = cmd as unknown as Record<string, unknown>;
  for (const field of spec.fields) {
    const [name, kind] = field;
    const value = values[name] ?? (field.length === 3 ? field[2] : undefined);
    if (value === undefined) throw new WireError('malformed', `${cmd.type}.${name} is missing`);
    writeField(w, kind, value as never);
  }
  const frame = w.finish();
  if (frame.length > MAX_FRAME_BYTES)
    throw new WireError('frame-too-large', `${cmd.type} frame of ${frame.length} bytes`);
  w.patchI32(4, frame.length - FRAME_HEADER_BYTES);
  return frame;
}

/**
 * AppendBlockEnd whose `data` is the concatenation of `events` (whole event frames), as a list
 * of buffers to write in order: the frame head, the events themselves, the tail. The bytes are
 * exactly `encodeCommand` of the same command; the events are not copied (a writev sends them).
 */
export function encodeAppendBlockEndParts(cmd: {
  writerId: string;
  events: readonly Uint8Array[];
  numEvents: number;
  lastEventNumber: bigint;
  requestId: bigint;
}): Uint8Array[] {
  let size = 0;
  for (const e of cmd.events) size += e.length;
  // The frame with empty data is head (up to and including data's length) + tail (the fields after it).
  const empty = encodeCommand({
    type: 'AppendBlockEnd',
    writerId: cmd.writerId,
    sizeOfWholeEvents: size,
    data: new Uint8Array(0),
    numEvents: cmd.numEvents,
    lastEventNumber: cmd.lastEventNumber,
    requestId: cmd.requestId,
  });
  const headBytes = FRAME_HEADER_BYTES + 16 + 4 + 4; // writerId, sizeOfWholeEvents, data length
  if (empty.length + size > MAX_FRAME_BYTES)
    throw new WireError('frame-too-large', `AppendBlockEnd frame of ${empty.length + size} bytes`);
  empty.writeInt32BE(empty.length - FRAME_HEADER_BYTES + size, 4);
  empty.writeInt32BE(size, headBytes - 4);
  return [empty.subarray(0, headBytes), ...cmd.events, empty.subarray(headBytes)];
}

/** Decodes one frame's payload. */
export function decodePayload(code: number, payload: Uint8Array): WireCommand {
  const entry = BY_CODE.get(code);
  if (!entry) throw new WireError('unknown-type', `unknown command type ${code}`);
  const r = new ByteReader(payload);
  const out: Record<string, unknown> = { type: entry.name };
  for (const field of entry.spec.fields) {
    const [name, kind] = field;
    if (r.remaining === 0 && field.length === 3) {
      out[name] = field[2];
      continue;
    }
    out[name] = readField(r, kind);
  }
  return out as unknown as WireCommand;
}

export class CommandDecoder {
  private readonly maxFrameBytes: number;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Bytes the partial frame at the head of `chunks` needs in all (0 until its header is here). */
  private needed = 0;

  constructor(opts: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = Math.min(opts.maxFrameBytes ?? MAX_FRAME_BYTES, MAX_FRAME_BYTES);
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): WireCommand[] {
    const out: WireCommand[] = [];
    let buf: Uint8Array;
    if (this.buffered === 0) buf = chunk;
    else {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      // A large frame arrives in many chunks: join them once, when the whole frame is here.
      if (this.buffered < this.needed) return out;
      buf = Buffer.concat(this.chunks, this.buffered);
    }
    this.chunks = [];
    this.buffered = 0;
    this.needed = 0;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    while (buf.length - pos >= FRAME_HEADER_BYTES) {
      const code = view.getInt32(pos);
      const length = view.getInt32(pos + 4);
      if (length < 0) throw new WireError('negative-length', `frame of type ${code} declares length ${length}`);
      if (length > this.maxFrameBytes - FRAME_HEADER_BYTES) {
        throw new WireError(
          'frame-too-large',
          `frame of type ${code} declares ${length} bytes (limit ${this.maxFrameBytes - FRAME_HEADER_BYTES})`,
        );
      }
      if (!BY_CODE.has(code)) throw new WireError('unknown-type', `unknown command type ${code}`);
      if (buf.length - pos - FRAME_HEADER_BYTES < length) {
        this.needed = FRAME_HEADER_BYTES + length;
        break;
      }
      const payload = buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + length);
      out.push(decodePayload(code, payload));
      pos += FRAME_HEADER_BYTES + length;
    }
    if (pos < buf.length) {
      // Keep the partial frame (its declared size was already checked against the limit).
      // Copy: the caller may reuse its chunk, and we must not pin a large one for a few bytes.
      const rest = Uint8Array.prototype.slice.call(buf, pos);
      this.chunks = [rest];
      this.buffered = rest.length;
    }
    return out;
  }
}
