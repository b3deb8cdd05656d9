/**
 * What key-value tables need of the session: unary requests, and whether a request that failed
 * had been sent (a change that was sent and lost is `outcome-unknown`, one never sent is not).
 */
import type { Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';

type Call = Parameters<Connection['request']>[0];
type Result = Awaited<ReturnType<Connection['request']>>;

export interface TablesConnection {
  request(call: Call, signal?: AbortSignal): Promise<Result>;
  /** True if `err` (from `request`) came after the request had left for the gateway. */
  sent(err: SluiceError): boolean;
  whenLive(signal?: AbortSignal): Promise<void>;
}

/** Connection.request's own refusal when no socket was open to send on. */
const NOT_SENT_MESSAGE = 'not connected to the gateway';

export function tablesConnection(conn: Connection): TablesConnection {
  const afterSend = new WeakSet<SluiceError>();
  return {
    async request(call, signal) {
      await conn.whenLive(signal);
      try {
        return await conn.request(call, signal);
      } catch (err) {
        if (err instanceof SluiceError && err.message !== NOT_SENT_MESSAGE) afterSend.add(err);
        throw err;
      }
    },
    sent: (err) => afterSend.has(err),
    whenLive: (signal) => conn.whenLive(signal),
  };
}
