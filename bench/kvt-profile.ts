/**
 * A diagnostic for T1–T4 (not part of `pnpm bench`): the Sluice side only, on the shared
 * standalone, with the gateway started under SLUICE_GATEWAY_NODE_ARGS (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`). Run this process itself with `node --cpu-prof` to profile the SDK.
 * Prints ops/s and the CPU µs per operation of the gateway and of this (the SDK's) process, from
 * /proc: on a loaded machine the CPU per operation moves much less than the throughput.
 *
 *   node --import tsx bench/kvt-profile.ts [--op get|put] [--batch 1] [--count 20000] [--inflight 32] [--rounds 2]
 */
import { parseArgs } from 'node:util';
import { GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../gateway/test/helpers/names.js';
import { connectSdk } from '../gateway/test/helpers/sdk.js';
import { processCpuMs } from './proc-cpu.js';
import { KVT_PK, KVT_SK, populateKvt, sluiceKvt } from './workloads/sluice-kvt.js';

const { values } = parseArgs({
  options: {
    op: { type: 'string', default: 'get' },
    batch: { type: 'string', default: '1' },
    count: { type: 'string', default: '20000' },
    inflight: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '2' },
    controller: { type: 'string', default: process.env.PRAVEGA_CONTROLLER_URI ?? 'tcp://127.0.0.1:9090' },
  },
});
const op = values.op === 'put' ? 'put' : 'get';
const batch = Number(values.batch);
const count = Number(values.count);
const KEYS = 1000;
const scope = uniqueName('kvtprof');
const gateway = await GatewayProcess.start(['--controller', values.controller, '--scope', scope]);
try {
  const client = await connectSdk(gateway.url, scope, { maskFrames: false });
  await client.createScope(scope);
  const table = uniqueName('kvt');
  await client.createKeyValueTable(table, { partitions: 4, primaryKeyLength: KVT_PK, secondaryKeyLength: KVT_SK });
  await populateKvt(client, table, KEYS, Math.max(batch, 1), 100);
  const cpu = () => ({ gateway: processCpuMs(gateway.pid ?? 0) ?? 0, sdk: processCpuMs(process.pid) ?? 0 });
  for (let r = 0; r < Number(values.rounds); r++) {
    const before = cpu();
    const opsPerSec = await sluiceKvt(client, table, {
      op,
      count,
      batch,
      warmup: Math.ceil(count / 4),
      inflight: Number(values.inflight),
      keys: KEYS,
      valueSize: 100,
    });
    const after = cpu();
    const ops = count + Math.ceil(count / 4); // with the warm-up
    const us = (ms: number) => ((ms * 1000) / ops).toFixed(0);
    console.log(
      `${op}${batch > 1 ? `All×${batch}` : ''} round ${r + 1}: ${Math.round(opsPerSec)} ops/s, CPU per op: gateway ${us(after.gateway - before.gateway)} µs, SDK ${us(after.sdk - before.sdk)} µs`,
    );
  }
  await client.close();
} finally {
  await gateway.stop();
}
