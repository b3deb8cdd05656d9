/**
 * The dashboard writes (at-least-once, at a rate) and reads the same stream while the browser
 * goes offline and back, and while the gateway is SIGKILLed and restarted: the connection state
 * says so, writes resume with nothing duplicated or lost, and the reader has no gap.
 */
import type { Page } from '@playwright/test';
import { perKey } from '../helpers/events.js';
import { expect, readAll, test } from '../helpers/fixtures.js';

const stat = async (page: Page, name: 'sent' | 'acked' | 'failed' | 'inflight') =>
  Number(await page.getByTestId('producer-stats').getAttribute(`data-${name}`));

/** Waits until the producer has sent `more` events beyond now (so some are written during a fault). */
async function sendsMore(page: Page, more: number): Promise<void> {
  const from = await stat(page, 'sent');
  await expect.poll(() => stat(page, 'sent')).toBeGreaterThanOrEqual(from + more);
}

/** Waits until everything sent so far is acknowledged. */
async function ackedUpTo(page: Page, sent: number): Promise<void> {
  await expect.poll(() => stat(page, 'acked')).toBeGreaterThanOrEqual(sent);
}

test('offline and a gateway SIGKILL + restart: writes resume without duplicates, reader without gaps', async ({
  page,
  context,
  sdk,
  gateway,
  dashboardUrl,
  probe,
}) => {
  await sdk.createStream('live', { scaling: { type: 'fixed', segments: 2 } });
  await page.goto(dashboardUrl('live'));
  const connection = page.getByTestId('connection');
  await expect(connection).toHaveAttribute('data-state', 'live');
  await page.locator('#producer-rate').fill('200');
  await page.locator('#producer-keys').fill('4');
  await page.getByTestId('producer-toggle').click();
  await sendsMore(page, 200);

  // The browser goes offline: the socket drops, the page says so, writes queue up.
  await context.setOffline(true);
  await expect(connection).toHaveAttribute('data-state', 'reconnecting');
  await sendsMore(page, 100);
  await context.setOffline(false);
  await expect(connection).toHaveAttribute('data-state', 'live');
  await ackedUpTo(page, await stat(page, 'sent'));

  // The gateway dies without a goodbye, and comes back on the same port.
  await gateway.kill();
  await expect(connection).toHaveAttribute('data-state', 'reconnecting');
  await sendsMore(page, 100);
  await gateway.start();
  await expect(connection).toHaveAttribute('data-state', 'live');
  await ackedUpTo(page, await stat(page, 'sent'));

  await page.getByTestId('producer-toggle').click(); // stop
  await expect.poll(() => stat(page, 'inflight')).toBe(0);
  const sent = await stat(page, 'sent');
  expect(await stat(page, 'failed')).toBe(0);
  expect(await stat(page, 'acked')).toBe(sent);

  // The stream holds every event once: per key, sequences 0, 1, 2, … with no repeat and no hole.
  const stored = await readAll(sdk, 'live');
  expect(stored.length).toBe(sent);
  for (const [key, events] of perKey(stored))
    expect(
      events.map((e) => Number(e.split('|')[2])),
      `sequences of ${key}`,
    ).toEqual(events.map((_, i) => i));
  expect(new Set(probe.acked.map((a) => `${a.key}|${a.seq}`)).size).toBe(sent);

  // The page's reader saw exactly that, across both faults.
  await expect(page.getByTestId('total')).toHaveText(sent.toLocaleString('en'));
  // The page reports its deliveries to the test asynchronously: wait until the last report is in.
  await expect.poll(() => probe.effectiveEvents().length).toBe(stored.length);
  expect(perKey(probe.effectiveEvents())).toEqual(perKey(stored));
  await expect(page.getByTestId('violations')).toHaveText('0');
  await page.screenshot({ path: test.info().outputPath('after-faults.png'), fullPage: true });
});
