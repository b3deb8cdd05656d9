/**
 * docs/tables.md's examples (docs/examples/tables.ts) run against the real gateway, and every
 * code block of the page is the examples file's text, so the page cannot drift from code that
 * type-checks and runs.
 */
import { readFileSync } from 'node:fs';
import { memoryStore, Serializers } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createDevices,
  deviceBoard,
  deviceId,
  listDevices,
  nextChange,
  orderLines,
  renameDevice,
  sensorBoard,
} from '../../../docs/examples/tables.js';
import { useGateway } from '../../../gateway/test/helpers/setup.js';

const fx = useGateway('docs-tables');
const page = readFileSync(new URL('../../../docs/tables.md', import.meta.url), 'utf8');
const examples = readFileSync(new URL('../../../docs/examples/tables.ts', import.meta.url), 'utf8');

describe('docs/tables.md examples', () => {
  const log = vi.spyOn(console, 'log');
  beforeAll(() => log.mockImplementation(() => {}));
  afterAll(() => log.mockRestore());

  it('shows only code that is in docs/examples/tables.ts', () => {
    const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const block of blocks) expect(examples).toContain(block.trimEnd());
  });

  it('creates, changes conditionally, batches and iterates tables; keeps a live table', async () => {
    await createDevices(fx.client);
    expect(await fx.client.describeKeyValueTable('devices')).toMatchObject({ partitions: 4, primaryKeyLength: 8 });
    expect(deviceId.deserialize(deviceId.serialize('d-1'))).toBe('d-1');

    const version = await renameDevice(fx.client);
    const devices = fx.client.keyValueTable('devices', { key: deviceId, value: Serializers.json<{ name: string }>() });
    expect(await devices.get('d-1')).toMatchObject({ value: { name: 'boiler (cellar)' }, version });

    await orderLines(fx.client);
    expect(log.mock.calls.filter((c) => c[1] === '2 × coffee' || c[1] === '1 × tea').map((c) => c[0])).toEqual([1, 2]);

    for (let i = 2; i <= 25; i++) await devices.put(`d-${i}`, { name: `n${i}` });
    const token = await listDevices(fx.client);
    const rest: string[] = [];
    for await (const e of devices.keys({ prefix: new TextEncoder().encode('d-'), after: token! })) rest.push(e.key);
    expect(rest).toHaveLength(5);

    await fx.client.createStream('sensors');
    const writer = fx.client.writer('sensors', { serializer: Serializers.json() });
    for (const [sensor, celsius] of [
      ['s1', 20],
      ['s2', 21],
      ['s1', 22],
      ['s3', 5],
    ] as const)
      await writer.write({ sensor, celsius }, sensor);
    await writer.close();
    const checkpoints = memoryStore();
    const board = await sensorBoard(fx.client, checkpoints);
    expect(board.get('s1')).toEqual({ sensor: 's1', celsius: 22 });
    expect(board.size).toBe(3);
    expect((await checkpoints.load(`table:${fx.scope}/sensors`))?.id).toBe(1);

    const live = await deviceBoard(fx.client);
    expect(live.size).toBe(25);
    const next = nextChange(live);
    await devices.put('d-7', { name: 'pump' });
    expect(await next).toMatchObject({ type: 'put', key: 'd-7', value: { name: 'pump' }, previous: { name: 'n7' } });
    await live.close();
  });
});
