#!/usr/bin/env node
// `pnpm start`: Pravega standalone (reused if one is already up), the gateway, and — once it
// exists — the web demo. Prints the URLs; Ctrl-C stops what it started.
// `pnpm start --cluster [--bookies 3] [--failover default]`: the same on a local multi-process
// cluster (scripts/cluster.mjs; reused if it already runs), the gateway pointed at both controllers.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ensureCluster } from './cluster-lib.mjs';
import { GATEWAY_NODE_FLAGS } from './gateway-node-flags.mjs';
import { ensurePravega } from './pravega-lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const port = process.env.SLUICE_PORT ?? '8080';
const scope = process.env.PRAVEGA_SCOPE ?? 'demo';
const log = (line) => console.log(`[start] ${line}`);
const { values: flags } = parseArgs({
  options: { cluster: { type: 'boolean' }, bookies: { type: 'string' }, failover: { type: 'string' } },
});
if (!flags.cluster && (flags.bookies || flags.failover)) {
  console.error('[start] --bookies and --failover go with --cluster');
  process.exit(2);
}

let pravega;
try {
  pravega = flags.cluster
    ? await ensureCluster({
        log: (line) => console.log(`[cluster] ${line}`),
        bookies: flags.bookies === undefined ? undefined : Number(flags.bookies),
        failover: flags.failover,
      })
    : await ensurePravega({ log: (line) => console.log(`[pravega] ${line}`) });
} catch (err) {
  console.error(`[start] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
const children = [];

function run(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await pravega.release();
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

run('gateway', process.execPath, [
  ...GATEWAY_NODE_FLAGS,
  '--import',
  'tsx',
  'gateway/src/server/cli.ts',
  '--port',
  port,
  '--scope',
  scope,
  '--controller',
  pravega.controllerUri,
]);
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 200));
}
if (flags.cluster) {
  for (const p of pravega.processes)
    log(`${`Pravega ${p.name}`.padEnd(24)}${p.uri}${p.restPort ? `   (REST :${p.restPort})` : ''}`);
  log(`Pravega controllers     ${pravega.controllerUri}   (data and logs: ${pravega.dir})`);
} else {
  log(`Pravega controller  ${pravega.controllerUri}`);
}
log(`Sluice gateway      ws://127.0.0.1:${port}   (health: http://127.0.0.1:${port}/readyz, metrics: /metrics)`);
if (existsSync(`${root}/web-demo/index.html`)) {
  run('web-demo', 'pnpm', ['--filter', '@sluice/web-demo', 'exec', 'vite', '--port', '5173', '--strictPort'], {
    VITE_SLUICE_URL: `ws://127.0.0.1:${port}`,
    VITE_SLUICE_SCOPE: scope,
  });
  log('Web dashboard       http://127.0.0.1:5173');
}
log('Ctrl-C stops everything started here.');
