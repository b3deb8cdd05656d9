import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/server/config.js';

describe('gateway configuration', () => {
  it('takes flags over environment over defaults', () => {
    const env = { PRAVEGA_CONTROLLER_URI: 'tcp://env:1', PRAVEGA_SCOPE: 'from-env', SLUICE_PORT: '9001' };
    const c = loadConfig(['--controller', 'tcp://flag:2'], env);
    expect(c.controller).toBe('tcp://flag:2');
    expect(c.scope).toBe('from-env');
    expect(c.port).toBe(9001);
    expect(loadConfig([], {}).controller).toBe('tcp://localhost:9090');
    expect(loadConfig(['--allowed-origin', 'http://a', '--allowed-origin', 'http://b'], {}).allowedOrigins).toEqual([
      'http://a',
      'http://b',
    ]);
    expect(loadConfig([], { SLUICE_ALLOWED_ORIGINS: 'http://a, http://b' }).allowedOrigins).toEqual([
      'http://a',
      'http://b',
    ]);
  });

  it('validates Pravega TLS host names unless told not to', () => {
    expect(loadConfig([], {}).validateHostname).toBe(true);
    expect(loadConfig(['--validate-hostname', 'false'], {}).validateHostname).toBe(false);
    expect(loadConfig([], { PRAVEGA_VALIDATE_HOSTNAME: 'false' }).validateHostname).toBe(false);
    expect(() => loadConfig(['--validate-hostname', 'no'], {})).toThrowError(
      /--validate-hostname must be true or false/,
    );
  });

  it('refuses a Pravega CA file with a plain-text controller URI instead of ignoring it', () => {
    expect(() => loadConfig(['--pravega-ca-file', '/tmp/ca.pem'], {})).toThrowError(
      /--pravega-ca-file is set but --controller tcp:\/\/localhost:9090 is not TLS/,
    );
    expect(() => loadConfig(['--controller', 'pravega://h:9090'], { PRAVEGA_CA_FILE: '/tmp/ca.pem' })).toThrowError(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
    expect(loadConfig(['--controller', 'tls://h:9090', '--pravega-ca-file', '/tmp/ca.pem'], {}).pravegaCaFile).toBe(
      '/tmp/ca.pem',
    );
  });

  it('rejects bad values with a clear message', () => {
    expect(() => loadConfig(['--port', 'eighty'], {})).toThrowError(/--port must be a whole number/);
    expect(() => loadConfig(['--no-such-flag'], {})).toThrowError(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
    expect(() => loadConfig(['--max-message-bytes', String(64 * 1024 * 1024)], {})).toThrowError(/at most 8 MiB/);
    const cap = 8 * 1024 * 1024 + 64 * 1024;
    expect(loadConfig(['--max-message-bytes', String(cap)], {}).maxMessageBytes).toBe(cap);
    expect(() => loadConfig(['--max-message-bytes', String(cap + 1)], {})).toThrowError(
      `--max-message-bytes may be at most 8 MiB + 64 KiB (${cap}: Pravega's largest event and its frame), got ${cap + 1}`,
    );
    expect(loadConfig([], {}).maxMessageBytes).toBe(1024 * 1024);
    expect(loadConfig([], {}).connectionsPerSecondPerSubject).toBe(20);
  });

  it('documents every setting in the README', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const s of Object.values(SETTINGS)) {
      expect(readme, `--${s.flag}`).toContain(`\`--${s.flag}\``);
      expect(readme, s.env).toContain(s.env);
    }
  });
});
