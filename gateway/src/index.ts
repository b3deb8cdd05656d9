/** @sluice/gateway: start a gateway in-process (the CLI is server/cli.ts). */
export { type ErrorCode, GatewayError } from './errors.js';
export { type GatewayConfig, loadConfig } from './server/config.js';
export { type DrainReport, GATEWAY_VERSION, type RunningGateway, startGateway } from './server/gateway.js';
