/**
 * Which protocol version a session speaks: the highest one both the client's range and the
 * gateway's share. Ranges are what let a rolling upgrade mix old and new gateways and SDKs: a new
 * gateway keeps speaking the previous version for as long as SDKs that know only it are about, and
 * a new SDK offers its whole range (its lowest in Hello.protocol_version, which is all a gateway
 * from before ranges reads).
 */
import { GatewayError } from '../errors.js';

/** 2: events travel as EventRuns (field 16); version 1 sent one Event message per event (field 6). */
export const PROTOCOL_VERSION = 2;
/** The oldest version this gateway still speaks. */
export const MIN_PROTOCOL_VERSION = 2;

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const GATEWAY_PROTOCOL_RANGE: VersionRange = { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION };

/** The client's range from its Hello: an SDK from before ranges names one version only. */
export function clientRange(hello: {
  protocolVersion: number;
  minProtocolVersion: number;
  maxProtocolVersion: number;
}): VersionRange {
  const min = hello.minProtocolVersion || hello.protocolVersion;
  return { min, max: Math.max(min, hello.maxProtocolVersion || hello.protocolVersion) };
}

/** The highest version in both ranges; a `protocol` error naming both when they do not meet. */
export function negotiateVersion(client: VersionRange, gateway: VersionRange = GATEWAY_PROTOCOL_RANGE): number {
  const chosen = Math.min(client.max, gateway.max);
  if (chosen < Math.max(client.min, gateway.min)) {
    throw new GatewayError(
      'protocol',
      `protocol version ${describe(client)} is not supported (${describe(gateway)} is)`,
    );
  }
  return chosen;
}

function describe(r: VersionRange): string {
  return r.min === r.max ? String(r.min) : `${r.min}..${r.max}`;
}
