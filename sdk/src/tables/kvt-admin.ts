/** Creating, listing, describing and deleting key-value tables (Java's KeyValueTableManager). */
import { SluiceError } from '../errors.js';
import type { TablesConnection } from './kvt-wire.js';

export interface KeyValueTableConfig {
  /** Table segments the keys are spread over (by the hash of the primary key). */
  partitions: number;
  /** Bytes of every primary key (1…8192). */
  primaryKeyLength: number;
  /** Bytes of every secondary key (default 0: none). */
  secondaryKeyLength?: number;
}

export interface KeyValueTableInfo {
  /** "scope/table" */
  table: string;
  partitions: number;
  primaryKeyLength: number;
  secondaryKeyLength: number;
}

/** True if created, false if it existed. */
export async function createKeyValueTable(
  conn: TablesConnection,
  table: string,
  config: KeyValueTableConfig,
  signal?: AbortSignal,
): Promise<boolean> {
  const r = await conn.request(
    {
      case: 'tablesCreate',
      value: {
        table,
        partitions: config.partitions,
        primaryKeyLength: config.primaryKeyLength,
        secondaryKeyLength: config.secondaryKeyLength ?? 0,
      },
    },
    signal,
  );
  return r.case === 'done' && r.value;
}

export async function listKeyValueTables(conn: TablesConnection, scope: string, signal?: AbortSignal) {
  const r = await conn.request({ case: 'tablesList', value: { scope } }, signal);
  return r.case === 'names' ? r.value.names : [];
}

export async function describeKeyValueTable(
  conn: TablesConnection,
  table: string,
  signal?: AbortSignal,
): Promise<KeyValueTableInfo> {
  const r = await conn.request({ case: 'tablesDescribe', value: { table } }, signal);
  if (r.case !== 'tablesInfo') throw new SluiceError('internal', 'unexpected reply to describeKeyValueTable');
  const { partitions, primaryKeyLength, secondaryKeyLength } = r.value;
  return { table: r.value.table, partitions, primaryKeyLength, secondaryKeyLength };
}

/** True if deleted, false if there was no such table. */
export async function deleteKeyValueTable(conn: TablesConnection, table: string, signal?: AbortSignal) {
  const r = await conn.request({ case: 'tablesDelete', value: { table } }, signal);
  return r.case === 'done' && r.value;
}
