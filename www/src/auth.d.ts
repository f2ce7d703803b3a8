// The EntraAuth class. The data shapes (EntraAuthConfig, LoginOptions, Account,
// OboResult, EntraAuthError, EntraAuthErrorCode) are generated from the Rust side that
// reads or produces them (crate/src/wasm/browser) into the wasm build's declarations.
import type {
  Account,
  EntraAuthConfig,
  EntraAuthError,
  EntraAuthErrorCode,
  LoginOptions,
  OboResult,
} from '../pkg-web/entra_edge_auth.js';

export type { Account, EntraAuthConfig, EntraAuthError, EntraAuthErrorCode, LoginOptions, OboResult };

/**
 * Entra ID sign-in for a single-page app.
 *
 * ```js
 * const auth = new EntraAuth({ tenantId, clientId, redirectUri: location.origin + '/' });
 * const account = await auth.handleRedirect();   // on the redirect URI; undefined elsewhere
 * if (!account && !auth.account()) auth.login(); // navigates to Entra
 * ```
 *
 * Every throw and rejection is an {@link EntraAuthError}: branch on `code`.
 */
export declare class EntraAuth {
  /** Checks the settings (each error names the field) and, with `storage: "session"`,
   *  picks up the tokens this tab kept before a reload. Throws `invalid_config`. */
  constructor(config: EntraAuthConfig);
  /** Builds the authorize URL (PKCE S256 challenge, `state`, `nonce`, all from
   *  `crypto.getRandomValues`), keeps the verifier, state and nonce in `sessionStorage`
   *  under the state (one use, at most 10 minutes), and returns the URL without
   *  navigating: for apps that navigate themselves. */
  authorizeUrl(options?: LoginOptions): string;
  /** Like `authorizeUrl`, then navigates to it. Returns the URL (the page unloads soon). */
  login(options?: LoginOptions): string;
  /** On the redirect URI: reads `code`/`state` or `error`, removes them from the address
   *  bar (`history.replaceState`), checks the state against the pending login (one use),
   *  redeems the code with the PKCE verifier, verifies the ID token (signature with
   *  WebCrypto against the tenant JWKS from discovery; `iss`, `aud`, `nonce`, `exp`,
   *  `tid`) and resolves the account. Resolves `undefined` when the URL is not a callback.
   *  A replayed or unknown state, a nonce mismatch or an Entra error rejects with a coded
   *  error and stores nothing. */
  handleRedirect(): Promise<(Account & RedirectReturn) | undefined>;
  /** A valid Entra access token; refreshed with the refresh token when less than five
   *  minutes (or half its lifetime) remain, one refresh at a time. Rejects with
   *  `login_required` when nobody is signed in or the refresh token is dead (Entra's SPA
   *  refresh tokens expire after 24 hours, AADSTS700084): call `login()` then. */
  accessToken(options?: AccessTokenOptions): Promise<string>;
  /** POSTs `{azure_token, tenant_id}` to the OBO endpoint and resolves its tokens and
   *  roles. Errors carry `status`, the endpoint's message, and for missing consent the code
   *  `consent_required` with the advice; the Entra session is kept either way. */
  exchangeObo(): Promise<OboResult>;
  /** The signed-in account, or `undefined`. */
  account(): Account | undefined;
  /** The last OBO answer of this session, or `undefined`. */
  oboResult(): OboResult | undefined;
  /** The roles the OBO endpoint granted (empty before `exchangeObo()`). */
  roles(): string[];
  /** Whether the OBO endpoint granted `role`. */
  hasRole(role: string): boolean;
  /** Clears every token and pending login, tells the app's other tabs (they drop their
   *  tokens and call their `onSignOut` callback), then navigates to Entra's end-session
   *  endpoint with `post_logout_redirect_uri` and `logout_hint`. Returns that URL. */
  logout(): string;
  /** Called with `"other-tab"` when another tab of this app signed out and this tab's
   *  tokens were dropped. */
  onSignOut(callback: (reason: 'other-tab') => void): void;
  /** `fetch` for the protected API. To an origin of `apiOrigins` it adds
   *  `Authorization: Bearer <app token>`, exchanging (OBO) on first use and again before
   *  the token expires (one exchange at a time across calls and tabs); a 401 whose
   *  `WWW-Authenticate` says `invalid_token` renews once and sends the request once more
   *  (not a request whose body is a stream: `api_unauthorized` says so), a second such
   *  401 rejects with `api_unauthorized`. A 401 `insufficient_claims` rejects with
   *  `claims_challenge` carrying `claims`. Any other answer, 403 included, resolves as it
   *  is. Requests to other origins go out untouched, never with the app token. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** The `error` code of an API's refusal (the edge worker's `role_denied`, …): the JSON
   *  body's `error`, else the `WWW-Authenticate` challenge's; `undefined` when neither. */
  errorCode(response: Response): Promise<string | undefined>;
  /** Subscribes to `signedIn` (an account: after a sign-in, or taken from another tab),
   *  `signedOut` (`"logout"`, `"other-tab"` or `"expired"`), `tokenRenewed`
   *  (`{kind: "entra" | "app"}`) and `renewalFailed` (the error). Returns the unsubscribe
   *  function. */
  on(event: 'signedIn', callback: (account: Account) => void): () => void;
  on(event: 'signedOut', callback: (reason: 'logout' | 'other-tab' | 'expired') => void): () => void;
  on(event: 'tokenRenewed', callback: (detail: { kind: 'entra' | 'app'; expiresAt?: number }) => void): () => void;
  on(event: 'renewalFailed', callback: (error: EntraAuthError) => void): () => void;
}

/** Options for {@link EntraAuth.accessToken}. */
export interface AccessTokenOptions {
  /** Another scope set (another resource), e.g. ["User.Read"] for Microsoft Graph: redeemed
   *  from the refresh token and kept per scope set. Without it, the sign-in scopes. */
  scopes?: string | string[];
  /** A claims request (a `claims_challenge` error's `claims`), sent with the token request. */
  claims?: string | Record<string, unknown>;
}

/** What {@link EntraAuth.handleRedirect} hands back with the account when the login was
 *  given them. */
export interface RedirectReturn {
  /** The login's `returnTo` path; the address bar already shows it. */
  returnTo?: string;
  /** The login's `appState`. */
  appState?: unknown;
}
