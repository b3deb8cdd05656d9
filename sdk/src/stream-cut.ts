/**
 * A stream cut: for each segment of one stream, the offset of an event boundary. Its text form is
 * Java's `StreamCut.asText()` (fact sheet §7.3): "0:<scope/stream>:<numbers>:<epochs>:<offsets>",
 * gzipped and Base64-encoded. Gzip output differs between implementations, so compare decoded
 * cuts, not strings. `toText`/`fromText` are async because CompressionStream is.
 */
import { SluiceError } from './errors.js';

const UNBOUNDED_TEXT = 'UNBOUNDED';

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

export class StreamCut {
  /** No bound: the head when used as a start, the tail when used as an end. */
  static readonly UNBOUNDED = new StreamCut('', new Map());

  constructor(
    /** "scope/stream" */
    readonly stream: string,
    /** segment id (epoch << 32 | number) → offset */
    readonly positions: ReadonlyMap<bigint, bigint>,
  ) {}

  get isUnbounded(): boolean {
    return this.positions.size === 0;
  }

  async toText(): Promise<string> {
    if (this.isUnbounded) return UNBOUNDED_TEXT;
    const ids = [...this.positions.keys()];
    const numbers = ids.map((id) => (id & 0xffffffffn).toString());
    const epochs = ids.map((id) => (id >> 32n).toString());
    const offsets = ids.map((id) => this.positions.get(id)!.toString());
    const plain = `0:${this.stream}:${numbers.join(',')}:${epochs.join(',')}:${offsets.join(',')}`;
    const gz = await pipe(new TextEncoder().encode(plain), new CompressionStream('gzip'));
    let bin = '';
    for (const b of gz) bin += String.fromCharCode(b);
    return btoa(bin);
  }

  static async fromText(text: string): Promise<StreamCut> {
    if (text.trim() === UNBOUNDED_TEXT) return StreamCut.UNBOUNDED;
    let plain: string;
    try {
      const bin = atob(text.trim());
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      plain = new TextDecoder().decode(await pipe(bytes, new DecompressionStream('gzip')));
    } catch (err) {
      throw new SluiceError('invalid-argument', 'not a stream cut text (Base64 of gzip expected)', { cause: err });
    }
    const parts = plain.split(':');
    if (parts.length !== 5 || parts[0] !== '0')
      throw new SluiceError('invalid-argument', `unsupported stream cut text "${plain}"`);
    const list = (s: string) => s.split(',').map((x) => BigInt(x.trim()));
    try {
      const numbers = list(parts[2]!);
      const epochs = list(parts[3]!);
      const offsets = list(parts[4]!);
      if (numbers.length !== epochs.length || numbers.length !== offsets.length)
        throw new Error('lists differ in length');
      const positions = new Map<bigint, bigint>();
      for (const [i, n] of numbers.entries()) positions.set((epochs[i]! << 32n) | n, offsets[i]!);
      return new StreamCut(parts[1]!, positions);
    } catch (err) {
      throw new SluiceError('invalid-argument', `malformed stream cut text "${plain}"`, { cause: err });
    }
  }

  /** Same stream and same positions. */
  equals(other: StreamCut): boolean {
    if (this.stream !== other.stream || this.positions.size !== other.positions.size) return false;
    for (const [k, v] of this.positions) if (other.positions.get(k) !== v) return false;
    return true;
  }
}
