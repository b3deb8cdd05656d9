/** A client that writes: the core (admin calls) and writers. `@sluice/sdk/writer`'s connect() returns one. */
import { EventWriter, type WriterOptions } from '../writer/writer.js';
import { ClientCore, type ConnectOptions, openConnection } from './core.js';

export class WriterClient extends ClientCore {
  writer<T>(stream: string, opts: WriterOptions<T>): EventWriter<T> {
    return new EventWriter(this.conn, this.qualify(stream), opts);
  }
}

/** Connects to a gateway; resolves once the session is live. */
export async function connectWriter(options: ConnectOptions = {}): Promise<WriterClient> {
  return new WriterClient(await openConnection(options), options.scope);
}
