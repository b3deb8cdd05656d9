/** Client addresses behind load balancers: X-Forwarded-For believed only from trusted proxies. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, parseTrustedProxies } from '../../src/server/client-address.js';

/** The two fields clientAddress reads, as an upgrade request carries them. */
function request(remoteAddress: string, forwardedFor?: string | string[]): IncomingMessage {
  return {
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

describe('client address', () => {
  const proxies = parseTrustedProxies(['10.0.0.0/8', '::1', '192.168.1.7']);

  it('is the peer when no proxy is trusted, whatever the header says', () => {
    expect(clientAddress(request('203.0.113.9', '198.51.100.1'), undefined)).toBe('203.0.113.9');
  });

  it('is the peer when the peer is not a trusted proxy (a client naming itself)', () => {
    expect(clientAddress(request('203.0.113.9', '198.51.100.1'), proxies)).toBe('203.0.113.9');
  });

  it('comes from X-Forwarded-For behind a trusted proxy, the nearest untrusted hop', () => {
    expect(clientAddress(request('10.1.2.3', '198.51.100.1'), proxies)).toBe('198.51.100.1');
    // A client that sent its own header: the balancer appended the real peer after it.
    expect(clientAddress(request('10.1.2.3', '1.1.1.1, 198.51.100.1'), proxies)).toBe('198.51.100.1');
    // Two trusted balancers in a row.
    expect(clientAddress(request('::1', '198.51.100.1, 192.168.1.7'), proxies)).toBe('198.51.100.1');
    expect(clientAddress(request('10.1.2.3', ['198.51.100.1', '10.9.9.9']), proxies)).toBe('198.51.100.1');
  });

  it('reads IPv4 peers of dual-stack sockets as IPv4, and ignores what is not an address', () => {
    expect(clientAddress(request('::ffff:10.1.2.3', '::ffff:198.51.100.1'), proxies)).toBe('198.51.100.1');
    expect(clientAddress(request('10.1.2.3', 'unknown, garbage'), proxies)).toBe('10.1.2.3');
    expect(clientAddress(request('10.1.2.3', '10.2.2.2'), proxies)).toBe('10.2.2.2');
  });

  it('refuses entries that are not addresses or ranges', () => {
    expect(parseTrustedProxies([])).toBeUndefined();
    expect(() => parseTrustedProxies(['10.0.0.0/33'])).toThrow(/not an IP address or CIDR/);
    expect(() => parseTrustedProxies(['::1/129'])).toThrow(/not an IP address or CIDR/);
    expect(() => parseTrustedProxies(['proxy.local'])).toThrow(/not an IP address or CIDR/);
    expect(() => parseTrustedProxies(['10.0.0.0/8/1'])).toThrow(/not an IP address or CIDR/);
  });
});
