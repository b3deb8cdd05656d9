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
  /** The first bytes of a frame header cut across chunks. */
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** The frame cut across chunks, header included, allocated at its declared size. */
  private partial: Uint8Array | undefined;
  private partialFilled = 0;

  /** Where a frame copied out of its chunks is kept (exactly `size` bytes). */
  private readonly alloc: (size: number) => Buffer;

  constructor(opts: { maxFrameBytes?: number; alloc?: (size: number) => Buffer } = {}) {
    this.maxFrameBytes = Math.min(opts.maxFrameBytes ?? MAX_FRAME_BYTES, MAX_FRAME_BYTES);
    this.alloc = opts.alloc ?? Buffer.allocUnsafe;
  }

  get bufferedBytes(): number {
    return this.headerFilled + this.partialFilled;
  }

  /**
   * Decodes the whole frames that `chunk` completes. With `transient` the caller reuses the
   * chunk's memory once this returns (a socket reading into one fixed buffer), so every frame
   * is copied out before it is decoded; otherwise a frame that lies whole inside the chunk is
   * decoded in place and its byte fields are views of the chunk.
   */
  push(chunk: Uint8Array, transient = false): WireCommand[] {
    const out: WireCommand[] = [];
    let pos = 0;
    if (this.headerFilled > 0) {
      const n = Math.min(FRAME_HEADER_BYTES - this.headerFilled, chunk.length);
      this.header.set(chunk.subarray(0, n), this.headerFilled);
      this.headerFilled += n;
      pos = n;
      if (this.headerFilled < FRAME_HEADER_BYTES) return out;
      this.headerFilled = 0;
      this.partial = this.alloc(this.frameSize(this.header, 0));
      this.partial.set(this.header, 0);
      this.partialFilled = FRAME_HEADER_BYTES;
    }
    if (this.partial) {
      // A large frame arrives in many chunks: each is copied once into the frame's own buffer.
      const partial = this.partial;
      const n = Math.min(partial.length - this.partialFilled, chunk.length - pos);
      partial.set(chunk.subarray(pos, pos + n), this.partialFilled);
      this.partialFilled += n;
      pos += n;
      if (this.partialFilled < partial.length) return out;
      this.partial = undefined;
      this.partialFilled = 0;
      out.push(decodeFrame(partial));
    }
    while (chunk.length - pos >= FRAME_HEADER_BYTES) {
      const size = this.frameSize(chunk, pos);
      if (chunk.length - pos < size) {
        // Keep the partial frame (its declared size was already checked against the limit).
        this.partial = this.alloc(size);
        this.partial.set(chunk.subarray(pos), 0);
        this.partialFilled = chunk.length - pos;
        return out;
      }
      const frame = chunk.subarray(pos, pos + size);
      out.push(decodeFrame(transient ? Buffer.from(frame) : frame));
      pos += size;
    }
    if (pos < chunk.length) {
      this.header.set(chunk.subarray(pos), 0);
      this.headerFilled = chunk.length - pos;
    }
    return out;
  }

  /** The whole size of the frame whose header starts at `pos`, after checking the header. */
  private frameSize(bytes: Uint8Array, pos: number): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset + pos, FRAME_HEADER_BYTES);
    const code = view.getInt32(0);
    const length = view.getInt32(4);
    if (length < 0) throw new WireError('negative-length', `frame of type ${code} declares length ${length}`);
    if (length > this.maxFrameBytes - FRAME_HEADER_BYTES) {
      throw new WireError(
        'frame-too-large',
        `frame of type ${code} declares ${length} bytes (limit ${this.maxFrameBytes - FRAME_HEADER_BYTES})`,
      );
    }
    if (!BY_CODE.has(code)) throw new WireError('unknown-type', `unknown command type ${code}`);
    return FRAME_HEADER_BYTES + length;
  }
}

/** Decodes one whole frame whose header was checked. */
function decodeFrame(frame: Uint8Array): WireCommand {
  const code = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES).getInt32(0);
  return decodePayload(code, frame.subarray(FRAME_HEADER_BYTES));
}
