/**
 * Polls `check` until it holds. No deadline of its own: the test's timeout bounds the wait, so a
 * condition that never comes fails the test instead of passing it after a guess.
 */
export async function until(check: () => boolean | Promise<boolean>, intervalMs = 5): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, intervalMs));
}
