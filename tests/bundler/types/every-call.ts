// Every public call of the package, type-checked against its published declarations (the
// tarball `npm pack` makes, installed here): `tsc -p tests/bundler --noEmit --strict`
// (tests/browser/bundler.test.mjs). Never run, never bundled; a declaration that drifts from
// the API (a renamed method, a wrong return type, a code missing from EntraAuthErrorCode)
// fails to compile here. `@ts-expect-error` lines check that wrong uses are refused.
import { EntraAuth } from 'entra-edge-auth';
import type {
  AccessTokenOptions,
  Account,
  EntraAuthConfig,
  EntraAuthError,
  EntraAuthErrorCode,
  LoginOptions,
  OboResult,
  RedirectReturn,
} from 'entra-edge-auth';
import init, { EntraAuth as WebEntraAuth, init as namedInit, initSync } from 'entra-edge-auth/web';
import type { InitInput, InitOutput } from 'entra-edge-auth/web';

const config: EntraAuthConfig = {
  tenantId: '00000000-0000-0000-0000-000000000000',
  clientId: '11111111-1111-1111-1111-111111111111',
  redirectUri: 'https://app.example.com/',
  scopes: ['api://example/access_as_user'],
  oboEndpoint: 'https://api.example.com/obo/exchange',
  authorityHost: 'https://login.microsoftonline.com',
  postLogoutRedirectUri: 'https://app.example.com/',
  storage: 'session',
};
// @ts-expect-error: tokens are never kept in localStorage
const _local: EntraAuthConfig = { ...config, storage: 'local' };
// @ts-expect-error: redirectUri is required
const _partial: EntraAuthConfig = { tenantId: 't', clientId: 'c' };

const options: LoginOptions = { prompt: 'select_account', loginHint: 'alice@example.com', domainHint: 'example.com' };

export async function everyCall(): Promise<void> {
  const auth = new EntraAuth(config);
  const url: string = auth.authorizeUrl(options);
  const navigated: string = auth.login();
  const handled: Account | undefined = await auth.handleRedirect();
  const token: string = await auth.accessToken();
  const obo: OboResult = await auth.exchangeObo();
  const account: Account | undefined = auth.account();
  const last: OboResult | undefined = auth.oboResult();
  const roles: string[] = auth.roles();
  const admin: boolean = auth.hasRole('super_admin');
  auth.onSignOut((reason: 'other-tab') => console.log(reason));
  const logoutUrl: string = auth.logout();
  console.log(url, navigated, handled?.username, token, obo.roles, account?.claims, last?.userId, roles, admin, logoutUrl);

  // The working-day calls: the deep link back, other scopes, the protected API, events.
  const returned: (Account & RedirectReturn) | undefined = await auth.handleRedirect();
  const back: string | undefined = returned?.returnTo;
  const state: unknown = returned?.appState;
  const graph: AccessTokenOptions = { scopes: ['User.Read'], claims: { access_token: { xms_cc: { values: ['cp1'] } } } };
  const graphToken: string = await auth.accessToken(graph);
  const challenged: string = await auth.accessToken({ scopes: 'User.Read', claims: '{"access_token":{}}' });
  const response: Response = await auth.fetch('https://api.example.com/orders', { method: 'POST', body: '{}' });
  const denied: string | undefined = await auth.errorCode(response);
  await auth.fetch(new URL('https://api.example.com/orders'));
  const offs: Array<() => void> = [
    auth.on('signedIn', (a: Account) => console.log(a.username)),
    auth.on('signedOut', (reason: 'logout' | 'other-tab' | 'expired') => console.log(reason)),
    auth.on('tokenRenewed', (detail: { kind: 'entra' | 'app'; expiresAt?: number }) => console.log(detail.kind, detail.expiresAt)),
    auth.on('renewalFailed', (error: EntraAuthError) => console.log(error.code)),
  ];
  // @ts-expect-error: not one of the package's events
  auth.on('tokenExpired', () => undefined);
  // @ts-expect-error: a signedOut reason is not an account
  auth.on('signedOut', (a: Account) => console.log(a));
  offs.forEach((off) => off());
  console.log(back, state, graphToken, challenged, denied);

  // The web entry: initialise the wasm first, any of three ways.
  const output: InitOutput = await init();
  const wasmUrl: InitInput = new URL('https://app.example.com/entra_edge_auth_bg.wasm');
  await namedInit({ module_or_path: wasmUrl });
  initSync({ module: new Uint8Array() });
  new WebEntraAuth(config);
  console.log(output);
}

export function branchOnCode(error: unknown): string {
  const e = error as EntraAuthError;
  const code: EntraAuthErrorCode = e.code;
  const status: number | undefined = e.status;
  // @ts-expect-error: not one of the package's codes
  const _wrong: EntraAuthErrorCode = 'no_such_code';
  // @ts-expect-error: scopes are text or a list of text
  const _scopes: AccessTokenOptions = { scopes: 42 };
  return `${e.name} ${code} ${status ?? ''} ${e.message}`;
}

export function accountFields(a: Account): [string, string, string, string[], true, number] {
  return [a.username, a.objectId, a.tenantId, a.groups, a.verified, a.expiresAt];
}
