// Generated from sdk/package.json by scripts/versions.mjs (every build runs it); do not edit.
/** The version of @sluice/sdk (its package.json's). */
export const SDK_VERSION = '0.1.0';
