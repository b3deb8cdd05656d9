// The Vite app: the installed SDK in Chromium, against the installed gateway (?gateway=&scope=).
import * as sdk from '@sluice/sdk';
import { roundtrip } from './roundtrip.js';

const params = new URLSearchParams(location.search);
roundtrip(sdk, { url: params.get('gateway'), scope: params.get('scope'), stream: 'browser', count: 60 }).then(
  (result) => {
    window.smokeResult = { ok: true, ...result, nodeEntry: 'wsConstructor' in sdk };
  },
  (err) => {
    window.smokeResult = { ok: false, error: `${err?.name}: ${err?.message}` };
  },
);
