/** Types for gateway-node-flags.mjs. */
export declare const GATEWAY_NODE_FLAGS: readonly string[];
