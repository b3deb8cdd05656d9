/** Every e2e run has a real Pravega standalone: one already up on 9090 is reused. */
import { ensurePravega } from '../scripts/pravega-lib.mjs';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const pravega = await ensurePravega({ log: (line: string) => console.log(`[pravega] ${line}`) });
  process.env.PRAVEGA_CONTROLLER_URI = pravega.controllerUri;
  return () => pravega.release();
}
