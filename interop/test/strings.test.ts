/**
 * Java-exact strings and routing keys, against Pravega's own Java client (0.13.0) with strings the
 * Java side chose (interop/…/EdgeStrings.java: a leading U+FEFF, lone and reversed surrogates,
 * U+FFFE/U+FFFF, U+10000/U+10FFFD/U+10FFFF, C0 and C1 controls, NUL, long strings, random mixes):
 * - `Serializers.utf8()` gives the bytes Java's UTF8StringSerializer gives for every string, and
 *   reads every byte sequence (valid, BOM-led, malformed) as it reads it;
 * - through Pravega both ways: the SDK reads what Java wrote, Java reads what the SDK wrote;
 * - every routing key lands in the segment Java's client picks for the same string.
 * Strings cross the process boundary as hex UTF-16 code units, so nothing is lost on the way.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGatewayProcess } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const fx = useGatewayProcess('strings');
const { scope } = fx;
const utf8 = Serializers.utf8();

/** A string from hex UTF-16 units (4 digits each). */
function fromUnits(hex: string): string {
  let s = '';
  for (let i = 0; i < hex.length; i += 4) s += String.fromCharCode(Number.parseInt(hex.slice(i, i + 4), 16));
  return s;
}

/** A string's UTF-16 units in hex, 4 digits each. */
function units(s: string): string {
  let hex = '';
  for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).padStart(4, '0');
  return hex;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Short enough for a failure message. */
const brief = (text: string) => (text.length > 48 ? `${text.slice(0, 48)}…(${text.length})` : text);

describe('Serializers.utf8() ↔ UTF8StringSerializer', () => {
  it('writes the bytes Java writes for every string, and reads every byte sequence as Java reads it', async () => {
    const lines = (await javaPeer(['utf8-cases', '--count', '3000', '--seed', '23'])) as Array<{
      units: string;
      serialized?: string;
      bytes?: string;
      deserialized?: string;
    }>;
    const strings = lines.filter((l) => l.serialized !== undefined);
    const byteCases = lines.filter((l) => l.deserialized !== undefined);
    expect(strings.length).toBeGreaterThan(3000);
    expect(byteCases.length).toBeGreaterThan(6000); // each string's bytes behind a BOM, 3,000 mixes, all 256 single bytes
    const wrong: string[] = [];
    for (const l of strings) {
      const got = hex(utf8.serialize(fromUnits(l.units)));
      if (got !== l.serialized)
        wrong.push(`serialize ${brief(l.units)}: Java ${brief(l.serialized!)}, SDK ${brief(got)}`);
    }
    for (const l of byteCases) {
      const got = units(utf8.deserialize(Buffer.from(l.bytes!, 'hex')));
      if (got !== l.deserialized)
        wrong.push(`deserialize ${brief(l.bytes!)}: Java ${brief(l.deserialized!)}, SDK ${brief(got)}`);
    }
    expect(wrong).toEqual([]);
    // The cases the issue names, as Java answered them.
    const java = new Map(strings.map((l) => [l.units, l.serialized]));
    expect(java.get(units('\ufeffx'))).toBe('efbbbf78');
    expect(utf8.deserialize(Buffer.from('efbbbf78', 'hex'))).toBe('\ufeffx');
    expect(java.get(units('\ud800'))).toBe('3f');
  }, 180_000);
});

describe('through Pravega', () => {
  it('the SDK reads exactly what Java wrote with UTF8StringSerializer, a leading U+FEFF kept', async () => {
    const stream = uniqueName('java2sdk');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const lines = (await javaPeer(['write-strings', ...streamArgs(scope, stream), '--count', '300'])) as Array<{
      units?: string;
      read?: string;
      written?: number;
    }>;
    const written = lines.filter((l) => l.read !== undefined);
    expect(lines.at(-1)).toEqual({ written: written.length });
    const { tail } = await fx.client.streamInfo(stream);
    const got: string[] = [];
    for await (const ev of fx.client.reader(stream, { serializer: utf8, from: 'head', to: tail }))
      got.push(units(ev.value));
    expect(got.sort()).toEqual(written.map((l) => l.read!).sort());
    expect(got).toContain(units('\ufeffx'));
  }, 180_000);

  it('Java reads the bytes Java would have written from what the SDK wrote', async () => {
    const stream = uniqueName('sdk2java');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const cases = (await javaPeer(['utf8-cases', '--count', '300', '--seed', '37'])) as Array<{
      units: string;
      serialized?: string;
    }>;
    const strings = cases.filter((l) => l.serialized !== undefined);
    const writer = fx.client.writer(stream, { serializer: utf8 });
    await Promise.all(strings.map((l) => writer.write(fromUnits(l.units), fromUnits(l.units))));
    await writer.close();
    const read = (await javaPeer(['read', ...streamArgs(scope, stream), '--expect', String(strings.length)], {
      timeoutMs: 180_000,
    })) as Array<{ hex?: string; done?: boolean; count?: number }>;
    expect(read.at(-1)).toMatchObject({ done: true, count: strings.length });
    const got = read.filter((l) => l.hex !== undefined).map((l) => l.hex!);
    expect(got.sort()).toEqual(strings.map((l) => l.serialized!).sort());
  }, 180_000);
});

describe('routing keys', () => {
  it("every key, lone surrogates included, lands in the segment Java's client picks", async () => {
    const stream = uniqueName('keys');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 8 } });
    const placed = (await javaPeer([
      'route-keys',
      ...streamArgs(scope, stream),
      '--count',
      '600',
      '--seed',
      '29',
    ])) as Array<{
      units: string;
      segmentId: string;
    }>;
    expect(placed.length).toBeGreaterThan(600);
    const keys = placed.map((p) => fromUnits(p.units));
    const withLoneSurrogates = keys.filter((k) =>
      /[\ud800-\udfff]/.test(k.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')),
    );
    expect(withLoneSurrogates.length).toBeGreaterThan(100);
    // One event per key, its index as the payload; where each landed is read back.
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
    await Promise.all(keys.map((key, i) => writer.write(String(i), key)));
    await writer.close();
    const { tail } = await fx.client.streamInfo(stream);
    const landed = new Map<number, bigint>();
    for await (const ev of fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to: tail }))
      landed.set(Number(ev.value), ev.segment);
    expect(landed.size).toBe(keys.length);
    const wrong = placed
      .map((p, i) => ({ key: brief(p.units), java: BigInt(p.segmentId), sdk: landed.get(i) }))
      .filter((r) => r.java !== r.sdk);
    expect(wrong).toEqual([]);
    expect(new Set(placed.map((p) => p.segmentId)).size).toBe(8);
  }, 180_000);
});
