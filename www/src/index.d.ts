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
