// Node (ESM) through the installed SDK's "node" entry, with `ws` (the optional peer) on Node 20.
import * as sdk from '@sluice/sdk';
import WebSocket from 'ws';
import { roundtrip } from './roundtrip.js';

const [url, scope] = process.argv.slice(2);
const result = await roundtrip(sdk, { url, scope, stream: 'node', count: 60, WebSocket: sdk.wsConstructor(WebSocket) });
console.log(JSON.stringify(result));
