/**
 * The client's address as rate limits and logs use it. Behind a load balancer every connection
 * comes from the balancer, so its X-Forwarded-For says who the client is — but any client can
 * send that header, so it is believed only from addresses listed in --trusted-proxies, and only
 * as far as the chain of trusted hops goes (read right to left, each hop appended by the one
 * before it).
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { GatewayError } from '../errors.js';

export type TrustedProxies = BlockList | undefined;

/** Parses addresses and CIDR ranges (IPv4 or IPv6), e.g. "10.0.0.0/8", "::1", "127.0.0.1". */
export function parseTrustedProxies(entries: readonly string[]): TrustedProxies {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || extra !== undefined) throw invalid(entry);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      list.addAddress(address!, type);
      continue;
    }
    const prefix = /^\d+$/.test(bits) ? Number(bits) : Number.NaN;
    if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) throw invalid(entry);
    list.addSubnet(address!, prefix, type);
  }
  return list;
}

function invalid(entry: string): GatewayError {
  return new GatewayError(
    'invalid-argument',
    `--trusted-proxies: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)`,
  );
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
function plain(address: string): string {
  const a = address.trim();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The connection's peer, or — when the peer is a trusted proxy — the nearest address in
 * X-Forwarded-For that is not one (the leftmost if all are).
 */
export function clientAddress(req: IncomingMessage, proxies: TrustedProxies): string {
  const peer = plain(req.socket.remoteAddress ?? 'unknown');
  if (!proxies || !trusted(proxies, peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map(plain)
    .filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted(proxies, hops[i]!)) return hops[i]!;
  }
  return hops[0] ?? peer;
}
