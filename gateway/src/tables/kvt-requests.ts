/**
 * The session's key-value-table requests (Request.tables_*): names and grants checked here, the
 * work done by kvt-controller.ts (tables themselves) and kvt-store.ts (their entries). One store
 * per gateway, found from the segment-store client it wraps.
 */
import type { Request } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { allows, type Grant, requireRight } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import type { GatewayContext } from '../sessions/context.js';
import { checkScopeName, parseStreamName } from '../streams/stream-name.js';
import { createKvt, deleteKvt, listKvts } from './kvt-controller.js';
import { checkConfig } from './kvt-layout.js';
import { KvtStore } from './kvt-store.js';

type Call = Request['call'];
export type TablesCall = Extract<Call, { case: `tables${string}` }>;

const stores = new WeakMap<object, KvtStore>();

function storeOf(ctx: GatewayContext): KvtStore {
  let store = stores.get(ctx.segments);
  if (!store) {
    store = new KvtStore(ctx.controller, ctx.segments);
    stores.set(ctx.segments, store);
  }
  return store;
}

export function isTablesCall(call: Call): call is TablesCall {
  return call.case?.startsWith('tables') === true;
}

/** The reply's result (Reply.result) of one key-value-table request. */
export async function runTablesCall(ctx: GatewayContext, call: TablesCall, grants: readonly Grant[] | undefined) {
  const name = (n: string) => {
    if (!n) throw new GatewayError('invalid-argument', 'a key-value table needs a name');
    return parseStreamName(n, ctx.defaultScope);
  };
  const store = storeOf(ctx);
  switch (call.case) {
    case 'tablesCreate': {
      const { scope, stream: table } = name(call.value.table);
      requireRight(grants, scope, table, 'admin');
      const config = {
        partitions: call.value.partitions || 1,
        primaryKeyLength: call.value.primaryKeyLength,
        secondaryKeyLength: call.value.secondaryKeyLength,
      };
      checkConfig(config);
      return { case: 'done' as const, value: await createKvt(ctx.controller, scope, table, config) };
    }
    case 'tablesList': {
      const scope = call.value.scope || ctx.defaultScope;
      if (!scope) throw new GatewayError('invalid-argument', 'listing key-value tables needs a scope');
      checkScopeName(scope);
      const names = (await listKvts(ctx.controller, scope)).filter((t) => !grants || allows(grants, scope, t, 'read'));
      return { case: 'names' as const, value: { names: names.sort() } };
    }
    case 'tablesDescribe': {
      const { scope, stream: table } = name(call.value.table);
      requireRight(grants, scope, table, 'read');
      store.forget(scope, table);
      const t = await store.open(scope, table);
      return { case: 'tablesInfo' as const, value: { table: `${scope}/${table}`, ...t.config } };
    }
    case 'tablesDelete': {
      const { scope, stream: table } = name(call.value.table);
      requireRight(grants, scope, table, 'admin');
      store.forget(scope, table);
      return { case: 'done' as const, value: await deleteKvt(ctx.controller, scope, table) };
    }
    case 'tablesGet': {
      const { scope, stream: table } = name(call.value.table);
      requireRight(grants, scope, table, 'read');
      const entries = await store.get(await store.open(scope, table), call.value.keys);
      return { case: 'tablesEntries' as const, value: { entries } };
    }
    case 'tablesUpdate': {
      const { scope, stream: table } = name(call.value.table);
      requireRight(grants, scope, table, 'write');
      const changes = call.value.changes.map((c) => ({ key: c.key, value: c.value, ifVersion: c.ifVersion }));
      const r = await store.update(await store.open(scope, table), changes);
      if ('conflict' in r)
        return { case: 'tablesConflict' as const, value: { message: r.conflict, current: r.current } };
      return { case: 'tablesVersions' as const, value: { versions: r.versions } };
    }
    case 'tablesIterate': {
      const { scope, stream: table } = name(call.value.table);
      requireRight(grants, scope, table, 'read');
      const v = call.value;
      const page = await store.page(await store.open(scope, table), {
        from: v.fromKey,
        to: v.toKey,
        after: v.afterKey,
        maxItems: v.maxItems,
        keysOnly: v.keysOnly,
      });
      return { case: 'tablesPage' as const, value: page };
    }
  }
}
