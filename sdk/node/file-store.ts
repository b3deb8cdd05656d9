/**
 * A checkpoint store in a folder (Node): one JSON file per key, replaced atomically — written to
 * a temporary file, flushed to disk, then renamed over the old one.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { type CheckpointStore, parseCheckpoint } from '../src/checkpoints/store.js';
import { SluiceError } from '../src/errors.js';

export function fileStore(dir: string): CheckpointStore {
  const pathOf = (key: string) => join(dir, `${encodeURIComponent(key)}.checkpoint.json`);
  return {
    async load(key) {
      let text: string;
      try {
        text = await readFile(pathOf(key), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw SluiceError.from(err);
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = null;
      }
      return parseCheckpoint(raw, pathOf(key));
    },
    async save(key, checkpoint) {
      await mkdir(dir, { recursive: true });
      const target = pathOf(key);
      const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(JSON.stringify(checkpoint));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, target);
    },
  };
}
