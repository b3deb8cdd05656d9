#!/usr/bin/env node
// `pnpm pravega`: Pravega standalone 0.13.0 on loopback (controller 9090, segment store 12345).
//   node scripts/pravega.mjs start [--foreground]   start one (or find one running); background by
//                                                   default, --foreground runs it until Ctrl-C
//   node scripts/pravega.mjs stop                   stop the one a background start left running
//   node scripts/pravega.mjs status
// Other ports and a separate state name, e.g. for a second, isolated standalone:
//   --controller-port 19090 --segment-store-port 22345 --zk-port 14000 --name cold
import { parseArgs } from 'node:util';
import { ensurePravega, pravegaStatus, stopPravega } from './pravega-lib.mjs';

const log = (line) => console.log(`[pravega] ${line}`);
const usage =
  'usage: pravega.mjs start [--foreground] | stop | status  [--controller-port N --segment-store-port N --zk-port N --name NAME]';

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      foreground: { type: 'boolean' },
      'controller-port': { type: 'string' },
      'segment-store-port': { type: 'string' },
      'zk-port': { type: 'string' },
      name: { type: 'string' },
    },
  });
  const port = (flag) => (values[flag] === undefined ? undefined : Number(values[flag]));
  const opts = {
    log,
    controllerPort: port('controller-port'),
    segmentStorePort: port('segment-store-port'),
    zkPort: port('zk-port'),
    name: values.name,
  };
  const [command = 'start', ...extra] = positionals;
  if (extra.length > 0) throw new Error(usage);

  if (command === 'start') {
    const started = Date.now();
    const pravega = await ensurePravega({ ...opts, background: !values.foreground });
    const status = await pravegaStatus(opts);
    log(
      `controller ${pravega.controllerUri}, segment store tcp://127.0.0.1:${opts.segmentStorePort ?? 12345}` +
        `${status.state ? `, pid ${status.state.pid}` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    if (values.foreground) {
      log('Ctrl-C stops it');
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        log('stopping…');
        await pravega.stop();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      setInterval(() => {}, 1 << 30);
    } else {
      log('running in the background; `node scripts/pravega.mjs stop` stops it');
    }
  } else if (command === 'stop') {
    log((await stopPravega(opts)) ? 'stopped' : 'no background standalone recorded in .pravega/ is running');
  } else if (command === 'status') {
    const s = await pravegaStatus(opts);
    const what = s.ready ? 'up' : s.controller || s.segmentStore ? 'starting or unhealthy' : 'down';
    const who = s.state ? `, pid ${s.state.pid}${s.state.java ? `, ${s.state.java}` : ''}` : '';
    log(
      `${what}: controller ${opts.controllerPort ?? 9090} ${s.controller ? 'serving' : 'not serving'}, ` +
        `segment store ${opts.segmentStorePort ?? 12345} ${s.segmentStore ? 'open' : 'closed'}${who}`,
    );
    process.exit(s.ready ? 0 : 3);
  } else {
    throw new Error(usage);
  }
} catch (err) {
  console.error(`[pravega] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
