/**
 * Reader-group state lives in Pravega, never in a gateway: one table segment per scope,
 * `<scope>/sluice-groups_kvtable/0.#epoch.0` (the qualified name of segment 0 of a stream named
 * `sluice-groups_kvtable`, so the controller's getURI routes to the segment store that owns it,
 * as pravega-client-rust does). One key per group; every update is a compare-and-set on the
 * key's version (`UpdateTableEntries` with the version read), so readers on different gateway
 * processes never overwrite each other.
 */
import { GatewayError } from '../errors.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { type SegmentRef, segmentRef } from '../segmentstore/segment-ref.js';
import type { WireCommand } from '../wire/index.js';

export const GROUP_TABLE_STREAM = 'sluice-groups_kvtable';
const KEY_PREFIX = 'group/';
/** Pravega's "insert only if absent" key version. */
const NOT_EXISTS = -1n;
const NO_VERSION = -(2n ** 63n);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Versioned<T> {
  readonly value: T;
  readonly version: bigint;
}

/** Thrown by `replace` when someone else updated the key first: re-read and try again. */
export class VersionConflict extends Error {
  constructor() {
    super('the group state changed concurrently');
  }
}

export class GroupTable {
  private readonly created = new Map<string, Promise<void>>();

  constructor(private readonly segments: SegmentStoreClient) {}

  async read<T>(scope: string, group: string): Promise<Versioned<T> | undefined> {
    const table = await this.ensure(scope);
    const reply = await this.request(table, (requestId, token) => ({
      type: 'ReadTable',
      requestId,
      segment: table.name,
      delegationToken: token,
      keys: [{ key: keyOf(group), version: NO_VERSION }],
    }));
    if (reply.type !== 'TableRead') throw unexpected(reply, 'ReadTable');
    const entry = reply.entries[0];
    // A missing key comes back with an empty value (and no version).
    if (!entry || entry.value.length === 0 || entry.key.version < 0n) return undefined;
    return { value: JSON.parse(decoder.decode(entry.value)) as T, version: entry.key.version };
  }

  /** Writes `value` if the key is still at `version` (undefined: only if absent). Returns the new version. */
  async replace<T>(scope: string, group: string, value: T, version: bigint | undefined): Promise<bigint> {
    const table = await this.ensure(scope);
    const reply = await this.request(table, (requestId, token) => ({
      type: 'UpdateTableEntries',
      requestId,
      segment: table.name,
      delegationToken: token,
      tableEntries: [
        {
          key: { key: keyOf(group), version: version ?? NOT_EXISTS },
          value: encoder.encode(JSON.stringify(value)),
        },
      ],
      tableSegmentOffset: -1n,
    }));
    if (reply.type === 'TableEntriesUpdated') return reply.updatedVersions[0]!;
    if (reply.type === 'TableKeyBadVersion' || reply.type === 'TableKeyDoesNotExist') throw new VersionConflict();
    throw unexpected(reply, 'UpdateTableEntries');
  }

  /** Removes the group's key (whatever its version). */
  async remove(scope: string, group: string): Promise<void> {
    const table = await this.ensure(scope);
    const reply = await this.request(table, (requestId, token) => ({
      type: 'RemoveTableKeys',
      requestId,
      segment: table.name,
      delegationToken: token,
      keys: [{ key: keyOf(group), version: NO_VERSION }],
      tableSegmentOffset: -1n,
    }));
    if (reply.type !== 'TableKeysRemoved' && reply.type !== 'TableKeyDoesNotExist') throw unexpected(reply, 'remove');
  }

  /** The names of every group in the scope. */
  async list(scope: string): Promise<string[]> {
    const table = await this.ensure(scope);
    const names: string[] = [];
    let continuationToken: Uint8Array = new Uint8Array(0);
    for (;;) {
      const token = continuationToken;
      const reply = await this.request(table, (requestId, delegationToken) => ({
        type: 'ReadTableKeys',
        requestId,
        segment: table.name,
        delegationToken,
        suggestedKeyCount: 1000,
        args: {
          continuationToken: token,
          prefixFilter: new Uint8Array(0),
          fromKey: new Uint8Array(0),
          toKey: new Uint8Array(0),
        },
      }));
      if (reply.type !== 'TableKeysRead') throw unexpected(reply, 'ReadTableKeys');
      for (const k of reply.keys) {
        const text = decoder.decode(k.key);
        if (text.startsWith(KEY_PREFIX)) names.push(text.slice(KEY_PREFIX.length));
      }
      if (reply.keys.length === 0 || reply.continuationToken.length === 0) break;
      continuationToken = reply.continuationToken;
    }
    return names.sort();
  }

  /**
   * Read-modify-write with optimistic concurrency: `update` gets the current value (or
   * undefined) and returns the next one (or undefined to write nothing); retried on conflicts.
   */
  async update<T, R>(
    scope: string,
    group: string,
    update: (current: Versioned<T> | undefined) => { next: T | undefined; result: R },
  ): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.read<T>(scope, group);
      const { next, result } = update(current);
      if (next === undefined) return result;
      try {
        await this.replace(scope, group, next, current?.version);
        return result;
      } catch (err) {
        if (!(err instanceof VersionConflict) || attempt >= 50) throw err;
        // Contention between readers of one group is short-lived; a little jitter breaks ties.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt + 1, 5)));
      }
    }
  }

  private ensure(scope: string): Promise<SegmentRef> {
    const table = segmentRef(scope, GROUP_TABLE_STREAM, 0n);
    let pending = this.created.get(scope);
    if (!pending) {
      pending = this.request(table, (requestId, token) => ({
        type: 'CreateTableSegment',
        requestId,
        segment: table.name,
        delegationToken: token,
        sortedDeprecated: false,
        keyLength: 0,
        rolloverSizeBytes: 0n,
      })).then((reply) => {
        if (reply.type !== 'SegmentCreated' && reply.type !== 'SegmentAlreadyExists')
          throw unexpected(reply, 'CreateTableSegment');
      });
      pending.catch(() => this.created.delete(scope));
      this.created.set(scope, pending);
    }
    return pending.then(() => table);
  }

  private async request(
    table: SegmentRef,
    build: (requestId: bigint, token: string) => WireCommand,
  ): Promise<WireCommand> {
    const token = await this.segments.tokens.get(table.scope, table.stream, 'read-write');
    return this.segments.request(table, (requestId) => build(requestId, token), { timeoutMs: 10_000 });
  }
}

function keyOf(group: string): Uint8Array {
  return encoder.encode(KEY_PREFIX + group);
}

function unexpected(reply: WireCommand, what: string): GatewayError {
  if (reply.type === 'NoSuchSegment') return new GatewayError('not-found', `the reader-group table is gone (${what})`);
  return new GatewayError('unavailable', `unexpected reply ${reply.type} to ${what}`);
}
