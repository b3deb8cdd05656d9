/**
 * The dashboard's key-value table panel against the real gateway and standalone: it lists entries
 * by prefix a page at a time and inserts, replaces and removes with the version shown; when
 * Pravega's own Java client (the interop peer) changes an entry first, the panel's live line (a
 * live table fed by the key-value table) shows the change, the panel's replace is refused and it
 * shows the conflict with the version Java's write gave the key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Serializers } from '@sluice/sdk';
import { controllerUri, javaPeer } from '../../interop/test/java-peer.js';
import { expect, test } from '../helpers/fixtures.js';

const KEY_LENGTH = 16;
/** The panel's keys: UTF-8 text padded with '_' to the table's key length. */
const padded = (key: string) => Buffer.from(key.padEnd(KEY_LENGTH, '_'));

test('the key-value table panel lists, edits, and shows a conflict with the current version', async ({
  page,
  sdk,
  scope,
  dashboardUrl,
}) => {
  await sdk.createKeyValueTable('devices', { partitions: 3, primaryKeyLength: KEY_LENGTH });
  const kvt = sdk.keyValueTable('devices', {
    key: { serialize: (k: string) => padded(k), deserialize: (b) => Buffer.from(b).toString().replace(/_+$/, '') },
    value: Serializers.utf8(),
  });
  // 12 keys under "d-" (more than a page) and one outside the prefix.
  for (let i = 0; i < 12; i++) await kvt.put(`d-${String(i).padStart(2, '0')}`, `device ${i}`);
  await kvt.put('x-1', 'other');

  await page.goto(`${dashboardUrl('sensors')}&kvt=devices`);
  const panel = page.getByTestId('kvt-panel');
  await expect(panel).toHaveAttribute('data-table', 'devices');
  const status = page.getByTestId('kvt-status');
  const rows = page.getByTestId('kvt-rows').locator('tr');

  // Listing by prefix, in key order, a page of 10 and then the rest.
  await page.getByTestId('kvt-prefix').fill('d-');
  await page.getByTestId('kvt-list').click();
  await expect(rows).toHaveCount(10);
  await expect(rows.first()).toHaveAttribute('data-key', 'd-00');
  await page.getByTestId('kvt-next').click();
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toHaveAttribute('data-key', 'd-11');
  await expect(page.getByTestId('kvt-next')).toBeDisabled();

  // Insert through the panel: the version it shows is the one Pravega gave.
  await page.getByTestId('kvt-key').fill('d-boiler');
  await page.getByTestId('kvt-value').fill('boiler');
  await page.getByTestId('kvt-insert').click();
  await expect(status).toHaveAttribute('data-kind', 'ok');
  const inserted = (await kvt.get('d-boiler'))!;
  expect(inserted.value).toBe('boiler');
  await expect(status).toHaveText(`inserted d-boiler → version ${inserted.version}`);
  await expect(page.getByTestId('kvt-version')).toHaveValue(inserted.version);

  // Inserting it again conflicts: the key exists, with that version.
  await page.getByTestId('kvt-insert').click();
  await expect(status).toHaveAttribute('data-kind', 'conflict');
  await expect(status).toHaveAttribute('data-version', inserted.version);

  // Java changes the entry first; the panel still shows the version it read.
  const dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-kvt-'));
  const file = join(dir, 'put.txt');
  writeFileSync(file, `${padded('d-boiler').toString('hex')} ${Buffer.from('boiler (java)').toString('hex')}\n`);
  const [java] = await javaPeer([
    'kvt-put',
    '--controller',
    controllerUri(),
    '--scope',
    scope,
    '--table',
    'devices',
    '--pk',
    String(KEY_LENGTH),
    '--file',
    file,
  ]);
  const javaVersion = String(java!.version);
  expect(javaVersion).not.toBe(inserted.version);
  // The panel's live line (the table as a live table, polled) sees Java's change by itself.
  await expect(page.getByTestId('kvt-live')).toHaveAttribute('data-last-change', 'put d-boiler = boiler (java)');

  await page.getByTestId('kvt-value').fill('boiler (cellar)');
  await page.getByTestId('kvt-replace').click();
  await expect(status).toHaveAttribute('data-kind', 'conflict');
  await expect(status).toHaveAttribute('data-version', javaVersion);
  await expect(status).toContainText(`d-boiler has version ${javaVersion} now`);
  expect((await kvt.get('d-boiler'))!.value).toBe('boiler (java)');

  // The listing shows Java's entry; picking its row takes its version, and the replace applies.
  const row = page.locator('#kvt-rows tr[data-key="d-boiler"]');
  await expect(row).toHaveAttribute('data-version', javaVersion);
  await expect(row.locator('td').nth(1)).toHaveText('boiler (java)');
  await row.click();
  await expect(page.getByTestId('kvt-version')).toHaveValue(javaVersion);
  await page.getByTestId('kvt-value').fill('boiler (cellar)');
  await page.getByTestId('kvt-replace').click();
  await expect(status).toHaveAttribute('data-kind', 'ok');
  const replaced = (await kvt.get('d-boiler'))!;
  expect(replaced.value).toBe('boiler (cellar)');
  await expect(status).toHaveText(`replaced d-boiler → version ${replaced.version}`);

  // A remove conditioned on a stale version is refused too; with the current one it applies.
  await page.getByTestId('kvt-version').fill(javaVersion);
  await page.getByTestId('kvt-remove').click();
  await expect(status).toHaveAttribute('data-kind', 'conflict');
  await expect(status).toHaveAttribute('data-version', replaced.version);
  await page.getByTestId('kvt-version').fill(replaced.version);
  await page.getByTestId('kvt-remove').click();
  await expect(status).toHaveAttribute('data-kind', 'ok');
  expect(await kvt.get('d-boiler')).toBeUndefined();
  await expect(row).toHaveCount(0);
  await expect(page.getByTestId('kvt-live')).toHaveAttribute('data-last-change', 'delete d-boiler');
});
