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
    expect(() => loadConfig(['--max-message-bytes', String(64 * 1024 * 1024)], {})).toThrowError(
      /--max-message-bytes must be 65536 \.\. 8454144, got 67108864/,
    );
    expect(() => loadConfig(['--no-such-flag'], {})).toThrowError(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
    const cap = 8 * 1024 * 1024 + 64 * 1024;
    expect(
      loadConfig(['--max-message-bytes', String(cap), '--max-inflight-bytes-per-session', String(4 * cap)], {})
        .maxMessageBytes,
    ).toBe(cap);
    expect(() => loadConfig(['--max-message-bytes', String(cap + 1)], {})).toThrowError(
      `--max-message-bytes must be 65536 .. ${cap}, got ${cap + 1}`,
    );
    expect(loadConfig([], {}).maxMessageBytes).toBe(1024 * 1024);
    expect(loadConfig([], {}).connectionsPerSecondPerSubject).toBe(20);
  });

  it('refuses zero, negative, fractional and out-of-range numbers, naming the flag or its variable', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--max-message-bytes', '0'], {}, /^--max-message-bytes must be 65536 \.\. 8454144, got 0$/],
      [['--max-message-bytes=-1'], {}, /--max-message-bytes must be a whole number/],
      [['--max-message-bytes', '-1'], {}, /'--max-message-bytes'/],
      [['--max-inflight-bytes', '0'], {}, /^--max-inflight-bytes must be 1024 \.\. 4294967295, got 0$/],
      [['--max-inflight-bytes', String(2 ** 32)], {}, /--max-inflight-bytes must be 1024 \.\. 4294967295/],
      [['--max-channels', '0'], {}, /--max-channels must be 1 \.\. 65536, got 0/],
      [['--port', '65536'], {}, /--port must be 0 \(any free port\) or 1 \.\. 65535, got 65536/],
      [['--send-high-water-bytes', '1.5'], {}, /--send-high-water-bytes must be a whole number/],
      [['--txn-lease-ms', '5000'], {}, /--txn-lease-ms must be 10000 \.\. 600000, got 5000/],
      [['--slow-consumer-ms', '0'], {}, /--slow-consumer-ms must be 100 \.\./],
      [['--idle-timeout-ms', '1e3'], {}, /--idle-timeout-ms must be a whole number/],
      [['--controller-timeout-ms', ''], {}, /--controller-timeout-ms needs a value/],
      [['--max-inflight-bytes-total', '0'], {}, /--max-inflight-bytes-total must be 262144 \.\./],
      [[], { SLUICE_MAX_MESSAGE_BYTES: '0' }, /^--max-message-bytes \(from \$SLUICE_MAX_MESSAGE_BYTES\) must be/],
      [[], { SLUICE_PORT: ' ' }, /--port \(from \$SLUICE_PORT\) must be a whole number/],
      [[], { SLUICE_MAX_INFLIGHT_BYTES_TOTAL: 'Infinity' }, /--max-inflight-bytes-total \(from/],
    ];
    for (const [argv, env, message] of cases) {
      expect(() => loadConfig(argv, env), `${argv.join(' ')} ${JSON.stringify(env)}`).toThrowError(message);
      expect(() => loadConfig(argv, env)).toThrowError(expect.objectContaining({ code: 'invalid-argument' }));
    }
    // 0 where it means something.
    expect(loadConfig(['--port', '0', '--idle-timeout-ms', '0', '--tail-cache-bytes', '0'], {})).toMatchObject({
      port: 0,
      idleTimeoutMs: 0,
      tailCacheBytes: 0,
    });
  });

  it('reads boolean words strictly: a typo is an error, not false', () => {
    for (const word of ['true', 'TRUE', '1'])
      expect(loadConfig(['--validate-hostname', word], {}).validateHostname).toBe(true);
    for (const word of ['false', 'False', '0'])
      expect(loadConfig(['--validate-hostname', word], {}).validateHostname).toBe(false);
    for (const word of ['ture', 'flase', 'yes', 'no', 'y', '2', 'enabled']) {
      expect(() => loadConfig(['--validate-hostname', word], {})).toThrowError(
        `--validate-hostname must be true or false, got "${word}"`,
      );
    }
    expect(() => loadConfig(['--allowed-origin', 'http://a'], { SLUICE_ALLOW_MISSING_ORIGIN: 'treu' })).toThrowError(
      '--allow-missing-origin (from $SLUICE_ALLOW_MISSING_ORIGIN) must be true or false, got "treu"',
    );
    // A bare boolean flag means true, wherever it stands.
    expect(loadConfig(['--allowed-origin', 'http://a', '--allow-missing-origin'], {}).allowMissingOrigin).toBe(true);
    expect(loadConfig(['--allow-missing-origin', '--allowed-origin', 'http://a'], {}).allowMissingOrigin).toBe(true);
  });

  it('refuses settings that contradict one another or would be ignored', () => {
    const cases: Array<[string[], string | RegExp]> = [
      [
        ['--auth-secret-file', '/s', '--auth-jwks-file', '/j'],
        '--auth-secret-file and --auth-jwks-file are both set: give exactly one source of token keys',
      ],
      [['--auth-jwks-file', '/j', '--auth-jwks-url', 'https://k'], /--auth-jwks-file and --auth-jwks-url are both set/],
      [['--allow-tokens-without-exp'], /--allow-tokens-without-exp is set but client auth is off/],
      [['--auth-issuer', 'https://i'], /--auth-issuer is set but client auth is off/],
      [['--allow-missing-origin', 'true'], /--allow-missing-origin is set without --allowed-origin/],
      [['--pravega-password', 'p'], /--pravega-password is set without --pravega-username/],
      [['--log-level', 'verbose'], /--log-level must be one of fatal, error, warn, info, debug, trace, silent/],
      [['--controller', 'http://h:1'], /^--controller: controller URI "http:\/\/h:1" must look like/],
      [
        ['--tail-cache-bytes', '8192', '--tail-cache-total-bytes', '4096'],
        /--tail-cache-bytes \(8192\) must be at most/,
      ],
      [
        ['--max-inflight-bytes-per-session', String(2 * 1024 * 1024)],
        /--max-inflight-bytes-per-session \(2097152\) must be at least 4 × --max-message-bytes \(4194304\)/,
      ],
      [
        ['--max-inflight-bytes-total', String(32 * 1024 * 1024)],
        /--max-inflight-bytes-total \(33554432\) must be at least --max-inflight-bytes-per-session \(67108864\)/,
      ],
    ];
    for (const [argv, message] of cases) expect(() => loadConfig(argv, {}), argv.join(' ')).toThrowError(message);
    const ok = loadConfig(['--auth-secret-file', '/s', '--allow-tokens-without-exp'], {});
    expect(ok.allowTokensWithoutExp).toBe(true);
    expect(loadConfig([], {})).toMatchObject({
      allowTokensWithoutExp: false,
      maxInflightBytesPerSession: 64 * 1024 * 1024,
      maxInflightBytesTotal: 256 * 1024 * 1024,
    });
  });

  it('takes trusted proxies (repeatable or comma-separated) and an admin port, and refuses what does not fit', () => {
    const c = loadConfig(
      ['--trusted-proxies', '10.0.0.0/8,::1', '--trusted-proxies', '192.168.1.7', '--admin-port', '9100'],
      {},
    );
    expect(c.trustedProxies).toEqual(['10.0.0.0/8', '::1', '192.168.1.7']);
    expect(c.adminPort).toBe(9100);
    expect(loadConfig([], { SLUICE_TRUSTED_PROXIES: '127.0.0.1, 10.1.0.0/16' }).trustedProxies).toEqual([
      '127.0.0.1',
      '10.1.0.0/16',
    ]);
    expect(loadConfig([], {})).toMatchObject({ adminPort: 0, drainTimeoutMs: 30_000, trustedProxies: [] });
    expect(() => loadConfig(['--trusted-proxies', '10.0.0.0/33'], {})).toThrow(
      /"10.0.0.0\/33" is not an IP address or CIDR/,
    );
    expect(() => loadConfig(['--trusted-proxies', 'lb.example'], {})).toThrow(/--trusted-proxies/);
    expect(() => loadConfig(['--admin-port', '8080'], {})).toThrow(/--admin-port 8080 is --port too/);
    expect(() => loadConfig(['--admin-host', '0.0.0.0'], {})).toThrow(/--admin-host is set without --admin-port/);
  });

  it('documents every setting in the configuration reference (docs/reference/configuration.md)', () => {
    // The reference is generated from SETTINGS (`pnpm run docs`); this fails when it was not
    // regenerated after a setting was added.
    const readme = ['../../../docs/reference/configuration.md']
      .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8'))
      .join('\n');
    for (const s of Object.values(SETTINGS)) {
      expect(readme, `--${s.flag}`).toContain(`\`--${s.flag}\``);
      expect(readme, s.env).toContain(s.env);
    }
  });
});
