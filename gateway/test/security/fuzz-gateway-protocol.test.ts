/**
 * Fuzzing the gateway protocol: its decoders (ClientFrame in the gateway, ServerFrame in the
 * SDK) and the session state machine behind them.
 *
 * Decoders: 10,000 cases each (SLUICE_FUZZ_RUNS for more) of random bytes and of valid frames —
 * generated from the protobuf descriptors, so every message type appears — with structure-aware
 * mutations: length varints rewritten, field tags replaced, truncations, insertions. The only
 * outcome allowed besides a frame is the package's typed `protocol` error.
 *
 * Session: random sequences of frames (open writer/reader/transaction, append, credit, close,
 * duplicate ids, unknown channels, garbage, text, a second Hello, mutated frames) on raw sockets
 * of an in-process gateway over the real standalone, 500 per run (SLUICE_FUZZ_RUNS/20
 * when set higher). The gateway never crashes; a socket is only ever closed with 1002; a
 * sequence without a protocol violation is never closed; and an SDK session on the same gateway
 * writes and reads throughout and reads back every event it wrote.
 */
import { create, type DescField, type DescMessage, fromBinary, ScalarType, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { Serializers, SluiceError } from '@sluice/sdk';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeServerFrame } from '../../../sdk/src/protocol/frames.js';
import { GatewayError } from '../../src/errors.js';
import type { RunningGateway } from '../../src/server/gateway.js';
import { decodeClientFrame } from '../../src/sessions/frames.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame, HELLO, RawClient } from '../helpers/raw-client.js';
import { connectSdk } from '../helpers/sdk.js';

const FUZZ_RUNS = Number(process.env.SLUICE_FUZZ_RUNS ?? 10_000);
const LIVE_RUNS = Math.max(500, Math.round(FUZZ_RUNS / 20));

// ---- frames generated from the descriptors ------------------------------------------------

function scalar(t: ScalarType): fc.Arbitrary<unknown> {
  switch (t) {
    case ScalarType.STRING:
      return fc.string({ maxLength: 12 });
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 24 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.integer({ min: 0, max: 0xffffffff });
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.double({ noNaN: true });
    default:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  }
}

function field(f: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (f.fieldKind) {
    case 'scalar':
      return scalar(f.scalar);
    case 'enum':
      return fc.constantFrom(...f.enum.values.map((v) => v.number));
    case 'message':
      return message(f.message, depth + 1);
    case 'list': {
      const element =
        f.listKind === 'scalar'
          ? scalar(f.scalar)
          : f.listKind === 'enum'
            ? fc.constantFrom(...f.enum.values.map((v) => v.number))
            : message(f.message, depth + 1);
      return fc.array(element, { maxLength: depth > 2 ? 0 : 3 });
    }
    default:
      return fc.constant({});
  }
}

const messages = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

/** Any message of this type (init shape), every field and oneof case possible, depth-limited. */
function message(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 4) return fc.constant({});
  const key = `${desc.typeName}@${depth}`;
  const known = messages.get(key);
  if (known) return known;
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    shape[member.localName] =
      member.kind === 'oneof'
        ? fc.oneof(
            fc.constant(undefined),
            ...member.fields.map((f) => field(f, depth).map((value) => ({ case: f.localName, value }))),
          )
        : fc.option(field(member, depth), { nil: undefined });
  }
  const arb = fc.record(shape).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
  messages.set(key, arb);
  return arb;
}

const encoded = (desc: DescMessage) => message(desc).map((init) => toBinary(desc, create(desc, init)));

// ---- structure-aware mutations ------------------------------------------------------------

function readVarint(buf: Uint8Array, at: number): [value: number, bytes: number] {
  let value = 0;
  for (let i = 0; i < 10 && at + i < buf.length; i++) {
    const b = buf[at + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  return [0, 0];
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  do {
    out.push((v % 128) | (v >= 128 ? 0x80 : 0));
    v = Math.floor(v / 128);
  } while (v > 0);
  return Uint8Array.from(out);
}

interface Spot {
  at: number;
  bytes: number;
  kind: 'tag' | 'len';
}

/** Where the tags and length prefixes are, walking nested messages (bytes that parse as one too). */
function spots(buf: Uint8Array, from: number, to: number, depth: number, out: Spot[]): Spot[] {
  let i = from;
  while (i < to) {
    const [tag, n] = readVarint(buf, i);
    if (n === 0) return out;
    out.push({ at: i, bytes: n, kind: 'tag' });
    i += n;
    const wireType = tag & 7;
    if (wireType === 0) {
      const [, m] = readVarint(buf, i);
      if (m === 0) return out;
      i += m;
    } else if (wireType === 1) i += 8;
    else if (wireType === 5) i += 4;
    else if (wireType === 2) {
      const [len, m] = readVarint(buf, i);
      if (m === 0) return out;
      out.push({ at: i, bytes: m, kind: 'len' });
      i += m;
      if (depth < 6) spots(buf, i, Math.min(to, i + len), depth + 1, out);
      i += len;
    } else return out;
  }
  return out;
}

const splice = (buf: Uint8Array, at: number, remove: number, insert: Uint8Array) =>
  Uint8Array.from([...buf.subarray(0, at), ...insert, ...buf.subarray(at + remove)]);

type Mutation = (buf: Uint8Array) => Uint8Array;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // a length prefix that lies: small, off by one, huge, or an overlong 10-byte varint
  fc
    .tuple(
      fc.nat(),
      fc.oneof(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: -1, max: 1 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.constant(-2),
      ),
    )
    .map(
      ([pick, value]): Mutation =>
        (buf) => {
          const lens = spots(buf, 0, buf.length, 0, []).filter((s) => s.kind === 'len');
          const s = lens[pick % Math.max(1, lens.length)];
          if (!s) return buf;
          const [old] = readVarint(buf, s.at);
          const replacement =
            value === -2
              ? Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
              : varint(value >= -1 && value <= 1 ? Math.max(0, old + value) : value);
          return splice(buf, s.at, s.bytes, replacement);
        },
    ),
  // a field tag replaced: any field number, any wire type (groups and the invalid 6 and 7 too)
  fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 29 })), fc.nat(7)).map(
    ([pick, fieldNo, wireType]): Mutation =>
      (buf) => {
        const tags = spots(buf, 0, buf.length, 0, []).filter((s) => s.kind === 'tag');
        const s = tags[pick % Math.max(1, tags.length)];
        return s ? splice(buf, s.at, s.bytes, varint(fieldNo * 8 + wireType)) : buf;
      },
  ),
  fc.nat().map(
    (cut): Mutation =>
      (buf) =>
        buf.subarray(0, cut % (buf.length + 1)),
  ),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(
    ([at, bytes]): Mutation =>
      (buf) =>
        splice(buf, at % (buf.length + 1), 0, bytes),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(
    ([at, value]): Mutation =>
      (buf) => {
        if (buf.length === 0) return buf;
        const out = Uint8Array.from(buf);
        out[at % out.length] = value;
        return out;
      },
  ),
);

const mutated = (desc: DescMessage) =>
  fc
    .tuple(encoded(desc), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([buf, ms]) => ms.reduce<Uint8Array>((b, m) => m(b), buf));

/** A decoder either returns a frame or throws its package's typed `protocol` error. */
function onlyTypedErrors(decode: () => unknown, typed: (err: unknown) => boolean): void {
  try {
    decode();
  } catch (err) {
    if (!typed(err)) throw err;
  }
}
const gatewayProtocolError = (err: unknown) => err instanceof GatewayError && err.code === 'protocol';
const sdkProtocolError = (err: unknown) => err instanceof SluiceError && err.code === 'protocol';

describe('gateway protocol decoders', () => {
  it('client and server frames generated from the descriptors round-trip', () => {
    for (const desc of [ClientFrameSchema, ServerFrameSchema]) {
      fc.assert(
        fc.property(encoded(desc), (bytes) => {
          expect(toBinary(desc, fromBinary(desc, bytes))).toEqual(bytes);
        }),
        { numRuns: 1_000 },
      );
    }
  });

  it('ClientFrame (gateway): random bytes only ever raise GatewayError protocol', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) =>
        onlyTypedErrors(() => decodeClientFrame(bytes), gatewayProtocolError),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('ClientFrame (gateway): mutated valid frames only ever raise GatewayError protocol', () => {
    let rejected = 0;
    fc.assert(
      fc.property(mutated(ClientFrameSchema), (bytes) =>
        onlyTypedErrors(
          () => decodeClientFrame(bytes),
          (err) => gatewayProtocolError(err) && ++rejected > 0,
        ),
      ),
      { numRuns: FUZZ_RUNS },
    );
    // The mutations reach the decoder's error paths, not only the happy one.
    expect(rejected).toBeGreaterThan(FUZZ_RUNS / 10);
  });

  it('ServerFrame (SDK): random bytes only ever raise SluiceError protocol', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) =>
        onlyTypedErrors(() => decodeServerFrame(bytes), sdkProtocolError),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('ServerFrame (SDK): mutated valid frames only ever raise SluiceError protocol', () => {
    let rejected = 0;
    fc.assert(
      fc.property(mutated(ServerFrameSchema), (bytes) =>
        onlyTypedErrors(
          () => decodeServerFrame(bytes),
          (err) => sdkProtocolError(err) && ++rejected > 0,
        ),
      ),
      { numRuns: FUZZ_RUNS },
    );
    expect(rejected).toBeGreaterThan(FUZZ_RUNS / 10);
  });
});

// ---- the session state machine, live ------------------------------------------------------

/** One step of a raw client; `violates` marks steps the gateway must answer with 1002. */
interface Step {
  bytes: Uint8Array | string;
  label: string;
  violates: boolean;
}

type Init = Parameters<typeof clientFrame>[0];
const step = (label: string, init: Init, violates = false): Step => ({ label, bytes: clientFrame(init), violates });

function stepArbitrary(scope: string): fc.Arbitrary<Step> {
  const channel = fc.integer({ min: 1, max: 4 });
  const stream = fc.constantFrom(
    `${scope}/fuzz`,
    `${scope}/missing`,
    'no-scope-here',
    'bad name!',
    '',
    `${scope}/fuzz`,
  );
  const payloads = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 4 });
  const wellFormed = fc.oneof(
    fc
      .tuple(channel, stream, fc.string({ maxLength: 8 }))
      .map(([c, s, w]) =>
        step(`openWriter ${c} ${s}`, { kind: { case: 'openWriter', value: { channel: c, stream: s, writerId: w } } }),
      ),
    fc.tuple(channel, stream, fc.nat(1000), fc.nat(100_000), fc.boolean()).map(([c, s, events, bytes, head]) =>
      step(`openReader ${c} ${s}`, {
        kind: {
          case: 'openReader',
          value: {
            channel: c,
            streams: [s],
            start: { case: head ? 'head' : 'tail', value: true },
            initialCreditEvents: events,
            initialCreditBytes: bytes,
          },
        },
      }),
    ),
    fc
      .tuple(channel, stream)
      .map(([c, s]) => step(`openTxn ${c} ${s}`, { kind: { case: 'openTxn', value: { channel: c, stream: s } } })),
    fc.tuple(channel, fc.bigInt({ min: 0n, max: 1000n }), payloads).map(([c, seq, ps]) =>
      step(`append ${c}`, {
        kind: { case: 'append', value: { channel: c, firstSequence: seq, events: ps.map((payload) => ({ payload })) } },
      }),
    ),
    fc
      .tuple(channel, fc.nat(1000), fc.nat(1_000_000))
      .map(([c, events, bytes]) =>
        step(`credit ${c}`, { kind: { case: 'credit', value: { channel: c, events, bytes } } }),
      ),
    channel.map((c) => step(`closeChannel ${c}`, { kind: { case: 'closeChannel', value: { channel: c } } })),
    fc
      .bigInt({ min: 0n, max: 2n ** 64n - 1n })
      .map((nonce) => step('ping', { kind: { case: 'ping', value: { nonce } } })),
    fc.tuple(fc.nat(100), stream).map(([id, s]) =>
      step(`streamInfo ${s}`, {
        kind: {
          case: 'request',
          value: {
            id,
            call: { case: 'streamInfo', value: { stream: s } },
          },
        },
      }),
    ),
  );
  // Rarer: each of these ends the sequence.
  const violating = fc.oneof(
    fc.constant(
      step('second hello', { kind: { case: 'hello', value: { protocolVersion: 2, clientName: 'again' } } }, true),
    ),
    fc.constant(step('empty frame', {}, true)),
    fc.constant<Step>({ label: 'text frame', bytes: 'hello?', violates: true }),
    // Random bytes: a violation when they do not decode or decode to no frame kind; when they
    // happen to decode to a real frame the gateway may take it (so no claim either way).
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes): Step => {
      let violates = false;
      try {
        violates = decodeClientFrame(bytes).kind.case === undefined;
      } catch {
        violates = true;
      }
      return { label: 'random bytes', bytes, violates };
    }),
  );
  return fc.oneof({ arbitrary: wellFormed, weight: 15 }, { arbitrary: violating, weight: 1 });
}

/**
 * Walks a sequence the way the gateway will see it and says whether it must be closed (1002),
 * must stay open, or may go either way (random bytes that decoded to some frame).
 */
function expectation(steps: Step[]): 'close' | 'open' | 'either' {
  const kinds = new Map<number, string>();
  let either = false;
  for (const s of steps) {
    if (s.violates) return 'close';
    if (s.label === 'random bytes') {
      either = true;
      continue;
    }
    const [verb, channel] = s.label.split(' ');
    const c = Number(channel);
    if (verb?.startsWith('open')) {
      // A second open of an id the gateway may not have released yet: a violation, or not.
      if (kinds.has(c)) either = true;
      kinds.set(c, verb);
    } else if (verb === 'closeChannel') {
      kinds.delete(c);
    } else if (verb === 'append' && kinds.has(c)) {
      // Append on a reader is a violation unless the gateway closed the reader first (racy).
      if (kinds.get(c) === 'openReader') either = true;
    } else if (verb === 'credit' && kinds.has(c)) {
      if (kinds.get(c) !== 'openReader') either = true;
    }
  }
  return either ? 'either' : 'open';
}

describe('session state machine under random frames', () => {
  const scope = uniqueName('fuzz');
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startTestGateway([
      '--connections-per-second-per-ip',
      '0',
      '--max-channels',
      '3',
      '--max-inflight-bytes',
      String(64 * 1024),
    ]);
    const admin = await connectSdk(gateway.url, scope);
    await admin.createScope(scope);
    await admin.createStream('fuzz', { scaling: { type: 'fixed', segments: 2 } });
    await admin.createStream('good', { scaling: { type: 'fixed', segments: 2 } });
    await admin.close();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it(`${LIVE_RUNS} random sequences: only 1002 closes, never a crash, an SDK session flows throughout`, async () => {
    // The well-behaved session: writes while the fuzzing runs and must read every event back.
    const good = await connectSdk(gateway.url, scope);
    const writer = good.writer('good', { serializer: Serializers.utf8() });
    const written: string[] = [];
    let fuzzing = true;
    const writing = (async () => {
      for (let i = 0; fuzzing; i++) {
        const batch = Array.from({ length: 20 }, (_, j) => `good-${i}-${j}`);
        await Promise.all(batch.map((v) => writer.write(v, v)));
        written.push(...batch);
      }
    })();

    const stats = { sequences: 0, closed1002: 0, stayedOpen: 0, either: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 9 }).map((n) => n > 0), // Hello first, mostly
        fc.array(stepArbitrary(scope), { minLength: 1, maxLength: 12 }),
        async (hello, steps) => {
          stats.sequences++;
          const c = await RawClient.open(gateway.url);
          if (typeof c === 'number') throw new Error(`upgrade refused: ${c}`);
          // Without Hello first, the first frame is a violation (unless it is a Hello).
          const all: Step[] = hello
            ? [{ label: 'hello', bytes: HELLO, violates: false }, ...steps]
            : steps.map((s, i) =>
                i > 0 || s.label === 'random bytes' ? s : { ...s, violates: s.label !== 'second hello' },
              );
          for (const s of all) c.send(s.bytes);
          const expected = expectation(all);
          // A Ping after the sequence: its Pong proves the gateway processed every frame before it.
          c.send(clientFrame({ kind: { case: 'ping', value: { nonce: 424242n } } }));
          const outcome = await Promise.race([
            c.until((f) => f.kind.case === 'pong' && f.kind.value.nonce === 424242n).then(() => 'open' as const),
            c.closed.then(() => 'closed' as const),
          ]).catch(() => 'closed' as const);
          const code = outcome === 'closed' ? await c.closed : undefined;
          c.terminate();
          const labels = all.map((s) => s.label).join(', ');
          if (outcome === 'closed') {
            stats.closed1002++;
            expect(code, labels).toBe(1002);
            expect(expected, labels).not.toBe('open');
          } else {
            stats.stayedOpen++;
            expect(expected, labels).not.toBe('close');
          }
          if (expected === 'either') stats.either++;
        },
      ),
      { numRuns: LIVE_RUNS },
    );

    fuzzing = false;
    await writing;
    // The gateway is up, and the SDK session read every event it wrote all along.
    expect((await fetch(`http://127.0.0.1:${gateway.port}/healthz`)).ok).toBe(true);
    const reader = good.reader('good', { serializer: Serializers.utf8(), from: 'head' });
    const seen = new Set<string>();
    for await (const ev of reader) {
      seen.add(ev.value);
      if (seen.size === written.length) break;
    }
    await reader.close();
    expect(seen).toEqual(new Set(written));
    let metrics = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
    const protocolErrors = Number(/^sluice_protocol_errors_total (\d+)/m.exec(metrics)?.[1]);
    console.log(
      `session fuzz: ${stats.sequences} sequences, ${stats.closed1002} closed with 1002 (metric: ${protocolErrors}), ${stats.stayedOpen} stayed open, ${stats.either} undetermined; SDK session wrote and read back ${written.length} events`,
    );
    expect(protocolErrors).toBe(stats.closed1002);
    // Every fuzzed session is gone again: only the SDK session is left.
    for (let i = 0; Number(/^sluice_sessions (\d+)/m.exec(metrics)?.[1]) !== 1; i++) {
      if (i > 100) throw new Error('fuzzed sessions were not all closed');
      await new Promise((r) => setTimeout(r, 100));
      metrics = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
    }
    expect(stats.closed1002).toBeGreaterThan(LIVE_RUNS / 10);
    expect(stats.stayedOpen).toBeGreaterThan(LIVE_RUNS / 10);
    await good.close();
  });
});
