#!/usr/bin/env node
import { connect } from 'node:net';
// `pnpm pravega`: run Pravega standalone 0.13.0 on loopback (controller 9090, segment store 12345).
//   node scripts/pravega.mjs start [--foreground]   start (foreground: until Ctrl-C)
//   node scripts/pravega.mjs stop | status
import { ensurePravega, stopBackground } from './pravega-lib.mjs';

const [command = 'start', ...rest] = process.argv.slice(2);
const log = (line) => console.log(`[pravega] ${line}`);

try {
  if (command === 'start') {
    const pravega = await ensurePravega({ log });
    log(`controller ${pravega.controllerUri}, segment store 127.0.0.1:12345`);
    if (rest.includes('--foreground')) {
      log('Ctrl-C stops it');
      const stop = async () => {
        await pravega.release();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      setInterval(() => {}, 1 << 30);
    }
  } else if (command === 'stop') {
    log(stopBackground() ? 'stopped' : 'no background standalone found');
  } else if (command === 'status') {
    const up = await new Promise((resolve) => {
      const s = connect(9090, '127.0.0.1')
        .once('connect', () => resolve(s.destroy() || true))
        .once('error', () => resolve(false));
    });
    log(up ? 'up (controller on 9090)' : 'down');
  } else {
    console.error('usage: pravega.mjs start [--foreground] | stop | status');
    process.exit(2);
  }
} catch (err) {
  console.error(`[pravega] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
