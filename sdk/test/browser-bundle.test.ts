/**
 * The SDK's browser build imports nothing from Node: bundle the isomorphic entry for the
 * browser with esbuild and look for Node built-ins and the `ws` package in the result.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('browser bundle', () => {
  it('bundles for the browser without Node built-ins or ws', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('/ws/') || p.startsWith('node:'))).toBe(false);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|from\s*["']ws["']/);
    expect(code.length).toBeGreaterThan(10_000);
  });
});
