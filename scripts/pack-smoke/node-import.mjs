// What `import` of the installed packages gives a Node (ESM) program.
import { readFileSync } from 'node:fs';
import * as gateway from '@sluice/gateway';
import * as sdk from '@sluice/sdk';
import * as sdkReader from '@sluice/sdk/reader';
import * as sdkWriter from '@sluice/sdk/writer';

const versionOf = (pkg) => JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')).version;
console.log(
  JSON.stringify({
    sdk: {
      version: sdk.SDK_VERSION,
      packageVersion: versionOf('@sluice/sdk'),
      connect: typeof sdk.connect,
      wsConstructor: typeof sdk.wsConstructor,
      fileStore: typeof sdk.checkpointStores.file,
    },
    sdkWriter: { connect: typeof sdkWriter.connect, reader: typeof sdkWriter.WriterClient.prototype.reader },
    sdkReader: { connect: typeof sdkReader.connect, writer: typeof sdkReader.ReaderClient.prototype.writer },
    gateway: {
      version: gateway.GATEWAY_VERSION,
      packageVersion: versionOf('@sluice/gateway'),
      startGateway: typeof gateway.startGateway,
    },
  }),
);
