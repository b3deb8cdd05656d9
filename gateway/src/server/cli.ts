#!/usr/bin/env node
import { mintToken } from '../auth/mint.js';
/** `sluice-gateway`: start a gateway from flags / environment (see --help). */
import { GatewayError } from '../errors.js';
import { loadConfig, usage } from './config.js';
import { startGateway } from './gateway.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'token') {
    console.log(await mintToken(argv.slice(1)));
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(
      `${usage()}\n\nsluice-gateway token --grant '<scope>/<stream>:<read,write,admin>' [--grant …] [--ttl 1h] --secret-file <file> [--sub name]`,
    );
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(argv);
  } catch (err) {
    console.error(`sluice-gateway: ${(err as Error).message}\n\n${usage()}`);
    process.exit(2);
  }
  const gateway = await startGateway(config);
  let stopping = false;
  // SIGTERM (an orchestrator's stop, a rolling restart) and SIGINT drain first: clients move to
  // another gateway with nothing lost, then the process exits 0. A second signal exits at once.
  const stop = (signal: string) => {
    if (stopping) {
      gateway.context.logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      process.exit(1);
    }
    stopping = true;
    gateway.context.logger.info({ signal }, 'shutting down');
    // A close that hangs past the drain (a peer that never answers) must not keep the process.
    setTimeout(() => process.exit(1), config.drainTimeoutMs + 10_000).unref();
    void gateway
      .drain()
      .then(() => gateway.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          gateway.context.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const e = GatewayError.from(err);
  console.error(`sluice-gateway: ${e.code}: ${e.message}`);
  process.exit(1);
});
