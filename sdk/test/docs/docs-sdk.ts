/**
 * What the code blocks of README.md and the guides import as `@sluice/sdk` when
 * docs-blocks.test.ts runs them: the real SDK, with `connect()` pointed at the test's gateway and
 * scope (the blocks name ws://127.0.0.1:8080 or wss://gateway.example, scope 'demo'), and readers
 * that end their loop once they checkpointed (the blocks' `for await` loops never end by
 * themselves: a real application runs them until it stops).
 */
import * as sdk from '@sluice/sdk';
import WebSocket from 'ws';

export * from '@sluice/sdk';

export const harness = {
  url: '',
  scope: '',
  /** Clients the blocks opened, closed by the test after each block. */
  clients: [] as sdk.SluiceClient[],
  /** Readers the blocks opened (through `connect()` here or the `client` global). */
  readers: [] as sdk.EventReader<unknown>[],
  /** The `state` of each checkpoint a block's reader made, in order. */
  checkpointStates: [] as unknown[],
};

export async function connect(options: sdk.ConnectOptions): Promise<sdk.SluiceClient> {
  const client = await sdk.connect({
    ...options,
    url: harness.url,
    scope: harness.scope,
    // Node 20 has no global WebSocket (the README says so); the blocks that run in browsers omit it.
    WebSocket: options.WebSocket ?? sdk.wsConstructor(WebSocket),
  });
  harness.clients.push(client);
  return watchReaders(client);
}

/** Records the client's readers; each one closes (its loop ends) after its first checkpoint. */
export function watchReaders(client: sdk.SluiceClient): sdk.SluiceClient {
  const open = client.reader.bind(client);
  client.reader = (<T>(streams: string | string[], opts?: Partial<sdk.ReaderOptions<T>>) => {
    const reader = open<T>(streams, opts);
    harness.readers.push(reader as sdk.EventReader<unknown>);
    const checkpoint = reader.checkpoint.bind(reader);
    reader.checkpoint = async (options) => {
      await checkpoint(options);
      harness.checkpointStates.push(options?.state);
      await reader.close();
    };
    return reader;
  }) as typeof client.reader;
  return client;
}
