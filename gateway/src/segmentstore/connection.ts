/**
 * One TCP connection to a segment store. It says Hello, keeps the connection alive, and hands
 * each reply to the flow that asked for it: request ids carry the flow id in their upper 32 bits
 * (as Java's client does), append-path replies are matched by writer id.
 */
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import {
  CommandDecoder,
  encodeCommand,
  OLDEST_COMPATIBLE_VERSION,
  WIRE_VERSION,
  type WireCommand,
} from '../wire/index.js';
import { WriteCoalescer } from '../write-coalescer.js';
import { ERROR_REPLIES } from './error-replies.js';

/** Receives the replies of one flow (an appender, a segment reader, a request). */
export interface FlowHandler {
  onReply(reply: WireCommand): void;
  /** The connection is gone; nothing more will arrive for this flow on it. */
  onConnectionLost(err: GatewayError): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  tls?: { ca?: string | Buffer; validateHostname: boolean } | undefined;
  logger: Logger;
  connectTimeoutMs?: number;
  /** Send a KeepAlive after this much silence, and give up after three such intervals. */
  keepAliveMs?: number;
  /** Where replies copied out of the socket's reads are kept (default: a fresh buffer each). */
  allocReply?: (size: number) => Buffer;
  /** Told once when the connection ends (refused, reset, closed by either side). */
  onClosed?: (err: GatewayError) => void;
  /** Hears every error reply, by type (metrics). */
  onErrorReply?: (type: string) => void;
}

/** Each plain-TCP connection's read buffer: a 1 MiB read reply arrives in eight reads or fewer. */
const READ_BUFFER_BYTES = 128 * 1024;
const APPEND_PATH_REPLIES = new Set(['DataAppended', 'ConditionalCheckFailed', 'InvalidEventNumber', 'AppendSetup']);

export class SegmentStoreConnection {
  readonly endpoint: string;
  private socket: Socket | undefined;
  private coalescer: WriteCoalescer | undefined;
  private readonly decoder: CommandDecoder;
  private readonly flows = new Map<number, FlowHandler>();
  private readonly writers = new Map<string, FlowHandler>();
  private nextFlow = 1;
  private lastReceived = Date.now();
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private closedWith: GatewayError | undefined;
  private readonly ready: Promise<void>;
  private readonly drainWaiters: Array<() => void> = [];

  constructor(private readonly opts: ConnectionOptions) {
    this.endpoint = `${opts.host}:${opts.port}`;
    this.decoder = new CommandDecoder(opts.allocReply ? { alloc: opts.allocReply } : {});
    this.ready = this.open();
    this.ready.catch(() => {}); // observed through whenReady()
  }

  /** Resolves once Hello was answered with a compatible version. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  /** False while the socket's write buffer is over its high-water mark: wait with `drained()`. */
  get writable(): boolean {
    return this.socket !== undefined && !this.socket.writableNeedDrain && !this.isClosed;
  }

  drained(): Promise<void> {
    if (this.writable || this.isClosed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Registers a flow; its request ids are `flowId << 32 | n`. */
  openFlow(handler: FlowHandler): number {
    if (this.closedWith) throw this.closedWith;
    const id = this.nextFlow++;
    if (this.nextFlow > 0x7fffffff) this.nextFlow = 1;
    this.flows.set(id, handler);
    return id;
  }

  closeFlow(flowId: number): void {
    this.flows.delete(flowId);
  }

  /** Routes append-path replies for `writerId` to `handler`. */
  registerWriter(writerId: string, handler: FlowHandler): void {
    this.writers.set(writerId, handler);
  }

  unregisterWriter(writerId: string, handler: FlowHandler): void {
    if (this.writers.get(writerId) === handler) this.writers.delete(writerId);
  }

  send(command: WireCommand): void {
    this.sendRaw(encodeCommand(command));
  }

  sendRaw(frame: Uint8Array): void {
    if (this.closedWith) throw this.closedWith;
    if (!this.socket) throw new GatewayError('unavailable', `segment store ${this.endpoint} is not connected`);
    this.coalescer?.hold();
    this.socket.write(frame);
  }

  /**
   * Writes `parts` back to back in one vectored write (no copy into one buffer). `onWritten` runs
   * once the socket no longer needs them: written out, or the socket destroyed.
   */
  sendParts(parts: readonly Uint8Array[], onWritten?: () => void): void {
    if (this.closedWith) throw this.closedWith;
    const socket = this.socket;
    if (!socket) throw new GatewayError('unavailable', `segment store ${this.endpoint} is not connected`);
    this.coalescer?.hold();
    socket.cork();
    try {
      const last = parts.length - 1;
      for (let i = 0; i < last; i++) socket.write(parts[i]!);
      if (last >= 0) socket.write(parts[last]!, onWritten);
    } finally {
      socket.uncork();
    }
  }

  close(reason?: GatewayError): void {
    this.fail(reason ?? new GatewayError('cancelled', `connection to ${this.endpoint} closed`));
  }

  private open(): Promise<void> {
    const { host, port, tls } = this.opts;
    return new Promise<void>((resolve, reject) => {
      const socket = tls
        ? tlsConnect({
            host,
            port,
            ...(tls.ca ? { ca: tls.ca } : {}),
            // SNI takes names only (RFC 6066); an IP is still checked against the certificate.
            ...(isIP(host) ? {} : { servername: host }),
            rejectUnauthorized: true,
            ...(tls.validateHostname ? {} : { checkServerIdentity: () => undefined }),
          })
        : // Plain TCP reads into one fixed buffer: no fresh buffer per read for the collector to
          // chase (a catch-up read moves hundreds of MB/s); the decoder copies out what it keeps.
          tcpConnect({
            host,
            port,
            onread: {
              buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
              callback: (bytes: number, buffer: Uint8Array) => {
                onChunk(buffer.subarray(0, bytes), true);
                return true; // keep reading
              },
            },
          });
      socket.setNoDelay(true);
      this.socket = socket;
      this.coalescer = new WriteCoalescer(socket);
      let helloDone = false;
      const timeout = setTimeout(() => {
        this.fail(
          new GatewayError('unavailable', `segment store ${this.endpoint}: no Hello within the connect timeout`),
        );
      }, this.opts.connectTimeoutMs ?? 10_000);
      const onHello = (cmd: WireCommand): boolean => {
        if (helloDone || cmd.type !== 'Hello') return false;
        helloDone = true;
        clearTimeout(timeout);
        if (cmd.lowVersion > WIRE_VERSION || cmd.highVersion < WIRE_VERSION) {
          this.fail(
            new GatewayError(
              'unavailable',
              `segment store ${this.endpoint} speaks wire versions ${cmd.lowVersion}..${cmd.highVersion}, we speak ${WIRE_VERSION}`,
            ),
          );
          return true;
        }
        this.startKeepAlive();
        resolve();
        return true;
      };
      // With TLS, Hello goes out once the handshake has checked the certificate.
      socket.on(tls ? 'secureConnect' : 'connect', () => {
        socket.write(
          encodeCommand({ type: 'Hello', highVersion: WIRE_VERSION, lowVersion: OLDEST_COMPATIBLE_VERSION }),
        );
      });
      const onChunk = (chunk: Uint8Array, transient: boolean): void => {
        this.lastReceived = Date.now();
        let commands: WireCommand[];
        try {
          commands = this.decoder.push(chunk, transient);
        } catch (err) {
          this.fail(
            new GatewayError(
              'protocol',
              `segment store ${this.endpoint} sent an undecodable frame: ${(err as Error).message}`,
              { cause: err },
            ),
          );
          return;
        }
        for (const cmd of commands) {
          if (!onHello(cmd)) this.dispatch(cmd);
        }
      };
      // With TLS, chunks arrive as fresh buffers (TLS sockets take no `onread`).
      if (tls) socket.on('data', (chunk: Buffer) => onChunk(chunk, false));
      socket.on('drain', () => {
        for (const wake of this.drainWaiters.splice(0)) wake();
      });
      socket.on('error', (err) => {
        this.fail(new GatewayError('unavailable', `segment store ${this.endpoint}: ${err.message}`, { cause: err }));
      });
      socket.on('close', () => {
        clearTimeout(timeout);
        this.fail(new GatewayError('unavailable', `segment store ${this.endpoint} closed the connection`));
        if (!helloDone) reject(this.closedWith);
      });
    });
  }

  private dispatch(cmd: WireCommand): void {
    if (cmd.type === 'KeepAlive') return;
    if (ERROR_REPLIES.has(cmd.type)) this.opts.onErrorReply?.(cmd.type);
    if (APPEND_PATH_REPLIES.has(cmd.type) && 'writerId' in cmd) {
      const writer = this.writers.get(cmd.writerId as string);
      if (writer) writer.onReply(cmd);
      else this.opts.logger.debug({ cmd: cmd.type }, 'append reply for an unknown writer');
      return;
    }
    if ('requestId' in cmd && typeof cmd.requestId === 'bigint') {
      const flow = this.flows.get(Number(cmd.requestId >> 32n));
      if (flow) {
        flow.onReply(cmd);
        return;
      }
    }
    // Replies without a usable request id (e.g. AuthTokenCheckFailed on reads carries the
    // offset there): offer them to every flow, which match on segment name.
    if ('segment' in cmd || cmd.type === 'AuthTokenCheckFailed') {
      for (const flow of this.flows.values()) flow.onReply(cmd);
      return;
    }
    this.opts.logger.debug({ cmd: cmd.type }, 'unrouted segment store reply');
  }

  private startKeepAlive(): void {
    const interval = this.opts.keepAliveMs ?? 10_000;
    this.keepAliveTimer = setInterval(() => {
      const silent = Date.now() - this.lastReceived;
      if (silent > interval * 3) {
        this.fail(new GatewayError('unavailable', `segment store ${this.endpoint} stopped answering keep-alives`));
        return;
      }
      if (silent >= interval) {
        try {
          this.send({ type: 'KeepAlive' });
        } catch {
          // fail() already ran
        }
      }
    }, interval);
    this.keepAliveTimer.unref();
  }

  private fail(err: GatewayError): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.opts.onClosed?.(err);
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.socket?.destroy();
    for (const wake of this.drainWaiters.splice(0)) wake();
    const handlers = new Set([...this.flows.values(), ...this.writers.values()]);
    this.flows.clear();
    this.writers.clear();
    for (const handler of handlers) handler.onConnectionLost(err);
  }
}
