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
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.context.logger.info({ signal }, 'shutting down');
    void gateway.close().then(() => process.exit(0));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const e = GatewayError.from(err);
  console.error(`sluice-gateway: ${e.code}: ${e.message}`);
  process.exit(1);
});
