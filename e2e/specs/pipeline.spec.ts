/**
 * An exactly-once pipeline (A → B through transactions, checkpoints in IndexedDB) runs in a tab
 * that is reloaded 20 times while it copies; B then holds A's events exactly once, in order per
 * routing key.
 */
import { javaPeer, streamArgs } from '../../interop/test/java-peer.js';
import { javaEvents, perKey } from '../helpers/events.js';
import { expect, readAll, test } from '../helpers/fixtures.js';

const RELOADS = Number(process.env.SLUICE_E2E_PIPELINE_RELOADS ?? 20);

test(`a pipeline in a tab reloaded ${RELOADS} times leaves B with A's events exactly once`, async ({
  page,
  sdk,
  scope,
  gateway,
  probe,
}) => {
  await sdk.createStream('a', { scaling: { type: 'fixed', segments: 3 } });
  await sdk.createStream('b', { scaling: { type: 'fixed', segments: 2 } });
  const count = 4000;
  const keys = 5;
  await javaPeer(['write', ...streamArgs(scope, 'a'), '--count', String(count), '--keys', String(keys)]);
  const written = javaEvents('java', count, keys);

  const url = `/pipeline.html?${new URLSearchParams({ gateway: gateway.url, scope, from: 'a', to: 'b', name: `${scope}-copy` })}`;
  await page.goto(url);
  let midCopy = 0;
  for (let r = 0; r < RELOADS; r++) {
    // Reload right after a checkpoint committed (or the copy finished): a reload lands anywhere
    // in the next batch — mid-transaction, between prepare and commit, or idle.
    const mark = probe.reports.length;
    await expect
      .poll(() => probe.reports.slice(mark).some((x) => x.kind === 'pipeline-checkpoint' || x.kind === 'pipeline-done'))
      .toBe(true);
    if (!probe.reports.slice(mark).some((x) => x.kind === 'pipeline-done')) midCopy++;
    await page.reload();
  }
  test.info().annotations.push({ type: 'reloads while copying', description: `${midCopy} of ${RELOADS}` });
  console.log(`[pipeline] ${midCopy} of ${RELOADS} reloads happened while the pipeline was copying`);
  await expect(page.getByTestId('pipeline-status')).toHaveText('done: A copied up to its tail');
  expect(probe.count('pipeline-failed')).toBe(0);

  const copied = await readAll(sdk, 'b');
  expect(copied.length).toBe(written.length);
  expect(perKey(copied)).toEqual(perKey(written));
  await page.screenshot({ path: test.info().outputPath('pipeline-done.png') });
});
