// A Node program gets the "node" entry's declarations: the file store and the `ws` adapter.
import { checkpointStores, connect, wsConstructor } from '@sluice/sdk';

export const store = checkpointStores.file('/var/lib/app/checkpoints');
export async function viaWs(ws: Parameters<typeof wsConstructor>[0]): Promise<void> {
  const client = await connect({ url: 'ws://127.0.0.1:8080', WebSocket: wsConstructor(ws, { maskFrames: false }) });
  await client.close();
}
