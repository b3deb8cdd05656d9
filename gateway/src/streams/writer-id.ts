import { createHash } from 'node:crypto';

/**
 * The Pravega writer id (a UUID) that stands for the SDK writer `writerId` on one segment.
 * Derived, never stored: any gateway process computes the same id, so a resend through a
 * restarted or different gateway meets Pravega's de-duplication for that writer.
 */
export function pravegaWriterId(writerId: string, segmentName: string): string {
  const h = createHash('sha256').update('sluice-writer\0').update(writerId).update('\0').update(segmentName).digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8: custom, name-based
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
