/**
 * Property tests: every command round-trips with arbitrary field values; random and mutated
 * bytes never produce anything but WireError, never hang, never buffer past the frame limit.
 * Structure-aware: lengths lie in the frame header and in the fields' own length prefixes and
 * counts (strings, blobs, lists). SLUICE_FUZZ_RUNS sets the number of fuzz cases (10,000 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/wire/bytes.js';
import { writeField } from '../../src/wire/fields.js';
import {
  COMMANDS,
  CommandDecoder,
  type CommandName,
  encodeCommand,
  type WireCommand,
  WireError,
} from '../../src/wire/index.js';

const FUZZ_RUNS = Number(process.env.SLUICE_FUZZ_RUNS ?? 10_000);

const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const bytes = fc.uint8Array({ maxLength: 64 });
const utf = fc.string({ maxLength: 40, unit: 'binary' });
const tableKey = fc.record({ key: fc.uint8Array({ minLength: 1, maxLength: 16 }), version: i64 });
const ARBITRARY: Record<string, fc.Arbitrary<unknown>> = {
  i8: fc.integer({ min: -128, max: 127 }),
  i32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  i64,
  bool: fc.boolean(),
  uuid: fc.uuid(),
  utf,
  blob: bytes,
  rest: bytes,
  i64list: fc.array(i64, { maxLength: 5 }),
  utflist: fc.array(utf, { maxLength: 5 }),
  tableKeys: fc.array(tableKey, { maxLength: 4 }),
  tableEntries: fc.array(fc.record({ key: tableKey, value: bytes }), { maxLength: 4 }),
  iteratorArgs: fc.record({ continuationToken: bytes, prefixFilter: bytes, fromKey: bytes, toKey: bytes }),
  eventFrame: bytes,
  attributeUpdates: fc.array(
    fc.record({
      attributeId: fc.uuid(),
      updateType: fc.integer({ min: -128, max: 127 }),
      newValue: i64,
      oldValue: i64,
    }),
    { maxLength: 3 },
  ),
  mergedSegments: fc.array(fc.record({ source: utf, newTargetWriteOffset: i64 }), { maxLength: 3 }),
};

function commandArbitrary(name: CommandName): fc.Arbitrary<WireCommand> {
  const spec = COMMANDS[name] as unknown as { fields: ReadonlyArray<readonly [string, string]> };
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [field, kind] of spec.fields) shape[field] = ARBITRARY[kind]!;
  return fc.record(shape).map((fields) => ({ type: name, ...fields }) as WireCommand);
}

const names = Object.keys(COMMANDS) as CommandName[];
const anyCommand = fc.constantFrom(...names).chain(commandArbitrary);

describe('round trip', () => {
  it.each(names)('%s: decode(encode(x)) = x', (name) => {
    fc.assert(
      fc.property(commandArbitrary(name), (cmd) => {
        const frame = encodeCommand(cmd);
        const decoded = new CommandDecoder().push(frame);
        expect(decoded).toHaveLength(1);
        expect(encodeCommand(decoded[0]!)).toEqual(frame);
      }),
      { numRuns: 50 },
    );
  });

  /**
   * Encodes `cmds` into one stream, cuts it at `cuts` (mod its length), feeds the pieces to one
   * decoder through `feed`, and checks the commands come back byte for byte.
   */
  function decodesInPieces(
    cmds: WireCommand[],
    cuts: number[],
    feed: (decoder: CommandDecoder, piece: Buffer) => WireCommand[],
  ): void {
    const stream = Buffer.concat(cmds.map((c) => encodeCommand(c)));
    const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
    const decoder = new CommandDecoder();
    const out: WireCommand[] = [];
    let from = 0;
    for (const p of [...points, stream.length]) {
      out.push(...feed(decoder, stream.subarray(from, p)));
      from = p;
    }
    expect(out.map((c) => encodeCommand(c))).toEqual(cmds.map((c) => encodeCommand(c)));
  }

  const commandsAndCuts = [
    fc.array(anyCommand, { minLength: 1, maxLength: 8 }),
    fc.array(fc.nat(), { maxLength: 10 }),
  ] as const;

  it('any sequence of commands survives arbitrary chunking', () => {
    fc.assert(
      fc.property(...commandsAndCuts, (cmds, cuts) => decodesInPieces(cmds, cuts, (d, piece) => d.push(piece))),
      { numRuns: 500 },
    );
  });

  it('decodes the same from one reused read buffer (a socket with `onread`) overwritten after each chunk', () => {
    fc.assert(
      fc.property(...commandsAndCuts, (cmds, cuts) => {
        let readBuffer = Buffer.alloc(0);
        decodesInPieces(cmds, cuts, (d, piece) => {
          if (readBuffer.length < piece.length) readBuffer = Buffer.alloc(piece.length);
          piece.copy(readBuffer);
          const out = d.push(readBuffer.subarray(0, piece.length), true);
          readBuffer.fill(0xa5); // the next read lands here: nothing decoded may still point at it
          return out;
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('fuzz', () => {
  const LIMIT = 64 * 1024;

  function feed(chunks: Uint8Array[]): void {
    const decoder = new CommandDecoder({ maxFrameBytes: LIMIT });
    try {
      for (const c of chunks) {
        decoder.push(c);
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(LIMIT);
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
    }
  }

  it('random bytes only ever raise WireError and stay within the frame limit', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (chunks) => feed(chunks)),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('valid frames with mutated length fields and bytes only ever raise WireError', () => {
    fc.assert(
      fc.property(
        anyCommand,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer(),
        (cmd, flips, newLength) => {
          const frame = Buffer.from(encodeCommand(cmd));
          if (newLength % 2 === 0) frame.writeInt32BE(newLength, 4); // a lying length header
          for (const [at, value] of flips) frame[at % frame.length] = value;
          feed([frame]);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  /** Where each length prefix or count of a command's fields sits in its frame, and its width. */
  function lengthFields(cmd: WireCommand): Array<{ at: number; width: 2 | 4 }> {
    const spec = COMMANDS[cmd.type] as unknown as { fields: ReadonlyArray<readonly [string, string, unknown?]> };
    const w = new ByteWriter();
    w.i32(0).i32(0);
    const out: Array<{ at: number; width: 2 | 4 }> = [];
    for (const field of spec.fields) {
      const [name, kind] = field;
      const at = w.pos;
      if (kind === 'utf') out.push({ at, width: 2 });
      else if (kind === 'eventFrame') out.push({ at: at + 4, width: 4 });
      else if (!['i8', 'i32', 'i64', 'bool', 'uuid', 'rest'].includes(kind)) out.push({ at, width: 4 });
      const value = (cmd as unknown as Record<string, unknown>)[name] ?? field[2];
      writeField(w, kind as never, value as never);
    }
    // The fields laid out as encodeCommand does: the spots are where the frame has them.
    expect(w.pos).toBe(encodeCommand(cmd).length);
    return out;
  }

  it('valid frames whose field length prefixes and counts lie only ever raise WireError', () => {
    let rejected = 0;
    fc.assert(
      fc.property(
        anyCommand,
        fc.nat(),
        fc.oneof(
          fc.constantFrom(-1, 0, 1, 0x7fff, 0xffff, 0x7fffffff, -(2 ** 31)),
          fc.integer({ min: -300, max: 300 }),
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        ),
        (cmd, pick, lie) => {
          const frame = Buffer.from(encodeCommand(cmd));
          const spots = lengthFields(cmd);
          const spot = spots[pick % Math.max(1, spots.length)];
          if (spot?.width === 2) frame.writeUInt16BE(((lie % 0x10000) + 0x10000) % 0x10000, spot.at);
          else if (spot) frame.writeInt32BE(spot.at + 4 <= frame.length ? lie : 0, spot.at);
          const decoder = new CommandDecoder({ maxFrameBytes: LIMIT });
          try {
            decoder.push(frame);
          } catch (err) {
            if (!(err instanceof WireError)) throw err;
            rejected++;
          }
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
    // The lies reach the field decoders' error paths, not only the happy one.
    expect(rejected).toBeGreaterThan(FUZZ_RUNS / 10);
  });
});
