/** Controller URIs as Pravega's ClientConfig takes them (fact sheet §3.1). */
import { GatewayError } from '../errors.js';

export interface ControllerEndpoints {
  /** tls:// ssl:// pravegas:// use TLS; tcp:// pravega:// do not. */
  readonly tls: boolean;
  readonly endpoints: ReadonlyArray<{ host: string; port: number }>;
}

const SCHEMES: Record<string, boolean> = {
  'tcp:': false,
  'pravega:': false,
  'tls:': true,
  'ssl:': true,
  'pravegas:': true,
};

export function parseControllerUri(uri: string): ControllerEndpoints {
  const match = /^([a-z]+:)\/\/(.+)$/.exec(uri.trim());
  const scheme = match?.[1];
  if (!match || scheme === undefined || !(scheme in SCHEMES)) {
    throw new GatewayError(
      'invalid-argument',
      `controller URI "${uri}" must look like tcp://host:port[,host:port] (or tls://, pravega://, pravegas://)`,
    );
  }
  const endpoints = match[2]!.split(',').map((part) => {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(part.trim());
    const port = m ? Number(m[2]) : Number.NaN;
    if (!m || !(port > 0 && port < 65536))
      throw new GatewayError('invalid-argument', `controller URI "${uri}": "${part}" is not host:port`);
    return { host: m[1]!, port };
  });
  return { tls: SCHEMES[scheme]!, endpoints };
}
