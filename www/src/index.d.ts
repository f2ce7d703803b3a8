export { EntraAuth } from './auth.js';
export type { Account, EntraAuthConfig, EntraAuthError, EntraAuthErrorCode, LoginOptions, OboResult } from './auth.js';
