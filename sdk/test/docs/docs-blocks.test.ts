/**
 * Every TypeScript block of README.md and the guides runs here against the real standalone and an
 * in-process gateway, as written (scripts/docs.mjs type-checks the same blocks). Each block is
 * written to a module of its own with two changes only: `@sluice/sdk` is ./docs-sdk.ts (the real
 * SDK, `connect()` pointed at this gateway and a fresh scope, readers that stop after their first
 * checkpoint or logged event), and `checkpointStores.file('./…')` gets a scratch directory. Each
 * block has a scope of its own, what it needs set up before it, and its outcome checked after.
 * Not run here: docs/API.md (a sketch of names whose fragments share variables), docs/tables.md
 * (run from docs/examples/tables.ts by sdk/test/tables/docs-examples.test.ts) and
 * docs/clusters.md (gateway/test/cluster's helper: it needs the multi-process cluster, whose
 * tests make those calls; scripts/docs.mjs type-checks it).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import 'fake-indexeddb/auto';
import { Serializers, type SluiceClient, StreamCut } from '@sluice/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { uniqueName } from '../../../gateway/test/helpers/names.js';
import { connectSdk } from '../../../gateway/test/helpers/sdk.js';
import { useGateway } from '../../../gateway/test/helpers/setup.js';
import { harness, watchReaders } from './docs-sdk.js';

const root = resolve(new URL('../../..', import.meta.url).pathname);
const runDir = join(root, '.sluice', 'docs-blocks');
const shim = join(root, 'sdk', 'test', 'docs', 'docs-sdk.ts');
/** Pages whose blocks are run elsewhere or are not programs (see the header). */
const NOT_RUN_HERE = new Set(['docs/API.md', 'docs/tables.md', 'docs/clusters.md']);

interface Block {
  page: string;
  n: number;
  line: number;
  code: string;
}

function markdownPages(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs].filter((p) => !NOT_RUN_HERE.has(p));
}

function blocksOf(page: string): Block[] {
  const lines = readFileSync(join(root, page), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(ts|typescript)(\s.*)?$/.exec(lines[i]!);
    if (!m) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    i = end;
    if (m[2]?.includes('no-check')) continue;
    blocks.push({ page, n: blocks.length + 1, line: start + 1, code: lines.slice(start, end).join('\n') });
  }
  return blocks;
}

/** Context a block runs in: its own client on its own scope (also the blocks' `client` global). */
interface Ctx {
  client: SluiceClient;
  scratch: string;
  log: MockInstance<typeof console.log>;
}

async function writeAll<T>(ctx: Ctx, stream: string, values: T[], serializer = Serializers.json<T>()): Promise<void> {
  await ctx.client.createStream(stream);
  const writer = ctx.client.writer(stream, { serializer });
  for (const v of values) await writer.write(v);
  await writer.close();
}

async function readAll(ctx: Ctx, stream: string): Promise<string[]> {
  const to = (await ctx.client.streamInfo(stream)).tail;
  const out: string[] = [];
  for await (const ev of ctx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to }))
    out.push(ev.value);
  return out;
}

/** Per block ("page#n"): what it needs before it runs, and what it must have done. */
const SPECS: Record<string, { before?: (ctx: Ctx) => Promise<void>; after: (ctx: Ctx) => Promise<void> }> = {
  'README.md#1': {
    after: async (ctx) => expect(ctx.log).toHaveBeenCalledWith('s1', 3, expect.anything(), expect.anything()),
  },
  'README.md#2': {
    before: async (ctx) => {
      await ctx.client.createStream('sensors');
      const writer = ctx.client.writer('sensors', { serializer: Serializers.utf8() });
      await writer.write('hello');
      await writer.close();
    },
    after: async () => expect(harness.checkpointStates).toEqual([5]),
  },
  'README.md#3': {
    before: async (ctx) => void (await ctx.client.createStream('orders')),
    after: async (ctx) => {
      expect(ctx.log).toHaveBeenCalledWith('committed');
      expect((await readAll(ctx, 'orders')).map((v) => JSON.parse(v))).toEqual([{ id: 1 }]);
    },
  },
  'docs/browser-and-edge.md#1': {
    after: async (ctx) =>
      expect(ctx.log).toHaveBeenCalledWith({ sensorId: 's1', value: 3 }, expect.anything(), expect.anything()),
  },
  'docs/browser-and-edge.md#2': {
    before: async (ctx) => void (await ctx.client.createStream('sensors')),
    // No checkpoint yet: the block starts from its default state and opened one reader.
    after: async () => expect(harness.readers).toHaveLength(1),
  },
  'docs/exactly-once.md#1': {
    // The block's `txnId` (recorded before a crash): a prepared transaction of another writer.
    before: async (ctx) => {
      await ctx.client.createStream('orders');
      const writer = ctx.client.writer('orders', { serializer: Serializers.json(), mode: 'exactly-once' });
      const tx = await writer.beginTxn();
      await tx.write({ id: 0 }, 'customer-1');
      await tx.prepare();
      (globalThis as { txnId?: string }).txnId = tx.txnId;
      await writer.close();
    },
    after: async (ctx) => {
      const txnId = (globalThis as { txnId?: string }).txnId!;
      expect(await ctx.client.transactionStatus('orders', txnId)).toBe('committed');
      expect((await readAll(ctx, 'orders')).map((v) => JSON.parse(v)).sort((a, b) => a.id - b.id)).toEqual([
        { id: 0 },
        { id: 1 },
      ]);
    },
  },
  'docs/exactly-once.md#2': {
    before: async (ctx) => {
      await writeAll(ctx, 'raw', [' a|1 ', 'b|2', 'a|3 '], Serializers.utf8());
      await ctx.client.createStream('clean');
    },
    after: async (ctx) => {
      expect((await readAll(ctx, 'clean')).sort()).toEqual(['a|1', 'a|3', 'b|2']);
    },
  },
  'docs/readers.md#1': {
    before: async (ctx) =>
      writeAll(
        ctx,
        'sensors',
        Array.from({ length: 1000 }, () => ({ value: 2 })),
      ),
    after: async () => expect(harness.checkpointStates).toEqual([{ total: 2000 }]),
  },
  'docs/readers.md#2': {
    before: async (ctx) => {
      await writeAll(
        ctx,
        'orders',
        Array.from({ length: 600 }, () => ({ amount: 1 })),
      );
      await writeAll(
        ctx,
        'refunds',
        Array.from({ length: 400 }, () => ({ amount: 1 })),
      );
    },
    after: async (ctx) => {
      expect(harness.checkpointStates).toEqual([{ total: 1000 }]);
      const cuts = await ctx.client.readerGroupStreamCuts('billing');
      expect([...cuts.keys()].sort()).toEqual([`${ctx.client.scope}/orders`, `${ctx.client.scope}/refunds`]);
      expect([...cuts.values()].every((c) => !c.equals(StreamCut.UNBOUNDED))).toBe(true);
    },
  },
};

const fx = useGateway('docs-blocks');
const blocks = markdownPages().flatMap(blocksOf);
const globals = globalThis as { client?: SluiceClient; getToken?: () => Promise<string> };

describe('code blocks of README.md and docs/', () => {
  let scratch = '';
  const log = vi.spyOn(console, 'log');
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'sluice-docs-blocks-'));
    mkdirSync(runDir, { recursive: true });
    globals.getToken = async () => 'a-token'; // the test gateway runs without client auth
  });
  afterEach(async () => {
    for (const c of harness.clients.splice(0)) await c.close();
    await globals.client?.close();
  });
  afterAll(() => {
    log.mockRestore();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(runDir, { recursive: true, force: true });
    delete globals.client;
    delete globals.getToken;
  });

  it('has a spec for every block, and every spec has its block', () => {
    expect(blocks.map((b) => `${b.page}#${b.n}`).sort()).toEqual(Object.keys(SPECS).sort());
  });

  for (const block of blocks) {
    it(`runs ${block.page}:${block.line}`, async () => {
      const spec = SPECS[`${block.page}#${block.n}`];
      if (!spec) throw new Error(`no spec for ${block.page}#${block.n}`);
      const scope = uniqueName('docs-block');
      const client = watchReaders(await connectSdk(fx.gateway.url, scope));
      await client.createScope(scope);
      Object.assign(harness, { url: fx.gateway.url, scope, readers: [], checkpointStates: [] });
      globals.client = client;
      const ctx: Ctx = { client, scratch: mkdtempSync(join(scratch, 'b-')), log };
      // A block's reader that logged an event has shown what it reads: its loop may end.
      log.mockClear();
      log.mockImplementation(() => {
        for (const r of harness.readers) void r.close();
      });
      await spec.before?.(ctx);
      const file = join(runDir, `${block.page.replace(/[/.]/g, '_')}-${block.n}.ts`);
      const code = block.code
        .replaceAll(`from '@sluice/sdk'`, `from ${JSON.stringify(`./${relative(runDir, shim)}`)}`)
        .replace(
          /checkpointStores\.file\('\.\/([^']+)'\)/g,
          (_, dir) => `checkpointStores.file(${JSON.stringify(join(ctx.scratch, dir))})`,
        );
      writeFileSync(file, `${code}\nexport {};\n`);
      await import(file);
      log.mockImplementation(() => {});
      await spec.after(ctx);
    });
  }
});
