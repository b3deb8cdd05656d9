/**
 * A gateway with client auth and an origin allow-list: the dashboard's token travels in the
 * WebSocket handshake (Sec-WebSocket-Protocol, the only header a browser can set) and works; a
 * page without a token is refused, and says so (`unauthenticated`, not retried) instead of "live".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, Serializers } from '@sluice/sdk';
import WebSocket from 'ws';
import { GatewayProcess } from '../../gateway/test/helpers/gateway-process.js';
import { controllerUri, expect, test } from '../helpers/fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A token from the gateway's own CLI (`sluice-gateway token`). */
function mintToken(secretFile: string, grant: string): string {
  return execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'gateway/src/server/cli.ts',
      'token',
      '--grant',
      grant,
      '--ttl',
      '10m',
      '--secret-file',
      secretFile,
    ],
    { cwd: root, encoding: 'utf8' },
  ).trim();
}

test('the dashboard authenticates with a token in the handshake; without one it is refused', async ({
  page,
  baseURL,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-auth-'));
  const secretFile = join(dir, 'secret.key');
  writeFileSync(secretFile, `e2e-secret-${Math.random().toString(36).slice(2)}-of-enough-length`);
  const scope = `e2e-auth-${Date.now().toString(36)}`;
  const gateway = await GatewayProcess.start([
    '--controller',
    controllerUri(),
    '--auth-secret-file',
    secretFile,
    '--allowed-origin',
    new URL(baseURL!).origin,
    '--allow-missing-origin', // the Node client below sends no Origin
    'true',
  ]);
  try {
    const token = mintToken(secretFile, `${scope}/*:read,write,admin`);
    const node = await connect({ url: gateway.url, scope, token, WebSocket });
    await node.createScope(scope);
    await node.createStream('secure', { scaling: { type: 'fixed', segments: 1 } });
    const writer = node.writer('secure', { serializer: Serializers.utf8() });
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.write(`node|key-${i % 2}|${i}`, `key-${i % 2}`)));
    await node.close();

    const query = new URLSearchParams({ gateway: gateway.url, scope, stream: 'secure' });
    await page.goto(`/?${query}`);
    // Refused after the upgrade with 4001 and why: the browser learns it is the token (a refusal
    // before the upgrade would look like a gateway that is down), and nothing retries it.
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'error');
    await expect(page.getByTestId('connection')).toContainText('unauthenticated: the gateway refused the token');
    await expect(page.getByTestId('connection')).not.toContainText('retrying');
    await expect(page.getByTestId('total')).toHaveText('0');

    const withToken = await page.context().newPage(); // (a new hash alone would not reload the page)
    await withToken.goto(`/?${query}#token=${token}`);
    await expect(withToken.getByTestId('connection')).toHaveAttribute('data-state', 'live');
    await expect(withToken.getByTestId('total')).toHaveText('50');
    expect(gateway.output).not.toContain(token);
  } finally {
    await gateway.stop();
  }
});
