/**
 * A child process of P5 (idle sessions): opens `--count` WebSocket sessions to `--url` in batches
 * of `--batch`, each as the SDK opens one (subprotocol sluice.v1, the token in
 * `bearer.<base64url>`, a Hello frame) and counted once the server's first frame (Welcome)
 * arrived. After each batch it prints {"opened":n,"failed":f}; then it holds the sessions, idle,
 * until stdin closes. Run: node --import tsx bench/workloads/sessions-client.ts --url … --token …
 */
import { parseArgs } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string', default: '' },
    count: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '500' },
  },
});
const url = values.url!;
const count = Number(values.count);
const batch = Number(values.batch);
const protocols = ['sluice.v1', ...(values.token ? [`bearer.${Buffer.from(values.token).toString('base64url')}`] : [])];
const hello = toBinary(
  ClientFrameSchema,
  create(ClientFrameSchema, { kind: { case: 'hello', value: { protocolVersion: 2, clientName: 'bench-p5' } } }),
);
const sockets: WebSocket[] = [];
let failed = 0;
let lastError = '';

function openOne(): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      lastError = 'no welcome within 30 s';
      ws.terminate();
      resolve(false);
    }, 30_000);
    ws.once('open', () => ws.send(hello));
    ws.once('message', () => {
      clearTimeout(timer);
      sockets.push(ws);
      resolve(true);
    });
    ws.once('error', (err) => {
      lastError = err.message;
      clearTimeout(timer);
      resolve(false);
    });
    ws.once('close', (code) => {
      clearTimeout(timer);
      if (!sockets.includes(ws)) {
        lastError ||= `closed ${code}`;
        resolve(false);
      }
    });
  });
}

let closedByServer = 0;
for (let opened = 0; opened < count; ) {
  const n = Math.min(batch, count - opened);
  const results = await Promise.all(Array.from({ length: n }, openOne));
  const ok = results.filter(Boolean).length;
  failed += n - ok;
  opened += n;
  console.log(JSON.stringify({ opened: sockets.length, failed, ...(failed ? { lastError } : {}) }));
  if (failed > 0) break; // a limit was reached: hold what is open
}
for (const ws of sockets) ws.on('close', () => closedByServer++);
console.log(JSON.stringify({ done: true, opened: sockets.length, failed }));
process.stdin.resume();
process.stdin.on('end', () => {
  console.log(JSON.stringify({ closedByServer }));
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
