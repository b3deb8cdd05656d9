/**
 * Recognises a TLS handshake that failed on the certificate (or on the protocol): retrying will
 * not fix it, and the operator needs to hear which check failed.
 */

/** OpenSSL's verification codes as Node reports them, plus Node's own hostname check. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  // A tls:// URI pointed at a plaintext port.
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** The TLS error somewhere in `err`'s cause chain, if there is one. */
export function tlsFailureOf(err: unknown): (Error & { code: string }) | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CERTIFICATE_CODES.has(code)) return e as Error & { code: string };
  }
  return undefined;
}
