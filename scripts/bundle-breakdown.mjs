#!/usr/bin/env node
// Where the SDK's browser bytes are (docs/packaging.md, "Where the bytes are"): small apps built
// straight from the SDK's internal modules, measured as scripts/bundle-size.mjs measures (esbuild
// bundle + minify, browser conditions, gzip -9), some with protobuf-es left out of the bundle.
// An analysis tool, not a check: its entries name internal modules, which may move.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const sdk = new URL('../sdk', import.meta.url).pathname;
const protobuf = ['@bufbuild/protobuf', '@sluice/proto/sluice/v1/gateway_pb.js'];
const connection = `import { Connection } from './src/client/connection.ts';
  const conn = new Connection({ url: 'ws://x', WebSocket: globalThis.WebSocket, name: 'x', reconnect: {} });
  await conn.start();`;
const writer = `${connection}
  import { EventWriter } from './src/writer/writer.ts';
  import { Serializers } from './src/serializers/index.ts';
  await new EventWriter(conn, 's', { serializer: Serializers.utf8() }).write('x');`;

const apps = [
  [
    'protobuf-es runtime + gateway_pb (encode ClientFrame, decode ServerFrame)',
    `import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
     import { ClientFrameSchema, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
     console.log(toBinary(ClientFrameSchema, create(ClientFrameSchema)), fromBinary(ServerFrameSchema, new Uint8Array()));`,
  ],
  [
    'the table codec (gateway_codec.ts: encode ClientFrame, decode ServerFrame; wire included)',
    `import { encodeClientFrame, decodeServerFrame } from '@sluice/proto/sluice/v1/gateway_codec.js';
     console.log(encodeClientFrame({}), decodeServerFrame(new Uint8Array()));`,
  ],
  ['the connection alone', connection],
  ['connection + writer (+ transactions) + serializers', writer],
  ['the same without protobuf-es', writer, protobuf],
  ['the writer entry (@sluice/sdk/writer), everything of it', `export * from './src/entries/writer.ts';`],
  ['everything without protobuf-es', `export * from './src/index.ts';`, protobuf],
  [
    '@bufbuild/protobuf/wire (BinaryReader, BinaryWriter) alone',
    `import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
     console.log(new BinaryWriter().uint32(1).string('x').finish(), new BinaryReader(new Uint8Array()).uint32());`,
  ],
];

for (const [name, contents, external = []] of apps) {
  const result = await build({
    stdin: { contents, resolveDir: sdk, sourcefile: 'app.ts', loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    external,
  });
  const code = result.outputFiles[0].contents;
  const gz = gzipSync(code, { level: 9 }).length;
  console.log(`[breakdown] ${(gz / 1000).toFixed(1).padStart(5)} KB min+gzip  ${name}`);
}
