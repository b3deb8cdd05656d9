/**
 * Controller clients for tests of calls repeated after a lost answer: a holding proxy in front of
 * the controller keeps back every reply, so a call's first attempt reaches Pravega and takes
 * effect, but its answer never comes; the client's repeat goes straight to the controller.
 * Also a direct client and a fresh scope; all set up in beforeAll and closed in afterAll.
 */
import { afterAll, beforeAll } from 'vitest';
import { ControllerClient } from '../../src/controller/controller-client.js';
import { HoldingProxy } from './holding-proxy.js';
import { uniqueName } from './names.js';

export interface LostAnswerController {
  readonly scope: string;
  /** A client straight to the controller (set in beforeAll). */
  readonly direct: ControllerClient;
  /**
   * A new client whose calls alternate between the holding proxy (first) and the controller; each
   * attempt gives up after `callTimeoutMs`. The caller closes it.
   */
  stalledFirst(): ControllerClient;
}

export function useLostAnswerController(scopePrefix: string, callTimeoutMs: number): LostAnswerController {
  const upstream = new URL((process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090').split(',')[0]!);
  const proxy = new HoldingProxy(upstream.hostname, Number(upstream.port));
  const scope = uniqueName(scopePrefix);
  let direct: ControllerClient | undefined;

  beforeAll(async () => {
    await proxy.start();
    proxy.hold();
    direct = new ControllerClient({ uri: `tcp://${upstream.host}` });
    await direct.createScope(scope);
  });
  afterAll(async () => {
    await direct?.close();
    await proxy.stop();
  });

  return {
    scope,
    get direct() {
      if (!direct) throw new Error('the direct controller client is made in beforeAll');
      return direct;
    },
    stalledFirst: () =>
      new ControllerClient({
        uri: `tcp://127.0.0.1:${proxy.port},${upstream.host}`,
        callTimeoutMs,
        retryBudgetMs: 30_000,
      }),
  };
}
