/**
 * Iteration over a key-value table as an AsyncIterable of pages fetched on demand. Where it got
 * to is the last key yielded (base64url in `continuationToken()`); a page lost with the socket is
 * asked again after the reconnect, from that key, so nothing is skipped or repeated.
 */
import { SluiceError } from '../errors.js';
import type { TablesConnection } from './kvt-wire.js';

export interface KvtIterateOptions {
  table: string;
  prefix: Uint8Array;
  from: Uint8Array;
  to: Uint8Array;
  after: string | undefined;
  pageSize: number;
  keysOnly: boolean;
  signal: AbortSignal | undefined;
}

export interface KvtPage {
  entries: Array<{ key: Uint8Array; value: Uint8Array; version: string }>;
  done: boolean;
}

/** Pages lost to a socket loss in a row before the iteration gives up. */
const MAX_PAGE_RETRIES = 5;

export function pages<T>(
  conn: TablesConnection,
  opts: KvtIterateOptions,
  convert: (e: KvtPage['entries'][number]) => T,
): AsyncIterable<T> & { continuationToken(): string | undefined } {
  if (opts.prefix.length > 0 && (opts.from.length > 0 || opts.to.length > 0))
    throw new SluiceError('invalid-argument', 'iterate by prefix or by range (from/to), not both');
  if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1)
    throw new SluiceError('invalid-argument', 'pageSize must be a positive integer');
  const from = opts.prefix.length > 0 ? opts.prefix : opts.from;
  const to = opts.prefix.length > 0 ? opts.prefix : opts.to;
  let last: Uint8Array | undefined = opts.after ? fromBase64Url(opts.after) : undefined;
  return {
    continuationToken: () => (last ? toBase64Url(last) : opts.after),
    async *[Symbol.asyncIterator]() {
      for (let retries = 0; ; ) {
        let page: KvtPage;
        try {
          const r = await conn.request(
            {
              case: 'tablesIterate',
              value: {
                table: opts.table,
                fromKey: from,
                toKey: to,
                afterKey: last ?? new Uint8Array(0),
                maxItems: Math.min(opts.pageSize, 1000),
                keysOnly: opts.keysOnly,
              },
            },
            opts.signal,
          );
          if (r.case !== 'tablesPage')
            throw new SluiceError('internal', 'unexpected reply to a key-value table iteration');
          page = r.value;
          retries = 0;
        } catch (err) {
          // A read is safe to repeat: wait for the session to come back and ask again.
          if (err instanceof SluiceError && err.code === 'unavailable' && retries++ < MAX_PAGE_RETRIES) {
            await conn.whenLive(opts.signal);
            continue;
          }
          throw err;
        }
        for (const e of page.entries) {
          last = e.key;
          yield convert(e);
        }
        if (page.done || page.entries.length === 0) return;
      }
    },
  };
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  try {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  } catch {
    throw new SluiceError('invalid-argument', `"${text}" is not a continuation token`);
  }
}
