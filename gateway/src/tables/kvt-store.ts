/**
 * The data plane of key-value tables: the table's partitions (cached), and get / update /
 * iterate as table-segment commands on the partition that owns each key, as Pravega's Java
 * KeyValueTableImpl does (kvt-layout.ts for the byte-level facts).
 */
import type { ControllerClient, SegmentRange } from '../controller/controller-client.js';
import { GatewayError } from '../errors.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { type SegmentRef, segmentRef } from '../segmentstore/segment-ref.js';
import { SegmentMap } from '../streams/routing.js';
import type { WireCommand } from '../wire/index.js';
import { type KvtConfig, kvtConfig, kvtSegments } from './kvt-controller.js';
import {
  checkKey,
  compareKeys,
  formatVersion,
  MAX_BATCH_KEYS,
  MAX_VALUE_BYTES,
  NO_VERSION,
  nextKey,
  parseCondition,
  primaryKeyToRange,
  samePrimaryKey,
} from './kvt-layout.js';
import { sendOnce } from './send-once.js';

/** How long a table's layout is trusted before asking the controller again. */
const LAYOUT_TTL_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

export interface OpenKvt {
  readonly scope: string;
  readonly table: string;
  readonly config: KvtConfig;
  readonly partitions: SegmentMap<SegmentRange>;
}

export interface KvtEntry {
  key: Uint8Array;
  value: Uint8Array;
  /** "" when the key is absent. */
  version: string;
}

export interface KvtChange {
  key: Uint8Array;
  /** undefined: remove. */
  value: Uint8Array | undefined;
  ifVersion: string;
}

export type KvtUpdateResult = { versions: string[] } | { conflict: string; current: KvtEntry[] };

export class KvtStore {
  private readonly layouts = new Map<string, { at: number; table: Promise<OpenKvt> }>();

  constructor(
    private readonly controller: ControllerClient,
    private readonly segments: SegmentStoreClient,
  ) {}

  open(scope: string, table: string): Promise<OpenKvt> {
    const name = `${scope}/${table}`;
    const cached = this.layouts.get(name);
    if (cached && Date.now() - cached.at < LAYOUT_TTL_MS) return cached.table;
    const pending = (async (): Promise<OpenKvt> => {
      const config = await kvtConfig(this.controller, scope, table);
      const ranges = await kvtSegments(this.controller, scope, table);
      if (ranges.length !== config.partitions)
        throw new GatewayError(
          'unavailable',
          `key-value table ${name} has ${ranges.length} of ${config.partitions} partitions`,
        );
      return { scope, table, config, partitions: new SegmentMap(ranges) };
    })();
    pending.catch(() => this.layouts.delete(name));
    this.layouts.set(name, { at: Date.now(), table: pending });
    return pending;
  }

  forget(scope: string, table: string): void {
    this.layouts.delete(`${scope}/${table}`);
  }

  private ref(t: OpenKvt, segmentId: bigint): SegmentRef {
    return segmentRef(t.scope, `${t.table}_kvtable`, segmentId);
  }

  private partitionOf(t: OpenKvt, key: Uint8Array): SegmentRange {
    return t.partitions.segmentFor(primaryKeyToRange(key.subarray(0, t.config.primaryKeyLength)));
  }

  /** A read that is safe to repeat (through reconnects). */
  private async read(t: OpenKvt, segmentId: bigint, build: (requestId: bigint, token: string) => WireCommand) {
    const ref = this.ref(t, segmentId);
    const token = await this.segments.tokens.get(ref.scope, ref.stream, 'read');
    const reply = await this.segments.request(ref, (id) => build(id, token), { timeoutMs: REQUEST_TIMEOUT_MS });
    this.checkGone(t, reply);
    return reply;
  }

  private checkGone(t: OpenKvt, reply: WireCommand): void {
    if (reply.type === 'NoSuchSegment') {
      this.forget(t.scope, t.table);
      throw new GatewayError('not-found', `key-value table ${t.scope}/${t.table} does not exist`);
    }
  }

  /** One entry per key, in the order asked; absent keys with version "". */
  async get(t: OpenKvt, keys: Uint8Array[]): Promise<KvtEntry[]> {
    for (const k of keys) checkKey(k, t.config);
    const out: KvtEntry[] = new Array(keys.length);
    const byPartition = new Map<bigint, number[]>();
    keys.forEach((k, i) => {
      const id = this.partitionOf(t, k).segmentId;
      let list = byPartition.get(id);
      if (!list) {
        list = [];
        byPartition.set(id, list);
      }
      list.push(i);
    });
    const reads: Promise<void>[] = [];
    for (const [segmentId, ordinals] of byPartition) {
      for (let at = 0; at < ordinals.length; at += MAX_BATCH_KEYS) {
        const slice = ordinals.slice(at, at + MAX_BATCH_KEYS);
        reads.push(
          (async () => {
            const reply = await this.read(t, segmentId, (requestId, delegationToken) => ({
              type: 'ReadTable',
              requestId,
              segment: this.ref(t, segmentId).name,
              delegationToken,
              keys: slice.map((i) => ({ key: keys[i]!, version: NO_VERSION })),
            }));
            if (reply.type !== 'TableRead' || reply.entries.length !== slice.length)
              throw unexpected(reply, 'ReadTable');
            slice.forEach((i, n) => {
              const e = reply.entries[n]!;
              out[i] =
                e.key.version < 0n || e.key.key.length === 0
                  ? { key: keys[i]!, value: new Uint8Array(0), version: '' }
                  : { key: keys[i]!, value: e.value, version: formatVersion(segmentId, e.key.version) };
            });
          })(),
        );
      }
    }
    await Promise.all(reads);
    return out;
  }

  /** Puts or removes keys of one primary key, all or none. */
  async update(t: OpenKvt, changes: KvtChange[]): Promise<KvtUpdateResult> {
    const first = changes[0];
    if (!first) return { versions: [] };
    if (changes.length > MAX_BATCH_KEYS)
      throw new GatewayError(
        'invalid-argument',
        `at most ${MAX_BATCH_KEYS} keys change together; got ${changes.length}`,
      );
    const removal = first.value === undefined;
    for (const c of changes) {
      checkKey(c.key, t.config);
      if (!samePrimaryKey(c.key, first.key, t.config.primaryKeyLength))
        throw new GatewayError('invalid-argument', 'the keys changed together must all have the same primary key');
      if ((c.value === undefined) !== removal)
        throw new GatewayError('invalid-argument', 'puts and removes cannot be mixed in one batch');
      if (c.value && c.value.length > MAX_VALUE_BYTES)
        throw new GatewayError(
          'invalid-argument',
          `a value may have at most ${MAX_VALUE_BYTES} bytes; got ${c.value.length}`,
        );
    }
    const segmentId = this.partitionOf(t, first.key).segmentId;
    const versions = changes.map((c) => parseCondition(c.ifVersion, segmentId));
    const conflict = async (why: string): Promise<KvtUpdateResult> => ({
      conflict: why,
      current: await this.get(
        t,
        changes.map((c) => c.key),
      ),
    });
    // A version from another partition can never match (Java: BadKeyVersionException "Wrong TableSegment").
    if (versions.includes('wrong-segment')) return conflict('a version belongs to another partition than its key');
    const ref = this.ref(t, segmentId);
    const keyVersions = versions as bigint[];
    const build = (requestId: bigint, delegationToken: string): WireCommand =>
      removal
        ? {
            type: 'RemoveTableKeys',
            requestId,
            segment: ref.name,
            delegationToken,
            keys: changes.map((c, i) => ({ key: c.key, version: keyVersions[i]! })),
            tableSegmentOffset: -1n,
          }
        : {
            type: 'UpdateTableEntries',
            requestId,
            segment: ref.name,
            delegationToken,
            tableEntries: changes.map((c, i) => ({ key: { key: c.key, version: keyVersions[i]! }, value: c.value! })),
            tableSegmentOffset: -1n,
          };
    const conditional = keyVersions.some((v) => v !== NO_VERSION);
    const reply = conditional
      ? await sendOnce(this.segments, ref, build, { timeoutMs: REQUEST_TIMEOUT_MS, budgetMs: 15_000 })
      : await this.unconditional(ref, build);
    this.checkGone(t, reply);
    switch (reply.type) {
      case 'TableEntriesUpdated':
        if (reply.updatedVersions.length !== changes.length) throw unexpected(reply, 'UpdateTableEntries');
        return { versions: reply.updatedVersions.map((v) => formatVersion(segmentId, v)) };
      case 'TableKeysRemoved':
        return { versions: [] };
      case 'TableKeyBadVersion':
        return conflict('a key does not have the version the change was conditioned on');
      case 'TableKeyDoesNotExist':
        return conflict('a key the change was conditioned on does not exist');
      default:
        throw unexpected(reply, removal ? 'RemoveTableKeys' : 'UpdateTableEntries');
    }
  }

  /** An unconditional change may be repeated through reconnects: its outcome is the same. */
  private async unconditional(ref: SegmentRef, build: (requestId: bigint, token: string) => WireCommand) {
    const token = await this.segments.tokens.get(ref.scope, ref.stream, 'read-write');
    return this.segments.request(ref, (id) => build(id, token), { timeoutMs: REQUEST_TIMEOUT_MS });
  }

  /**
   * One page of the keys between `from` and `to` (inclusive, whole keys) after `after`, in
   * ascending unsigned byte order across partitions (Java's MergeAsyncIterator). A range within
   * one primary key reads only that key's partition.
   */
  async page(
    t: OpenKvt,
    opts: { from: Uint8Array; to: Uint8Array; after: Uint8Array; maxItems: number; keysOnly: boolean },
  ): Promise<{ entries: KvtEntry[]; done: boolean }> {
    const total = t.config.primaryKeyLength + t.config.secondaryKeyLength;
    // A shorter bound is a prefix: padded as Java's iterator builder pads (0x00 from, 0xff to).
    const from = pad(opts.from, total, 0x00);
    const to = pad(opts.to, total, 0xff);
    const start = opts.after.length === 0 ? from : nextKey(opts.after);
    if (opts.after.length > 0) checkKey(opts.after, t.config);
    if (!start || compareKeys(start, to) > 0) return { entries: [], done: true };
    const max = Math.min(opts.maxItems || DEFAULT_PAGE, MAX_PAGE);
    const parts = samePrimaryKey(from, to, t.config.primaryKeyLength)
      ? [this.partitionOf(t, from)]
      : t.partitions.segments;
    const pages = await Promise.all(parts.map((p) => this.segmentPage(t, p.segmentId, start, to, max, opts.keysOnly)));
    const merged = pages.flat().sort((a, b) => compareKeys(a.key, b.key));
    const entries = merged.slice(0, max);
    return { entries, done: merged.length === 0 };
  }

  private async segmentPage(
    t: OpenKvt,
    segmentId: bigint,
    from: Uint8Array,
    to: Uint8Array,
    max: number,
    keysOnly: boolean,
  ): Promise<KvtEntry[]> {
    const segment = this.ref(t, segmentId).name;
    const args = { continuationToken: new Uint8Array(0), prefixFilter: new Uint8Array(0), fromKey: from, toKey: to };
    if (keysOnly) {
      const reply = await this.read(t, segmentId, (requestId, delegationToken) => ({
        type: 'ReadTableKeys',
        requestId,
        segment,
        delegationToken,
        suggestedKeyCount: max,
        args,
      }));
      if (reply.type !== 'TableKeysRead') throw unexpected(reply, 'ReadTableKeys');
      return reply.keys.map((k) => ({
        key: k.key,
        value: new Uint8Array(0),
        version: formatVersion(segmentId, k.version),
      }));
    }
    const reply = await this.read(t, segmentId, (requestId, delegationToken) => ({
      type: 'ReadTableEntries',
      requestId,
      segment,
      delegationToken,
      suggestedEntryCount: max,
      args,
    }));
    if (reply.type !== 'TableEntriesRead') throw unexpected(reply, 'ReadTableEntries');
    return reply.entries.map((e) => ({
      key: e.key.key,
      value: e.value,
      version: formatVersion(segmentId, e.key.version),
    }));
  }
}

function pad(bound: Uint8Array, total: number, fill: number): Uint8Array {
  if (bound.length > total)
    throw new GatewayError('invalid-argument', `an iteration bound has ${bound.length} bytes; keys have ${total}`);
  if (bound.length === total) return bound;
  const out = new Uint8Array(total).fill(fill);
  out.set(bound);
  return out;
}

function unexpected(reply: WireCommand, what: string): GatewayError {
  return new GatewayError('unavailable', `unexpected reply ${reply.type} to ${what}`);
}
