/** bench/p2-threads.ts's command line, checked before anything starts (see its header). */
import { parseArgs } from 'node:util';
import { positiveInteger } from './cli-args.js';

const ORDERS = ['java-first', 'sluice-first', 'alternate'] as const;
export type Order = (typeof ORDERS)[number];

/** Settings each gateway gets on its command line, where a variant's environment would not count. */
const SET_BY_FLAGS = ['SLUICE_PORT', 'SLUICE_LOG_LEVEL', 'PRAVEGA_SCOPE', 'PRAVEGA_CONTROLLER_URI'];

export interface P2ThreadsOptions {
  rounds: number;
  events: number;
  order: Order;
  withJava: boolean;
  /** The Sluice sides (the base and the variants); without them a gateway still serves admin calls. */
  withSluice: boolean;
  jitLog: boolean;
  /** One per extra Sluice side: its label and its gateway's environment. */
  variants: Array<{ label: string; env: Record<string, string> }>;
}

function parseVariant(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--variant takes KEY=VALUE[,KEY=VALUE…], not ${text}`);
    const key = pair.slice(0, eq);
    if (SET_BY_FLAGS.includes(key)) throw new Error(`--variant: ${key} is set by the gateway's flags here`);
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

export function p2ThreadsOptions(args = process.argv.slice(2)): P2ThreadsOptions {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: 'string', default: '6' },
      events: { type: 'string', default: '30000' },
      order: { type: 'string', default: 'java-first' },
      'jit-log': { type: 'boolean', default: false },
      variant: { type: 'string', multiple: true, default: [] },
      'no-java': { type: 'boolean', default: false },
      'no-sluice': { type: 'boolean', default: false },
    },
  });
  const order = ORDERS.find((o) => o === values.order);
  if (!order) throw new Error(`--order must be one of ${ORDERS.join(', ')}`);
  const withJava = !values['no-java'];
  const withSluice = !values['no-sluice'];
  if (!withJava && !withSluice) throw new Error('--no-java and --no-sluice leave nothing to run');
  if (!withSluice && values.variant.length > 0) throw new Error('--no-sluice runs no variants');
  if (!withJava && order !== 'alternate' && values.variant.length > 0)
    throw new Error('--no-java with variants: use --order alternate (java-first and sluice-first place Java)');
  const labels = new Set<string>();
  const variants = values.variant.map((text) => {
    const label = `Sluice[${text}]`;
    if (labels.has(label)) throw new Error(`--variant ${text} is given twice`);
    labels.add(label);
    return { label, env: parseVariant(text) };
  });
  return {
    rounds: positiveInteger('--rounds', values.rounds),
    events: positiveInteger('--events', values.events),
    order,
    withJava,
    withSluice,
    jitLog: values['jit-log'],
    variants,
  };
}
