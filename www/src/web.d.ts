export { EntraAuth } from './auth.js';
export type {
  AccessTokenOptions,
  Account,
  EntraAuthConfig,
  EntraAuthError,
  EntraAuthErrorCode,
  LoginOptions,
  OboResult,
  RedirectReturn,
} from './auth.js';
export { default, default as init, initSync } from '../pkg-web/entra_edge_auth.js';
export type { InitInput, InitOutput } from '../pkg-web/entra_edge_auth.js';
