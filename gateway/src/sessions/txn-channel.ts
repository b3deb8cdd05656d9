/**
 * A transaction writer channel: opens (or re-opens) a Pravega transaction, takes appends into
 * its segments exactly like a writer channel, and keeps the lease alive. Commit and abort are
 * admin calls, so any session on any gateway can finish a transaction from its id alone.
 */
import type { OpenTxn } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { requireRight } from '../auth/grants.js';
import type { SegmentRange } from '../controller/controller-client.js';
import { segmentIdOf, segmentNumber, uuidToBits } from '../controller/names.js';
import { GatewayError } from '../errors.js';
import { parseStreamName } from '../streams/stream-name.js';
import { TxnLease } from '../streams/txn-lease.js';
import { AppendingChannel } from './appending-channel.js';
import type { ChannelHost } from './channel-host.js';
import { encodeServerFrame } from './frames.js';

const MIN_LEASE_MS = 10_000;
const MAX_LEASE_MS = 600_000;

export class TxnChannel extends AppendingChannel {
  private lease: TxnLease | undefined;

  constructor(
    session: ChannelHost,
    private readonly request: OpenTxn,
  ) {
    super(session, request.channel);
  }

  close(sessionLost = false): void {
    if (this.closed) return;
    this.closed = true;
    this.dropEarly();
    this.writer?.close();
    // A dropped session may come back (or another gateway may take over): keep the lease for a while.
    if (sessionLost) this.lease?.orphan(this.session.ctx.limits.txnGraceMs);
    else this.lease?.stop();
  }

  protected async open(): Promise<void> {
    const { ctx } = this.session;
    try {
      const { scope, stream } = parseStreamName(this.request.stream, ctx.defaultScope);
      requireRight(this.session.grants, scope, stream, 'write');
      const leaseMs = Math.min(
        MAX_LEASE_MS,
        Math.max(MIN_LEASE_MS, Number(this.request.leaseMs) || ctx.limits.txnLeaseMs),
      );
      let txnId = this.request.txnId;
      let segments: SegmentRange[];
      if (!txnId) {
        const created = await ctx.controller.createTransaction(scope, stream, leaseMs);
        txnId = created.txnId;
        segments = created.segments;
      } else {
        segments = await this.segmentsOfOpenTxn(scope, stream, txnId);
      }
      if (this.closed) return;
      this.lease = new TxnLease(ctx.controller, this.session.logger, scope, stream, txnId, leaseMs, (status) => {
        if (status === 'committed') return;
        this.fail(
          new GatewayError(
            'txn-aborted',
            `transaction ${txnId} ended while open (${status}): its lease expired or it was aborted`,
          ),
        );
      });
      const writer = ctx.writers.transactional(this.session.logger, scope, stream, { txnId, segments });
      const lastSequence = await writer.open();
      if (this.closed) {
        writer.close();
        return;
      }
      this.session.send(
        encodeServerFrame({
          case: 'txnOpened',
          value: {
            channel: this.request.channel,
            txnId,
            lastSequence,
            maxInflightBytes: ctx.limits.maxInflightBytesPerWriter,
          },
        }),
      );
      this.attachWriter(writer);
    } catch (err) {
      this.fail(GatewayError.from(err));
    }
  }

  /** Re-opening a transaction by id: its segments are its epoch's, with generalized ids (fact sheet §2). */
  private async segmentsOfOpenTxn(scope: string, stream: string, txnId: string): Promise<SegmentRange[]> {
    const { ctx } = this.session;
    const state = await ctx.controller.transactionState(scope, stream, txnId);
    if (state === 'unknown') throw new GatewayError('not-found', `transaction ${txnId} does not exist`);
    if (state === 'aborting' || state === 'aborted')
      throw new GatewayError('txn-aborted', `transaction ${txnId} was aborted`);
    if (state !== 'open') throw new GatewayError('invalid-argument', `transaction ${txnId} is already committed`);
    const epoch = Number(BigInt.asUintN(64, uuidToBits(txnId).highBits) >> 32n);
    const segments = await ctx.controller.getEpochSegments(scope, stream, epoch);
    return segments.map((s) => ({ ...s, segmentId: segmentIdOf(epoch, segmentNumber(s.segmentId)) }));
  }
}
