/**
 * The start-up check of the gateway's own standing with Pravega: refused credentials and refused
 * TLS certificates end the start with an error that names the cause and the flag to fix, instead
 * of a gateway that runs and fails every call. An unreachable Pravega is not fatal (the gateway
 * waits for it, as /readyz reports); only definite refusals are.
 */
import type { Logger } from 'pino';
import type { ControllerClient } from '../controller/controller-client.js';
import { GatewayError } from '../errors.js';
import { tlsFailureOf } from './tls-failure.js';

export interface UpstreamCheck {
  controller: ControllerClient;
  /** Opens a connection (Hello) to a segment store the controller names. */
  probeSegmentStore: () => Promise<void>;
  /** Whether --pravega-username was given (changes the advice). */
  hasCredentials: boolean;
  /** Whether the controller URI asked for TLS. */
  tls: boolean;
  logger: Logger;
  /** How long to wait for an answer before carrying on without one. */
  timeoutMs?: number;
}

function tlsRefusal(err: unknown, where: string): GatewayError | undefined {
  const tls = tlsFailureOf(err);
  if (!tls) return undefined;
  const advice =
    tls.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || tls.code === 'HOSTNAME_MISMATCH'
      ? 'connect by a name the certificate lists, or set --validate-hostname false'
      : tls.code === 'ERR_SSL_WRONG_VERSION_NUMBER'
        ? 'it does not speak TLS there: use a tcp:// controller URI'
        : "check --pravega-ca-file (the CA that signed Pravega's certificate)";
  return new GatewayError(
    'unauthenticated',
    `the gateway refused ${where}'s TLS certificate (${tls.code}: ${tls.message}): ${advice}`,
    { cause: err },
  );
}

/** Resolves when Pravega accepts the gateway or cannot be asked; rejects on a definite refusal. */
export async function checkUpstream(check: UpstreamCheck): Promise<void> {
  const { controller, logger } = check;
  const timeoutMs = check.timeoutMs ?? 5_000;
  try {
    await controller.ping(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    const e = GatewayError.from(err, 'unavailable');
    if (e.code === 'unauthenticated') {
      throw new GatewayError(
        'unauthenticated',
        check.hasCredentials
          ? `Pravega refused the gateway's credentials (UNAUTHENTICATED): check --pravega-username and --pravega-password (controller: ${e.message})`
          : `Pravega requires credentials (UNAUTHENTICATED): set --pravega-username and --pravega-password (controller: ${e.message})`,
        { cause: err },
      );
    }
    // Authenticated, just not allowed to look at _system: the credentials are good.
    if (e.code === 'permission-denied') return;
    const refusal = tlsRefusal(err, 'the Pravega controller');
    if (refusal) throw refusal;
    logger.warn({ err: e.message }, 'Pravega is not reachable yet; starting anyway (/readyz says when it is)');
    return;
  }
  if (!check.tls) return;
  // The segment stores have certificates of their own, reached by the names the controller gives.
  try {
    await check.probeSegmentStore();
  } catch (err) {
    const refusal = tlsRefusal(err, 'the Pravega segment store');
    if (refusal) throw refusal;
    logger.warn({ err: (err as Error).message }, 'no segment store reachable yet; starting anyway');
  }
}
