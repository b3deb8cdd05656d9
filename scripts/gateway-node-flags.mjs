/**
 * The V8 flags every launcher in this repo starts the gateway with (`./sluice start`, the
 * benchmarks); README "Gateway configuration" says why. Plain JS so scripts/start.mjs can use it.
 *
 * `--initial-old-space-size=64`: the gateway's live heap is ~16 MB, and V8 sizes the next full
 * collection from it, so under a writer's load (objects that live until Pravega acknowledges
 * them are promoted) it ran a mark-compact every ~25 MB of traffic. A 64 MiB floor cut those
 * from 32 to 9 over the same five P2 phases.
 */
export const GATEWAY_NODE_FLAGS = ['--initial-old-space-size=64'];
