/**
 * A transaction prepared in a tab whose tab is then closed: the next tab commits the recorded
 * transaction (exactly once), or — when Pravega aborted it meanwhile — says loudly that its
 * events are lost.
 */
import type { Page } from '@playwright/test';
import { expect, readAll, test } from '../helpers/fixtures.js';
import type { Probe } from '../helpers/probe.js';

async function prepareInTab(page: Page, probe: Probe): Promise<{ txnId: string; events: number }> {
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
  await page.getByTestId('txn-begin').click();
  await expect(page.getByTestId('txn-status')).toHaveAttribute('data-phase', 'open');
  for (let i = 1; i <= 3; i++) {
    await page.getByTestId('txn-add').click();
    await expect(page.getByTestId('txn-status')).toContainText(`with ${i * 10} events`);
  }
  await page.getByTestId('txn-prepare').click();
  await expect(page.getByTestId('txn-status')).toHaveAttribute('data-phase', 'prepared');
  const prepared = probe.reports.find((r) => r.kind === 'txn-prepared')?.data as { txnId: string; events: number };
  expect(prepared.events).toBe(30);
  return prepared;
}

test('a prepared transaction left by a closed tab is committed by the next tab, once', async ({
  context,
  sdk,
  probe,
  dashboardUrl,
}) => {
  await sdk.createStream('orders', { scaling: { type: 'fixed', segments: 2 } });
  const first = await context.newPage();
  await first.goto(dashboardUrl('orders'));
  const { txnId } = await prepareInTab(first, probe);
  await first.close();

  expect(await sdk.transactionStatus('orders', txnId)).toBe('open');
  expect(await readAll(sdk, 'orders')).toEqual([]); // invisible until committed

  const second = await context.newPage();
  await second.goto(dashboardUrl('orders'));
  await expect(second.getByTestId('txn-banner')).toContainText(`Transaction ${txnId}`);
  await expect(second.getByTestId('txn-banner')).toContainText('is now committed');
  expect(await sdk.transactionStatus('orders', txnId)).toBe('committed');
  const events = await readAll(sdk, 'orders');
  expect(events.length).toBe(30);
  expect(new Set(events).size).toBe(30);
  await expect(second.getByTestId('total')).toHaveText('30');
  await second.screenshot({ path: test.info().outputPath('txn-recovered.png') });

  // The record is gone: a third tab commits nothing again.
  const third = await context.newPage();
  await third.goto(dashboardUrl('orders'));
  await expect(third.getByTestId('total')).toHaveText('30');
  await expect(third.getByTestId('txn-banner')).toBeHidden();
});

test('a recorded transaction that Pravega aborted meanwhile is reported loudly as lost', async ({
  context,
  sdk,
  probe,
  dashboardUrl,
}) => {
  await sdk.createStream('refunds', { scaling: { type: 'fixed', segments: 1 } });
  const first = await context.newPage();
  await first.goto(dashboardUrl('refunds'));
  const { txnId } = await prepareInTab(first, probe);
  await first.close();
  // What a lease running out while every tab was closed does.
  await sdk.abortTransaction('refunds', txnId);

  const second = await context.newPage();
  await second.goto(dashboardUrl('refunds'));
  const bannerBox = second.getByTestId('txn-banner');
  await expect(bannerBox).toContainText(`Transaction ${txnId}`);
  await expect(bannerBox).toContainText('its events are LOST');
  await expect(bannerBox).toHaveAttribute('data-kind', 'error');
  expect(await readAll(sdk, 'refunds')).toEqual([]);
});
