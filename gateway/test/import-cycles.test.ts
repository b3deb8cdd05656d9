/**
 * The import-cycle check (`node scripts/import-cycles.mjs`, a step of `pnpm test`) catches a cycle
 * made only of type imports, which the compiler erases and a check of the built code would miss.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findImportCycles } from '../../scripts/import-cycles.mjs';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cycles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

describe('import cycle check', () => {
  it('finds a cycle of type-only imports, and nothing in a tree whose imports point one way', async () => {
    // A session that creates channels, and channels that name the session only as a type.
    write(
      'cyclic/session.ts',
      "import { Channel } from './channel.js';\nexport class Session { c = new Channel(); }\n",
    );
    write(
      'cyclic/channel.ts',
      "import type { Session } from './session.js';\nexport class Channel { s: Session | undefined; }\n",
    );
    // The same, with the channel depending on an interface of its own file instead.
    write('layered/host.ts', 'export interface Host { send(frame: Uint8Array): void }\n');
    write(
      'layered/session.ts',
      "import type { Host } from './host.js';\nimport { Channel } from './channel.js';\nexport class Session implements Host { send() {} c = new Channel(); }\n",
    );
    write(
      'layered/channel.ts',
      "import type { Host } from './host.js';\nexport class Channel { h: Host | undefined; }\n",
    );

    const cycles = await findImportCycles(['cyclic'], { cwd: dir });
    expect(cycles).toHaveLength(1);
    expect([...new Set(cycles[0])].sort()).toEqual(['cyclic/channel.ts', 'cyclic/session.ts']);
    expect(await findImportCycles(['layered'], { cwd: dir })).toEqual([]);
  });
});
