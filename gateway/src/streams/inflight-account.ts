/**
 * Bytes that writers have handed to the gateway and Pravega has not acknowledged yet, counted
 * against a limit. Accounts nest: the gateway has one (`--max-inflight-bytes-total`) and each
 * session one of its own (`--max-inflight-bytes-per-session`) that draws on it, so whatever a
 * session adds the gateway's account adds too.
 *
 * An account only counts; whoever admits bytes asks `fits` first and adds in the same
 * synchronous step, so `used` never passes `limit` (sessions/session-inflight.ts). The bytes are
 * what Pravega's framing of the events takes: the payload and its 8-byte header.
 */
import { EVENT_HEADER_BYTES } from '../wire/index.js';

export class InflightAccount {
  private usedBytes = 0;
  private peakBytes = 0;

  constructor(
    readonly limit: number,
    private readonly parent?: InflightAccount,
    /** Called when bytes were freed here (an acknowledgement, a closed writer). */
    private readonly onFreed?: () => void,
  ) {}

  /** Bytes held now. */
  get used(): number {
    return this.usedBytes;
  }

  /** The most ever held at once. */
  get peak(): number {
    return this.peakBytes;
  }

  /** Whether `bytes` more fit under this account's limit and every one above it. */
  fits(bytes: number): boolean {
    return this.usedBytes + bytes <= this.limit && (this.parent?.fits(bytes) ?? true);
  }

  /** Adds `bytes` (frees them when negative) here and in every account above. */
  add(bytes: number): void {
    this.addHere(bytes);
    this.parent?.add(bytes);
  }

  /**
   * Adds or frees `bytes` in this account alone: bytes that change hands below the account
   * above (a writer taken over by another session) do not change its total.
   */
  addHere(bytes: number): void {
    if (bytes === 0) return;
    this.usedBytes += bytes;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
    if (bytes < 0) this.onFreed?.();
  }
}

/** What an Append's events will be charged once a stream writer holds them. */
export function inflightCost(payloads: readonly Uint8Array[]): number {
  let bytes = payloads.length * EVENT_HEADER_BYTES;
  for (const p of payloads) bytes += p.length;
  return bytes;
}
