/**
 * The segments a writer routes to, and how they move on when one turns out sealed.
 *
 * The gateway's event numbers are the SDK's sequence numbers, so a segment must receive this
 * writer's events in sequence order (Pravega drops an event numbered at or below the last one
 * it stored as a duplicate). Java's writer numbers events per segment and needs no such care.
 * Here, a writer whose view is several scalings old can learn of a successor through one
 * sealed segment while another segment it still routes to is an older ancestor of the same
 * successor, e.g. A, B → (A splits into A1, A2) → (A2 and B merge into C): B's events reach C
 * first, and A's would follow through A2, older than some of B's. So before anything is routed
 * to a successor, every segment in the view that is older than a segment overlapping its key
 * range is replaced too (it is sealed: Pravega's segments of one epoch tile the key space, so a
 * newer segment covering part of its range means it was sealed). What those segments did not
 * store then reaches the successors together with the first sealed segment's, in order.
 */
import type { SegmentRange } from '../controller/controller-client.js';
import { segmentEpoch } from '../controller/names.js';
import { SegmentMap } from './routing.js';

export interface Successor {
  readonly segment: SegmentRange;
  readonly predecessors: readonly bigint[];
}

/** What replacing a sealed segment needs from outside. */
export interface ReplaceSteps {
  /** The segments that took over `id`'s key range (none: the stream is sealed). */
  successorsOf(id: bigint): Promise<readonly Successor[]>;
  /** Waits until `id` is sealed and collects what this writer had not stored in it. */
  drain(id: bigint): Promise<void>;
}

interface KeyRange {
  readonly minKey: number;
  readonly maxKey: number;
}

const overlap = (a: KeyRange, b: KeyRange): boolean => a.minKey < b.maxKey && b.minKey < a.maxKey;

export class WriterSegments {
  private constructor(
    /** Key space → segment; a successor holds only the part of its range it took over. */
    readonly map: SegmentMap<SegmentRange>,
    /** Each mapped segment's whole key range, which says what it overlaps. */
    private readonly whole: ReadonlyMap<bigint, KeyRange>,
  ) {}

  /** The stream's active segments (or a transaction's), whole ranges each. */
  static of(segments: readonly SegmentRange[]): WriterSegments {
    return new WriterSegments(new SegmentMap(segments), new Map(segments.map((s) => [s.segmentId, s])));
  }

  /**
   * The view with sealed segment `sealed` replaced by its successors, and every segment older
   * than a segment it overlaps drained (steps.drain) and replaced in turn, until no two mapped
   * segments overlap. `sealed` itself is not drained (its caller holds what it did not store).
   * Undefined: the stream is sealed.
   */
  async replaceSealed(sealed: bigint, steps: ReplaceSteps): Promise<WriterSegments | undefined> {
    let view: WriterSegments = this;
    const work = [sealed];
    const replaced = new Set<bigint>();
    for (let id = work.shift(); id !== undefined; id = work.shift()) {
      if (replaced.has(id)) continue;
      replaced.add(id);
      if (id !== sealed) await steps.drain(id);
      const successors = await steps.successorsOf(id);
      if (successors.length === 0) return undefined;
      view = view.withReplacement(
        id,
        successors.map((s) => s.segment),
      );
      for (const older of view.superseded()) if (!replaced.has(older)) work.push(older);
    }
    return view;
  }

  /** Java's StreamSegments.withReplacementRange: the successors take over only `id`'s part of the key space. */
  private withReplacement(id: bigint, successors: readonly SegmentRange[]): WriterSegments {
    const kept: SegmentRange[] = [];
    for (const old of this.map.segments) {
      if (old.segmentId !== id) {
        kept.push(old);
        continue;
      }
      for (const s of successors) {
        const minKey = Math.max(s.minKey, old.minKey);
        const maxKey = Math.min(s.maxKey, old.maxKey);
        if (maxKey > minKey) kept.push({ segmentId: s.segmentId, minKey, maxKey });
      }
    }
    const whole = new Map<bigint, KeyRange>();
    for (const s of kept) {
      const range = this.whole.get(s.segmentId) ?? successors.find((x) => x.segmentId === s.segmentId);
      if (range) whole.set(s.segmentId, range);
    }
    return new WriterSegments(new SegmentMap(kept), whole);
  }

  /** Mapped segments older than another mapped segment whose key range overlaps theirs. */
  private superseded(): bigint[] {
    const ids = [...this.whole.keys()];
    const older = new Set<bigint>();
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const [a, b] = [ids[i]!, ids[j]!];
        if (segmentEpoch(a) === segmentEpoch(b) || !overlap(this.whole.get(a)!, this.whole.get(b)!)) continue;
        older.add(segmentEpoch(a) < segmentEpoch(b) ? a : b);
      }
    }
    return [...older];
  }
}
