export { EntraAuth } from './auth.js';
export type { Account, EntraAuthConfig, EntraAuthError, EntraAuthErrorCode, LoginOptions, OboResult } from './auth.js';
export { default, default as init, initSync } from '../pkg-web/entra_edge_auth.js';
export type { InitInput, InitOutput } from '../pkg-web/entra_edge_auth.js';
