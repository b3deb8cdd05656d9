/**
 * The controller's key-value-table calls (Pravega 0.13 ControllerService: createKeyValueTable,
 * getKeyValueTableConfiguration, getCurrentSegmentsKeyValueTable, listKeyValueTablesInScope,
 * deleteKeyValueTable), each turned into a result or a typed GatewayError.
 */
import {
  CreateKeyValueTableStatus_Status,
  DeleteKVTableStatus_Status,
  KeyValueTableConfigResponse_Status,
  KVTablesInScopeResponse_Status,
} from '@sluice/proto/pravega/controller_pb.js';
import type { ControllerClient, SegmentRange } from '../controller/controller-client.js';
import { GatewayError } from '../errors.js';

export interface KvtConfig {
  partitions: number;
  primaryKeyLength: number;
  secondaryKeyLength: number;
}

export async function createKvt(
  controller: ControllerClient,
  scope: string,
  table: string,
  config: KvtConfig,
): Promise<boolean> {
  // After a repeat "exists" may be the first attempt's doing, unprovable (a table has no tags):
  // the table exists either way and the answer is Java's, false (as ControllerClient.createScope).
  const r = await controller.call(
    'createKeyValueTable',
    (c, o) =>
      c.createKeyValueTable(
        {
          scope,
          kvtName: table,
          partitionCount: config.partitions,
          primaryKeyLength: config.primaryKeyLength,
          secondaryKeyLength: config.secondaryKeyLength,
          rolloverSizeBytes: 0n,
        },
        o,
      ),
    undefined,
    () => {},
  );
  switch (r.status) {
    case CreateKeyValueTableStatus_Status.SUCCESS:
      return true;
    case CreateKeyValueTableStatus_Status.TABLE_EXISTS:
      return false;
    case CreateKeyValueTableStatus_Status.SCOPE_NOT_FOUND:
      throw new GatewayError('not-found', `scope ${scope} does not exist`);
    case CreateKeyValueTableStatus_Status.INVALID_TABLE_NAME:
      throw new GatewayError('invalid-argument', `invalid key-value table name "${table}"`);
    default:
      throw new GatewayError('internal', `controller failed to create key-value table ${scope}/${table}`);
  }
}

/** The table's configuration; not-found if there is no such table. */
export async function kvtConfig(controller: ControllerClient, scope: string, table: string): Promise<KvtConfig> {
  const r = await controller.call('getKeyValueTableConfiguration', (c, o) =>
    c.getKeyValueTableConfiguration({ scope, kvtName: table }, o),
  );
  if (r.status === KeyValueTableConfigResponse_Status.TABLE_NOT_FOUND || !r.config)
    throw new GatewayError('not-found', `key-value table ${scope}/${table} does not exist`);
  if (r.status !== KeyValueTableConfigResponse_Status.SUCCESS)
    throw new GatewayError('internal', `controller failed to describe key-value table ${scope}/${table}`);
  return {
    partitions: r.config.partitionCount,
    primaryKeyLength: r.config.primaryKeyLength,
    secondaryKeyLength: r.config.secondaryKeyLength,
  };
}

/** The table's segments (one per partition) with their key ranges. */
export async function kvtSegments(controller: ControllerClient, scope: string, table: string): Promise<SegmentRange[]> {
  const r = await controller.call('getCurrentSegmentsKeyValueTable', (c, o) =>
    c.getCurrentSegmentsKeyValueTable({ scope, kvtName: table }, o),
  );
  return r.segmentRanges.map((s) => ({ segmentId: s.segmentId?.segmentId ?? 0n, minKey: s.minKey, maxKey: s.maxKey }));
}

export async function listKvts(controller: ControllerClient, scope: string): Promise<string[]> {
  const out: string[] = [];
  let token = '';
  for (;;) {
    const r = await controller.call('listKeyValueTablesInScope', (c, o) =>
      c.listKeyValueTablesInScope({ scope: { scope }, continuationToken: { token } }, o),
    );
    if (r.status === KVTablesInScopeResponse_Status.SCOPE_NOT_FOUND)
      throw new GatewayError('not-found', `scope ${scope} does not exist`);
    if (r.kvtables.length === 0) return out;
    out.push(...r.kvtables.map((t) => t.kvtName));
    const next = r.continuationToken?.token ?? '';
    if (next === token) return out;
    token = next;
  }
}

/** True if deleted, false if there was no such table (after a repeat maybe by our first attempt, as createKvt). */
export async function deleteKvt(controller: ControllerClient, scope: string, table: string): Promise<boolean> {
  const r = await controller.call(
    'deleteKeyValueTable',
    (c, o) => c.deleteKeyValueTable({ scope, kvtName: table }, o),
    undefined,
    () => {},
  );
  if (r.status === DeleteKVTableStatus_Status.SUCCESS) return true;
  if (r.status === DeleteKVTableStatus_Status.TABLE_NOT_FOUND) return false;
  throw new GatewayError('internal', `controller failed to delete key-value table ${scope}/${table}`);
}
