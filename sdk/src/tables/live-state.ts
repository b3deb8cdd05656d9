/**
 * A live table's contents: the latest value per key, bounded, and its form inside a checkpoint
 * (values through the table's serializer, base64, so any checkpoint store can keep them).
 */
import { SluiceError } from '../errors.js';
import type { Serializer } from '../serializers/serializer.js';

/** One change of a live table, in the order the stream had them. */
export type LiveTableChange<T> =
  | { type: 'put'; key: string; value: T; previous: T | undefined }
  | { type: 'delete'; key: string; previous: T };

export interface LiveTableStateJSON {
  format: 'sluice-live-table/1';
  entries: Array<[string, string]>;
}

export class LiveState<T> {
  readonly entries = new Map<string, T>();

  constructor(private readonly maxKeys: number) {}

  /** Applies one event's outcome; undefined if nothing changed (a delete of an absent key). */
  apply(key: string, value: T | undefined): LiveTableChange<T> | undefined {
    const previous = this.entries.get(key);
    if (value === undefined) {
      if (!this.entries.has(key)) return undefined;
      this.entries.delete(key);
      return { type: 'delete', key, previous: previous as T };
    }
    if (!this.entries.has(key) && this.entries.size >= this.maxKeys)
      throw new SluiceError(
        'resource-exhausted',
        `the live table holds its limit of ${this.maxKeys} keys and key "${key}" would be one more (raise maxKeys, or delete keys with tombstones)`,
      );
    this.entries.set(key, value);
    return { type: 'put', key, value, previous };
  }

  toJSON(serializer: Serializer<T>): LiveTableStateJSON {
    const entries: Array<[string, string]> = [];
    for (const [k, v] of this.entries) entries.push([k, toBase64(serializer.serialize(v))]);
    return { format: 'sluice-live-table/1', entries };
  }

  restore(raw: unknown, serializer: Serializer<T>, where: string): void {
    const s = raw as Partial<LiveTableStateJSON> | undefined;
    if (!s || s.format !== 'sluice-live-table/1' || !Array.isArray(s.entries))
      throw new SluiceError('invalid-argument', `the checkpoint at ${where} holds no live table; refusing to guess`);
    this.entries.clear();
    for (const [k, v] of s.entries) this.entries.set(k, serializer.deserialize(fromBase64(v)));
  }
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
