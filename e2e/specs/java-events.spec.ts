/**
 * Events written by Pravega's own Java client appear on the dashboard: all of them, in order per
 * routing key; and a dashboard reloaded while it reads resumes from its IndexedDB checkpoint with
 * no gap and no duplicate, judged against what Java wrote.
 */
import { mkdirSync } from 'node:fs';
import { javaPeer, streamArgs } from '../../interop/test/java-peer.js';
import { javaEvents, perKey } from '../helpers/events.js';
import { expect, test } from '../helpers/fixtures.js';

const screenshots = new URL('../screenshots/', import.meta.url).pathname;

test('events written by the Java client appear on the dashboard, all, in order per key', async ({
  page,
  sdk,
  scope,
  probe,
  dashboardUrl,
}) => {
  await sdk.createStream('sensors', { scaling: { type: 'fixed', segments: 4 } });
  await page.goto(dashboardUrl('sensors'));
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId('resume-banner')).toContainText('No checkpoint');

  const count = 2000;
  const keys = 8;
  await javaPeer(['write', ...streamArgs(scope, 'sensors'), '--count', String(count), '--keys', String(keys)]);
  await expect(page.getByTestId('total')).toHaveText(count.toLocaleString('en'));

  const written = javaEvents('java', count, keys);
  // The page reports its deliveries to the test asynchronously: wait until the last report is in.
  await expect.poll(() => probe.effectiveEvents().length).toBe(written.length);
  expect(perKey(probe.effectiveEvents())).toEqual(perKey(written));
  await expect(page.getByTestId('violations')).toHaveText('0');
  for (let k = 0; k < keys; k++)
    await expect(page.locator(`[data-key="key-${k}"] td.num`)).toHaveText(String(count / keys));
  // The checkpoint in IndexedDB catches up with everything read.
  await expect(page.getByTestId('checkpoint-total')).toHaveText(count.toLocaleString('en'));

  // The page's own producer joins in; its events show up too, and the reader catches up (lag 0).
  await page.locator('#producer-rate').fill('120');
  await page.locator('#producer-keys').fill('6');
  await page.getByTestId('producer-toggle').click();
  const stats = page.getByTestId('producer-stats');
  await expect.poll(async () => Number(await stats.getAttribute('data-acked'))).toBeGreaterThanOrEqual(600);
  await page.getByTestId('producer-toggle').click();
  await expect(stats).toHaveAttribute('data-inflight', '0');
  const sent = Number(await stats.getAttribute('data-sent'));
  await expect(page.getByTestId('total')).toHaveText((count + sent).toLocaleString('en'));
  await expect(page.getByTestId('lag')).toHaveText('0');
  await expect(page.getByTestId('violations')).toHaveText('0');

  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: `${screenshots}dashboard.png`, fullPage: true });
});

test('a reload mid-stream resumes from the IndexedDB checkpoint: no gap, no duplicate', async ({
  page,
  sdk,
  scope,
  probe,
  dashboardUrl,
}) => {
  await sdk.createStream('reloads', { scaling: { type: 'fixed', segments: 3 } });
  const keys = 6;
  const write = async (prefix: string, count: number) => {
    await javaPeer([
      'write',
      ...streamArgs(scope, 'reloads'),
      '--count',
      String(count),
      '--keys',
      String(keys),
      '--prefix',
      prefix,
    ]);
    return javaEvents(prefix, count, keys);
  };
  // A backlog far larger than one checkpoint's worth, so that every reload below lands mid-read.
  const written = await write('java0', 30_000);
  // Chromium reads a local backlog faster than a test can react; a slower CPU (emulated, as
  // DevTools does) keeps the page mid-read for a while, without changing what it does.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 20 });
  await page.goto(dashboardUrl('reloads'));
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');

  // Reload the moment the page reports a checkpoint (from the probe's callback, not a poll: a
  // page reads tens of thousands of events a second), so that every reload lands mid-read.
  const reloads = 5;
  let midRead = 0;
  let reloading: Promise<unknown> | undefined;
  const done: Promise<unknown>[] = [];
  probe.onReport = (kind, data) => {
    if (kind !== 'checkpoint' || reloading || done.length === reloads) return;
    if ((data as { total: number }).total < written.length) midRead++;
    reloading = page.reload().finally(() => {
      reloading = undefined;
    });
    done.push(reloading);
  };
  await expect.poll(() => done.length).toBe(reloads);
  await Promise.all(done);
  probe.onReport = undefined;
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  await expect(page.getByTestId('resume-banner')).toContainText('Resumed from checkpoint #');
  // More events while the page is open and reading.
  written.push(...(await write('java1', 3000)));
  await expect(page.getByTestId('total')).toHaveText(written.length.toLocaleString('en'));

  // Every reload resumed from a checkpoint, never from the head again.
  expect(probe.resumes.length).toBe(reloads + 1);
  const totals = probe.resumes.map((r) => r.total);
  expect(totals.slice(1).every((t, i) => t > 0 && t >= totals[i]!)).toBe(true);
  // Deliveries after a checkpoint and before a reload are read again after it: the same events
  // at the same indices, which effectiveEvents() checks.
  const replayed = probe.deliveries.length - new Set(probe.deliveries.map((d) => d.i)).size;
  console.log(`[reloads] ${midRead} of ${reloads} reloads came mid-read; ${replayed} deliveries were replayed`);
  expect(midRead).toBe(reloads);
  await expect.poll(() => probe.effectiveEvents().length).toBe(written.length);
  const seen = probe.effectiveEvents();
  expect(perKey(seen)).toEqual(perKey(written));
  await expect(page.getByTestId('violations')).toHaveText('0');
  await page.screenshot({ path: test.info().outputPath('after-reloads.png'), fullPage: true });
});
