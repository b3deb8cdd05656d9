/** Protocol version ranges: old and new SDKs and gateways meet on the highest version both speak. */
import { describe, expect, it } from 'vitest';
import { clientRange, negotiateVersion } from '../../src/sessions/protocol-version.js';

describe('protocol version negotiation', () => {
  it('reads a Hello from before ranges as the one version it names', () => {
    expect(clientRange({ protocolVersion: 2, minProtocolVersion: 0, maxProtocolVersion: 0 })).toEqual({
      min: 2,
      max: 2,
    });
    expect(clientRange({ protocolVersion: 2, minProtocolVersion: 2, maxProtocolVersion: 5 })).toEqual({
      min: 2,
      max: 5,
    });
  });

  it('picks the highest version both speak, through every step of a rolling upgrade', () => {
    const oldGateway = { min: 2, max: 2 };
    const newGateway = { min: 2, max: 3 };
    const nextGateway = { min: 3, max: 4 };
    const oldSdk = { min: 2, max: 2 };
    const newSdk = { min: 2, max: 3 };
    expect(negotiateVersion(oldSdk, oldGateway)).toBe(2);
    expect(negotiateVersion(newSdk, oldGateway)).toBe(2);
    expect(negotiateVersion(oldSdk, newGateway)).toBe(2);
    expect(negotiateVersion(newSdk, newGateway)).toBe(3);
    expect(negotiateVersion(newSdk, nextGateway)).toBe(3);
    expect(() => negotiateVersion(oldSdk, nextGateway)).toThrow(/protocol version 2 is not supported \(3\.\.4 is\)/);
  });

  it('refuses ranges that do not meet, naming both', () => {
    expect(() => negotiateVersion({ min: 1, max: 1 }, { min: 2, max: 2 })).toThrow(
      expect.objectContaining({ code: 'protocol', message: 'protocol version 1 is not supported (2 is)' }),
    );
    expect(() => negotiateVersion({ min: 5, max: 9 }, { min: 2, max: 3 })).toThrow(
      /5\.\.9 is not supported \(2\.\.3 is\)/,
    );
  });
});
