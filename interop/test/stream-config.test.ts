/**
 * A stream's configuration through Sluice, checked with Pravega's Java client: tags set at
 * creation and by updateStream are Java's getStreamTags, listStreamsByTag is Java's
 * listStreams(scope, tag), retention and scaling changes show in streamInfo().config,
 * a configuration Java set shows there too, and checkStreamExists agrees with Java's.
 */
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const fx = useGateway('cfg');
const { scope } = fx;

async function javaConfig(stream: string, tag?: string) {
  const [line] = await javaPeer(['stream-config', ...streamArgs(scope, stream), ...(tag ? ['--tag', tag] : [])]);
  return line as { exists: boolean; scopeExists: boolean; tags: string[]; tagged: string[] };
}

describe('stream configuration', () => {
  it('tags, retention and scaling at creation and after updateStream, as Java sees them', async () => {
    const tag = uniqueName('tag');
    const a = uniqueName('a');
    const b = uniqueName('b');
    await fx.client.createStream(a, {
      scaling: { type: 'fixed', segments: 2 },
      retention: { type: 'time', ms: 3_600_000 },
      tags: [tag, 'sensors'],
    });
    await fx.client.createStream(b, { scaling: { type: 'fixed', segments: 1 } });

    const info = await fx.client.streamInfo(a);
    expect(info.config).toEqual({
      scaling: { type: 'fixed', segments: 2 },
      retention: { type: 'time', ms: 3_600_000 },
      tags: expect.arrayContaining([tag, 'sensors']),
    });
    expect(info.config.tags).toHaveLength(2);
    expect((await fx.client.streamInfo(b)).config).toEqual({ scaling: { type: 'fixed', segments: 1 }, tags: [] });
    expect((await javaConfig(a, tag)).tags.sort()).toEqual([tag, 'sensors'].sort());
    expect(await fx.client.listStreamsByTag(tag)).toEqual([a]);
    expect((await javaConfig(a, tag)).tagged).toEqual([a]);

    // Tag b too and change a's retention and scaling; what is not given is kept.
    await fx.client.updateStream(b, { tags: [tag] });
    await fx.client.updateStream(a, {
      retention: { type: 'size', bytes: 10 * 1024 * 1024 },
      scaling: { type: 'byEventRate', targetRate: 100, scaleFactor: 2, minSegments: 2 },
    });
    const updated = await fx.client.streamInfo(a);
    expect(updated.config.retention).toEqual({ type: 'size', bytes: 10 * 1024 * 1024 });
    expect(updated.config.scaling).toEqual({ type: 'byEventRate', targetRate: 100, scaleFactor: 2, minSegments: 2 });
    expect(updated.config.tags.sort()).toEqual([tag, 'sensors'].sort());
    expect(await fx.client.listStreamsByTag(tag)).toEqual([a, b].sort());
    expect((await javaConfig(b, tag)).tagged.sort()).toEqual([a, b].sort());

    // Retention removed, a tag dropped.
    await fx.client.updateStream(a, { retention: null, tags: ['sensors'] });
    const cleared = await fx.client.streamInfo(a);
    expect(cleared.config.retention).toBeUndefined();
    expect(cleared.config.tags).toEqual(['sensors']);
    expect(await fx.client.listStreamsByTag(tag)).toEqual([b]);
  });

  it('shows a configuration Java set', async () => {
    const s = uniqueName('j');
    await fx.client.createStream(s, { scaling: { type: 'fixed', segments: 1 } });
    await javaPeer(['stream-update', ...streamArgs(scope, s), '--retention-ms', '86400000', '--tags', 'from-java,x']);
    const { config } = await fx.client.streamInfo(s);
    expect(config.retention).toEqual({ type: 'time', ms: 86_400_000 });
    expect(config.tags.sort()).toEqual(['from-java', 'x']);
    // Java's min/max policy (consumption-based retention's bounds), and Sluice's back.
    await javaPeer([
      'stream-update',
      ...streamArgs(scope, s),
      '--retention-ms',
      '60000',
      '--retention-max-ms',
      '7200000',
    ]);
    expect((await fx.client.streamInfo(s)).config.retention).toEqual({ type: 'time', ms: 60_000, maxMs: 7_200_000 });
    await fx.client.updateStream(s, { retention: { type: 'size', bytes: 0, maxBytes: 1 << 30 } });
    expect((await fx.client.streamInfo(s)).config.retention).toEqual({ type: 'size', bytes: 0, maxBytes: 1 << 30 });
    await expect(
      fx.client.updateStream(s, { retention: { type: 'size', bytes: 100, maxBytes: 10 } }),
    ).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it("checkScopeExists agrees with Java's StreamManager.checkScopeExists", async () => {
    const [line] = await javaPeer(['stream-config', ...streamArgs(scope, 'any')]);
    expect((line as { scopeExists: boolean }).scopeExists).toBe(true);
    expect(await fx.client.checkScopeExists(scope)).toBe(true);
    const missing = uniqueName('noscope');
    const [none] = await javaPeer(['stream-config', ...streamArgs(missing, 'any')]);
    expect((none as { scopeExists: boolean }).scopeExists).toBe(false);
    expect(await fx.client.checkScopeExists(missing)).toBe(false);
  });

  it('checkStreamExists agrees with Java; unknown streams are typed errors elsewhere', async () => {
    const s = uniqueName('e');
    expect(await fx.client.checkStreamExists(s)).toBe(false);
    expect((await javaConfig(s)).exists).toBe(false);
    await fx.client.createStream(s, {});
    expect(await fx.client.checkStreamExists(s)).toBe(true);
    expect((await javaConfig(s)).exists).toBe(true);
    const missing = uniqueName('missing');
    await expect(fx.client.updateStream(missing, { tags: ['x'] })).rejects.toMatchObject({ code: 'not-found' });
    await expect(fx.client.streamInfo(missing)).rejects.toMatchObject({ code: 'not-found' });
    await expect(fx.client.listStreamsByTag('x', uniqueName('noscope'))).rejects.toMatchObject({ code: 'not-found' });
    await expect(fx.client.listStreamsByTag('')).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});
