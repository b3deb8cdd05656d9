// Vitest global setup: every test run has a real Pravega standalone. One that is already up
// (e.g. from `pnpm pravega`) is reused; otherwise one is started here and stopped at the end.
import { ensurePravega } from './pravega-lib.mjs';

export default async function setup(): Promise<() => Promise<void>> {
  const pravega = await ensurePravega({ log: (line: string) => console.log(`[pravega] ${line}`) });
  process.env.PRAVEGA_CONTROLLER_URI = pravega.controllerUri;
  return async () => {
    await pravega.release();
  };
}
