// What the smoke scripts (pack-smoke.mjs, container-smoke.mjs) share: steps that are timed,
// logged one line each and recorded for the --json summary (a failing step is recorded, not
// thrown, so the later steps still run), plus small helpers the steps use.
import { createServer } from 'node:http';

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** A port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort() {
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * `steps`: every step so far, { name, ok, ms, error? }. `step(name, fn)` runs fn, logs "ok" with
 * what fn returned or "FAIL" with its error, and resolves to whether it passed.
 */
export function stepRecorder(log) {
  const steps = [];
  async function step(name, fn) {
    const t0 = Date.now();
    try {
      const detail = await fn();
      steps.push({ name, ok: true, ms: Date.now() - t0 });
      log(`ok    ${name} (${seconds(Date.now() - t0)})${detail ? `: ${detail}` : ''}`);
      return true;
    } catch (err) {
      steps.push({ name, ok: false, ms: Date.now() - t0, error: String(err?.message ?? err) });
      log(`FAIL  ${name} (${seconds(Date.now() - t0)}): ${err?.message ?? err}`);
      return false;
    }
  }
  return { steps, step };
}
