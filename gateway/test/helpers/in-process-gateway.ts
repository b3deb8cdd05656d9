/** Starts a gateway inside the test process on a free port (quiet logs). */
import pino from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { type RunningGateway, startGateway } from '../../src/server/gateway.js';

export function controllerUri(): string {
  return process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090';
}

/** `controller`: another standalone than this run's (e.g. one started with other settings). */
export function startTestGateway(args: string[] = [], controller = controllerUri()): Promise<RunningGateway> {
  const config = loadConfig(['--port', '0', '--controller', controller, ...args], {});
  return startGateway(config, pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }));
}
