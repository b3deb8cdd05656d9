/**
 * The reader-group table against the real standalone: compare-and-set on key versions, so two
 * writers (two gateways) that read the same version cannot both win; list and remove.
 */
import { describe, expect, it } from 'vitest';
import { GroupTable, VersionConflict } from '../../src/groups/group-table.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('gtable');

describe('group table', () => {
  it('inserts only when absent, then updates only at the version read', async () => {
    const table = new GroupTable(fx.gateway.context.segments);
    expect(await table.read(fx.scope, 'g1')).toBeUndefined();
    const v1 = await table.replace(fx.scope, 'g1', { n: 1 }, undefined);
    await expect(table.replace(fx.scope, 'g1', { n: 99 }, undefined)).rejects.toBeInstanceOf(VersionConflict);
    const read = await table.read<{ n: number }>(fx.scope, 'g1');
    expect(read).toEqual({ value: { n: 1 }, version: v1 });
    const v2 = await table.replace(fx.scope, 'g1', { n: 2 }, v1);
    expect(v2).not.toBe(v1);
    await expect(table.replace(fx.scope, 'g1', { n: 3 }, v1)).rejects.toBeInstanceOf(VersionConflict);
    expect((await table.read<{ n: number }>(fx.scope, 'g1'))?.value.n).toBe(2);
  });

  it('serialises concurrent read-modify-writes from two clients without losing one', async () => {
    const a = new GroupTable(fx.gateway.context.segments);
    const b = new GroupTable(fx.gateway.context.segments);
    const increment = (t: GroupTable) =>
      t.update<{ n: number }, void>(fx.scope, 'counter', (cur) => ({
        next: { n: (cur?.value.n ?? 0) + 1 },
        result: undefined,
      }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i % 2 === 0 ? a : b)));
    expect((await a.read<{ n: number }>(fx.scope, 'counter'))?.value.n).toBe(20);
  });

  it('lists and removes groups', async () => {
    const table = new GroupTable(fx.gateway.context.segments);
    await table.replace(fx.scope, 'listed-a', {}, undefined);
    await table.replace(fx.scope, 'listed-b', {}, undefined);
    expect(await table.list(fx.scope)).toEqual(expect.arrayContaining(['listed-a', 'listed-b']));
    await table.remove(fx.scope, 'listed-a');
    expect(await table.list(fx.scope)).not.toContain('listed-a');
    expect(await table.read(fx.scope, 'listed-a')).toBeUndefined();
  });
});
