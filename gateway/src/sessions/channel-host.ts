/**
 * What channels (writers, readers, transactions) and admin calls need of the session they run
 * on. They depend on this interface rather than on session.ts: the session creates them, so a
 * channel importing the session would close an import cycle. `Session` implements it.
 */
import type { Logger } from 'pino';
import type { Grant } from '../auth/grants.js';
import type { GatewayError } from '../errors.js';
import type { InflightAccount } from '../streams/inflight-account.js';
import type { GatewayContext } from './context.js';

/** A channel as its session holds it. */
export interface Channel {
  /** `sessionLost`: the socket went away (rather than the client closing the channel). */
  close(sessionLost?: boolean): void;
}

export interface ChannelHost {
  readonly ctx: GatewayContext;
  /** The session's logger: its id, client and subject on every line. */
  readonly logger: Logger;
  /** The caller's grants; undefined when auth is off (everything allowed). */
  readonly grants: readonly Grant[] | undefined;
  /** The session's share of the in-flight budget: appends are charged to it until Pravega acknowledges them. */
  readonly inflight: { readonly account: InflightAccount };
  /** True while the socket has room; readers stop pulling from Pravega otherwise. */
  readonly hasRoom: boolean;
  /** Resolves when the socket has room again (or the session closed). */
  whenRoom(): Promise<void>;
  /** Sends one encoded server frame; a `pooled` one goes back to the frame pool once written. */
  send(frame: Uint8Array, pooled?: boolean): void;
  /** Closes a channel and tells the client (with `error` when it failed). */
  closeChannel(channel: number, error?: GatewayError): void;
  /** An open channel of this session (admin calls that act on one: group commits, noted times). */
  channelOf(channel: number): Channel | undefined;
}
