// Generated from gateway/package.json by scripts/versions.mjs (every build runs it); do not edit.
/** The version of @sluice/gateway (its package.json's). */
export const GATEWAY_VERSION = '0.1.0';
