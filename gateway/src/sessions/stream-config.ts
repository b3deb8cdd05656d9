/** A stream's scaling, retention and tags between the gateway protocol and the controller's terms. */
import type { Scaling } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { Retention_Type, Scaling_Type } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { StreamRetention, StreamScaling } from '../controller/controller-client.js';
import type { StreamConfiguration } from '../controller/stream-api-rpc.js';
import { GatewayError } from '../errors.js';

export function scalingOf(s: Scaling | undefined): StreamScaling {
  if (!s || s.type === Scaling_Type.FIXED) {
    const segments = s?.segments || 1;
    return { type: 'fixed', segments };
  }
  const type = s.type === Scaling_Type.BY_EVENT_RATE ? 'byEventRate' : 'byDataRate';
  if (s.targetRate <= 0 || s.scaleFactor <= 0 || s.segments <= 0) {
    throw new GatewayError('invalid-argument', 'scaling by rate needs targetRate, scaleFactor and minSegments above 0');
  }
  return { type, targetRate: s.targetRate, scaleFactor: s.scaleFactor, minSegments: s.segments };
}

export function retentionOf(
  r: { type: Retention_Type; value: bigint; max: bigint } | undefined,
): StreamRetention | undefined {
  if (!r) return undefined;
  if (r.max > 0n && r.max < r.value)
    throw new GatewayError('invalid-argument', 'a retention maximum below its minimum keeps nothing consistent');
  const max = r.max > 0n ? Number(r.max) : undefined;
  return r.type === Retention_Type.TIME
    ? { type: 'time', ms: Number(r.value), ...(max !== undefined ? { maxMs: max } : {}) }
    : { type: 'size', bytes: Number(r.value), ...(max !== undefined ? { maxBytes: max } : {}) };
}

/** The StreamApiConfig frame of a configuration. */
export function configFrame(c: StreamConfiguration) {
  const s = c.scaling;
  const scaling =
    s.type === 'fixed'
      ? { type: Scaling_Type.FIXED, segments: s.segments }
      : {
          type: s.type === 'byEventRate' ? Scaling_Type.BY_EVENT_RATE : Scaling_Type.BY_DATA_RATE,
          segments: s.minSegments,
          targetRate: s.targetRate,
          scaleFactor: s.scaleFactor,
        };
  const retention = c.retention
    ? c.retention.type === 'time'
      ? { type: Retention_Type.TIME, value: BigInt(c.retention.ms), max: BigInt(c.retention.maxMs ?? 0) }
      : { type: Retention_Type.SIZE, value: BigInt(c.retention.bytes), max: BigInt(c.retention.maxBytes ?? 0) }
    : undefined;
  return { scaling, tags: c.tags, ...(retention ? { retention } : {}) };
}
