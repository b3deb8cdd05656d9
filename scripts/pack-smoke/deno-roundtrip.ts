// Deno through an `npm:` specifier, resolved from the project's node_modules (deno.json:
// nodeModulesDir "manual"), so the local tarball is what runs; Deno's own WebSocket.
import * as sdk from 'npm:@sluice/sdk';
import { roundtrip } from './roundtrip.js';

const [url, scope] = Deno.args;
const result = await roundtrip(sdk, { url, scope, stream: 'deno', count: 60 });
// The "deno" condition picks the isomorphic entry: no Node-only export.
console.log(JSON.stringify({ ...result, nodeEntry: 'wsConstructor' in sdk }));
