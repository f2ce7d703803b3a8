// EntraAuth: Microsoft Entra ID sign-in for single-page apps.
//
// This module does the I/O: fetch, sessionStorage, the address bar, BroadcastChannel, the
// clock, crypto.getRandomValues and crypto.subtle.verify. Every decision is the wasm
// core's (crate/src/wasm/browser): what to request, how to read each answer, whether the
// ID token is valid, when the access token needs a refresh. Its exports are synchronous;
// values cross as strings, bytes and JSON text, and errors as thrown `{code, message}`
// text that `fault` turns into an Error.
//
// Calling the protected API (`fetch`): the app token rides only to `apiOrigins`, is renewed
// before it expires by one OBO exchange shared by every caller (and, with `navigator.locks`,
// by every tab of the app), and a 401 `invalid_token` renews it and retries once. Tabs share
// one sign-in memory to memory over a BroadcastChannel, never through localStorage.

import { verifySignature } from './webcrypto.js';

/** The message other tabs of the app receive on logout. */
const SIGNED_OUT = 'signed-out';
/** A new tab's question to the app's other tabs, and their answer. */
const ASK_SESSION = 'session?';
const SESSION = 'session';
/** How long a tab waits for another tab's session. */
const PEER_WAIT_MS = 300;
/** How long one request may take before it counts as a network error. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Random bytes per login: 32 each for state, nonce and PKCE verifier (the core checks). */
const LOGIN_ENTROPY_BYTES = 96;

/** The wasm build's `Core` class, given by the entry module (bundler or web build). */
let Core;

/** @internal Called once by the entry module. */
export function useCore(core) {
  Core = core;
}

const now = () => Date.now() / 1000;

function codedError(code, message, status) {
  const error = Object.assign(new Error(message), { name: 'EntraEdgeAuthError', code });
  if (status !== undefined) error.status = status;
  return error;
}

/** A wasm export's thrown `{code, message}` text as an Error; other throws pass as they are. */
function fault(thrown, status) {
  if (typeof thrown !== 'string') return thrown;
  const { code, message } = JSON.parse(thrown);
  return codedError(code, message, status);
}

/** Reads a server's answer with the core: a refusal carries the answer's HTTP status. */
function read(answer, call) {
  try {
    return call();
  } catch (thrown) {
    throw fault(thrown, answer.status);
  }
}

/** Sends a request the core built: no cookies, no redirects followed, bounded in time. */
async function send(request) {
  const { method, url, headers, body } = JSON.parse(request);
  try {
    const response = await fetch(url, {
      method,
      headers,
      body: body ?? undefined,
      credentials: 'omit',
      redirect: 'error',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    // The origin only: the query may hold secrets.
    throw codedError('network_error', `${new URL(url).origin} could not be reached: ${error.message}`);
  }
}

/** Runs `task` holding the app's lock `name` across its tabs (`navigator.locks`), or
 * simply runs it where the API is missing. */
function locked(name, task) {
  return globalThis.navigator?.locks ? navigator.locks.request(name, task) : task();
}

/** Whether a fetch body is a stream (it can be sent once only). */
const isStream = (body) => typeof ReadableStream === 'function' && body instanceof ReadableStream;

/** `sessionStorage`, or an error saying why not (blocked by privacy settings, sandboxed). */
function sessionStore() {
  try {
    if (globalThis.sessionStorage) return globalThis.sessionStorage;
  } catch { /* a SecurityError: blocked */ }
  throw codedError('invalid_config', 'sessionStorage is not available, so a login cannot be carried across the redirect');
}

/** Entra ID sign-in for a single-page app. See the package README and `auth.d.ts`. */
export class EntraAuth {
  #core;
  #prefix;
  #channel;
  /** The session record (JSON text the core made), or undefined. */
  #session;
  /** The refresh in flight, shared by every caller of accessToken(). */
  #refreshing;
  /** The OBO exchange in flight, shared by every caller of exchangeObo() and fetch(). */
  #exchanging;
  /** Refreshes for other scope sets in flight, by scope key. */
  #resources = new Map();
  /** Event name → set of callbacks. */
  #listeners = new Map();
  /** Waiting for another tab's session: its resolve function. */
  #peerAnswer;
  /** Whether another tab of the app was ever heard: a tab that never heard one does not
   * wait for an answer before each refresh. */
  #heardPeer = false;
  #onSignOut;

  constructor(config) {
    // `authorityMetadata` (MSAL's name): the discovery document shipped with the app, so the
    // callback page makes no discovery request. The core checks it as it checks a fetched
    // one (the issuer against the configured authority, https endpoints).
    const { authorityMetadata, ...settings } = config ?? {};
    try {
      this.#core = new Core(JSON.stringify(config == null ? null : settings));
      if (authorityMetadata !== undefined) {
        const document = typeof authorityMetadata === 'string' ? authorityMetadata : JSON.stringify(authorityMetadata);
        this.#core.readDiscovery(200, document);
      }
    } catch (thrown) {
      throw fault(thrown);
    }
    this.#prefix = this.#core.storagePrefix;
    if (this.#core.keepsSession) {
      try {
        const stored = sessionStore().getItem(this.#key('session'));
        this.#session = (stored && this.#core.restore(stored)) || undefined;
      } catch { /* no storage: nothing to pick up */ }
    }
    // Another tab signed out: drop this tab's tokens too, then tell the app.
    if (typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(this.#prefix);
      this.#channel.onmessage = (event) => this.#fromPeer(event.data);
    }
  }

  authorizeUrl(options) {
    try {
      const store = sessionStore();
      const time = now();
      for (const key of this.#keys('pending:')) {
        if (this.#core.pendingIsStale(store.getItem(key) ?? '', time)) store.removeItem(key);
      }
      const entropy = crypto.getRandomValues(new Uint8Array(LOGIN_ENTROPY_BYTES));
      const login = this.#core.startLogin(JSON.stringify(options ?? null), entropy, time);
      const { url, state, pending } = JSON.parse(login);
      try {
        store.setItem(this.#key(`pending:${state}`), pending);
      } catch {
        throw codedError('invalid_config', 'sessionStorage refused the pending login (full or blocked)');
      }
      return url;
    } catch (thrown) {
      throw fault(thrown);
    }
  }

  login(options) {
    const url = this.authorizeUrl(options);
    location.assign(url);
    return url;
  }

  async handleRedirect() {
    try {
      const url = location.href;
      const callback = this.#core.callback(url);
      if (!callback) {
        // Not a callback: pick up the sign-in of another tab of the app, if one answers.
        if (!this.#session) await this.#askPeers();
        return undefined;
      }
      const { state, address } = JSON.parse(callback);
      // First of all, so that neither a reload nor the history replays the code.
      history.replaceState(null, '', address);
      const pending = state === null ? undefined : this.#takePending(state);
      const code = this.#core.authorizationCode(url, pending, now());
      await this.#discover();
      const answer = await send(this.#core.codeExchange(code, pending));
      const grant = read(answer, () => this.#core.readCodeExchange(answer.status, answer.body, pending));
      this.#save(await this.#accept(grant));
      const { returnTo, appState } = JSON.parse(this.#core.loginReturn(pending));
      // The deep link replaces the callback address, so a reload lands there (no loop).
      if (returnTo) history.replaceState(null, '', returnTo);
      const account = this.account();
      this.#emit('signedIn', account);
      return returnTo || appState !== null ? { ...account, returnTo: returnTo ?? undefined, appState: appState ?? undefined } : account;
    } catch (thrown) {
      throw fault(thrown);
    }
  }

  async accessToken(options) {
    try {
      if (options?.scopes !== undefined) return await this.#resourceToken(options.scopes, options.claims);
      const claims = options?.claims;
      const token = claims === undefined && this.#core.freshAccessToken(this.#session, now());
      if (token) return token;
      if (!this.#refreshing) {
        const refreshing = locked(`${this.#prefix}:refresh`, async () => {
          // Another tab may have refreshed while this one waited for the lock.
          if (claims === undefined) {
            const fresh = this.#core.freshAccessToken(this.#session, now()) || (await this.#syncFromPeers(), this.#core.freshAccessToken(this.#session, now()));
            if (fresh) return fresh;
          }
          return this.#refresh(claims);
        }).finally(() => {
          if (this.#refreshing === refreshing) this.#refreshing = undefined;
        });
        this.#refreshing = refreshing;
      }
      return await this.#refreshing;
    } catch (thrown) {
      throw fault(thrown);
    }
  }

  exchangeObo() {
    if (!this.#exchanging) {
      const exchanging = this.#exchange().finally(() => {
        if (this.#exchanging === exchanging) this.#exchanging = undefined;
      });
      this.#exchanging = exchanging;
    }
    return this.#exchanging;
  }

  async #exchange() {
    try {
      const token = await this.accessToken();
      const request = this.#core.oboRequest(token, this.#session);
      let answer;
      try {
        answer = await send(request);
      } catch (error) {
        throw codedError(error.code, `the OBO endpoint is unreachable (down, or not allowing this origin by CORS): ${error.message}`);
      }
      const obo = read(answer, () => this.#core.readObo(answer.status, answer.body, now()));
      // Kept with the session unless it ended meanwhile; a failure above keeps it as it was.
      if (this.#session) this.#save(this.#core.withObo(this.#session, obo));
      return JSON.parse(obo);
    } catch (thrown) {
      throw fault(thrown);
    }
  }

  account() {
    return this.#session ? JSON.parse(this.#session).account : undefined;
  }

  oboResult() {
    return (this.#session && JSON.parse(this.#session).obo) ?? undefined;
  }

  roles() {
    return this.oboResult()?.roles ?? [];
  }

  hasRole(role) {
    return this.roles().includes(role);
  }

  async fetch(input, init) {
    const request = new Request(input, init);
    if (!this.#core.carriesAppToken(new URL(request.url).origin)) return fetch(request);
    const once = isStream(init?.body);
    // Kept unsent, so that the request can go once more after a renewal.
    const spare = once ? undefined : request.clone();
    let token = await this.#appToken();
    let response = await fetch(this.#withToken(request, token));
    const verdict = this.#verdict(response);
    if (verdict === 'renew') {
      token = await this.#appToken(token);
      if (once) {
        throw codedError('api_unauthorized', 'the API refused the app token (invalid_token); it was renewed, but the request body is a stream, which cannot be sent twice: send the request again', response.status);
      }
      response = await fetch(this.#withToken(spare, token));
      if (this.#verdict(response) === 'renew') {
        throw codedError('api_unauthorized', 'the API refused the app token again right after it was renewed (invalid_token): not retried further', response.status);
      }
    }
    return response;
  }

  async errorCode(response) {
    let body = '';
    try {
      body = await response.clone().text();
    } catch { /* a body already read: the header alone */ }
    return this.#core.denyCode(response.headers.get('www-authenticate') ?? undefined, body) || undefined;
  }

  on(event, callback) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(callback);
    return () => this.#listeners.get(event)?.delete(callback);
  }

  logout() {
    let url;
    try {
      // Built first (it needs the session's login_hint), used once everything is cleared.
      url = this.#core.logoutUrl(this.#session);
    } catch (thrown) {
      url = fault(thrown);
    }
    this.#forget();
    this.#channel?.postMessage(SIGNED_OUT);
    this.#emit('signedOut', 'logout');
    if (url instanceof Error) throw url;
    location.assign(url);
    return url;
  }

  onSignOut(callback) {
    this.#onSignOut = callback;
  }

  #emit(event, detail) {
    for (const callback of this.#listeners.get(event) ?? []) {
      try {
        callback(detail);
      } catch (error) {
        setTimeout(() => { throw error; }); // the app's bug, reported, not ours to swallow
      }
    }
  }

  /** A message from another tab of the app. */
  #fromPeer(message) {
    this.#heardPeer = true;
    if (message === SIGNED_OUT) {
      const wasSignedIn = Boolean(this.#session);
      this.#forget();
      this.#onSignOut?.('other-tab');
      if (wasSignedIn) this.#emit('signedOut', 'other-tab');
    } else if (message?.type === ASK_SESSION) {
      if (this.#session) this.#channel.postMessage({ type: SESSION, session: this.#session });
    } else if (message?.type === SESSION && this.#peerAnswer) {
      this.#peerAnswer(message.session);
    }
  }

  /** Asks the app's other tabs for their session; resolves it (text) or undefined. */
  #peerSession() {
    if (!this.#channel) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (session) => {
        clearTimeout(timer);
        this.#peerAnswer = undefined;
        resolve(session);
      };
      const timer = setTimeout(done, PEER_WAIT_MS);
      this.#peerAnswer = done;
      this.#channel.postMessage({ type: ASK_SESSION });
    });
  }

  /** A new tab: takes the session another tab of the app holds, memory to memory. */
  async #askPeers() {
    const session = await this.#peerSession();
    const restored = typeof session === 'string' ? this.#core.restore(session) : '';
    if (!restored || this.#session) return;
    this.#save(restored);
    this.#emit('signedIn', this.account());
  }

  /** Before refreshing or renewing: takes another tab's session when it is the same
   * sign-in with newer tokens (that tab refreshed while this one waited for the lock). */
  async #syncFromPeers() {
    const mine = this.#session;
    if (!mine || !this.#heardPeer) return;
    const session = await this.#peerSession();
    const restored = typeof session === 'string' ? this.#core.restore(session) : '';
    if (restored && this.#session === mine && this.#core.peerIsNewer(mine, restored)) this.#save(restored);
  }

  /** The app token: the kept one while fresh, else one exchange (one per app across its
   * tabs). `rejected`: the token an API just refused, which must not be used again. */
  async #appToken(rejected) {
    const fresh = () => {
      const token = this.#core.appToken(this.#session, now());
      return token && token !== rejected ? token : '';
    };
    let token = fresh();
    if (token) return token;
    try {
      token = await locked(`${this.#prefix}:obo`, async () => {
        let current = fresh();
        if (!current) {
          await this.#syncFromPeers();
          current = fresh();
        }
        if (current) return current;
        const result = await this.exchangeObo();
        this.#emit('tokenRenewed', { kind: 'app', expiresAt: result.expiresAt });
        return result.accessToken;
      });
      return token;
    } catch (error) {
      this.#emit('renewalFailed', error);
      throw error;
    }
  }

  #withToken(request, token) {
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${token}`);
    return new Request(request, { headers });
  }

  /** The core's reading of an API answer: 'pass', 'renew', or a claims challenge (thrown). */
  #verdict(response) {
    let verdict;
    try {
      verdict = this.#core.apiVerdict(response.status, response.headers.get('www-authenticate') ?? undefined);
    } catch (thrown) {
      throw fault(thrown, response.status);
    }
    if (verdict === 'pass' || verdict === 'renew') return verdict;
    const error = codedError('claims_challenge', 'the API asks for more claims (Conditional Access or Continuous Access Evaluation): call login({ claims: error.claims }) and try again', response.status);
    error.claims = verdict;
    throw error;
  }

  /** An access token for another scope set, from the refresh token, kept per scope set. */
  async #resourceToken(scopes, claims) {
    const key = this.#core.scopeKey(JSON.stringify(scopes));
    if (claims === undefined) {
      const token = this.#core.resourceToken(this.#session, key, now());
      if (token) return token;
    }
    if (!this.#resources.has(key)) {
      const pending = locked(`${this.#prefix}:refresh`, async () => {
        const session = this.#session;
        await this.#discover();
        const answer = await send(this.#core.resourceRequest(session, JSON.stringify(scopes), claims === undefined ? undefined : typeof claims === 'string' ? claims : JSON.stringify(claims)));
        let updated;
        try {
          updated = this.#core.readResource(answer.status, answer.body, session, key, now());
        } catch (thrown) {
          const error = fault(thrown, answer.status);
          if (error.code === 'login_required') this.#endSession();
          throw error;
        }
        // Kept only if the session is still the one this started from.
        if (this.#session === session) this.#save(updated);
        return this.#core.resourceToken(updated, key, now());
      }).finally(() => this.#resources.delete(key));
      this.#resources.set(key, pending);
    }
    return this.#resources.get(key);
  }

  /** The session is over (dead refresh token): dropped here, and the app told. */
  #endSession() {
    const wasSignedIn = Boolean(this.#session);
    this.#dropSession();
    if (wasSignedIn) this.#emit('signedOut', 'expired');
  }

  #key(name) {
    return `${this.#prefix}:${name}`;
  }

  /** This app's sessionStorage keys under `name`. */
  #keys(name) {
    return Object.keys(sessionStore()).filter((key) => key.startsWith(this.#key(name)));
  }

  /** Removes and returns the pending login stored under `state`. Removed first, so that a
   * replayed callback finds nothing, whatever happens next. */
  #takePending(state) {
    const store = sessionStore();
    const key = this.#key(`pending:${state}`);
    const pending = store.getItem(key) ?? undefined;
    store.removeItem(key);
    return pending;
  }

  /** The provider's endpoints from its discovery document, once per page. */
  async #discover() {
    const request = this.#core.discoveryRequest();
    if (!request) return;
    const answer = await send(request);
    read(answer, () => this.#core.readDiscovery(answer.status, answer.body));
  }

  /** Fetches the ID token's key set when the core asks for it, then asks WebCrypto for the
   * signature's verdict (false when the grant holds no ID token). */
  async #verify(grant) {
    for (let request; (request = this.#core.keyRequest(grant)); ) {
      const answer = await send(request);
      this.#core.storeKeys(grant, answer.status, answer.body);
    }
    return grant.alg ? verifySignature(grant.alg, grant.jwk, grant.data, grant.signature) : false;
  }

  /** The session record the grant makes once its ID token is verified (for a refresh,
   * from the session as it is by then); the grant is used up either way. */
  async #accept(grant) {
    try {
      const valid = await this.#verify(grant);
      return grant.finish(valid, now(), this.#session);
    } finally {
      grant.free();
    }
  }

  async #refresh(claims) {
    const session = this.#session;
    let grant;
    try {
      await this.#discover();
      const answer = await send(this.#core.refreshRequest(session, claims === undefined ? undefined : typeof claims === 'string' ? claims : JSON.stringify(claims)));
      try {
        grant = this.#core.readRefresh(answer.status, answer.body, session);
      } catch (thrown) {
        const error = fault(thrown, answer.status);
        // A dead refresh token (Entra's SPA tokens live 24 hours) ends the session.
        if (error.code === 'login_required') this.#endSession();
        throw error;
      }
    } catch (error) {
      this.#emit('renewalFailed', fault(error));
      throw error;
    }
    this.#save(await this.#accept(grant));
    this.#emit('tokenRenewed', { kind: 'entra' });
    return JSON.parse(this.#session).access_token;
  }

  #save(session) {
    if (this.#core.keepsSession) {
      try {
        sessionStore().setItem(this.#key('session'), session);
      } catch {
        throw codedError('invalid_config', 'sessionStorage refused the session (full or blocked)');
      }
    }
    this.#session = session;
  }

  /** Forgets the session, in memory and in sessionStorage (whatever the mode, so that a
   * mode change between page loads leaves nothing behind). */
  #dropSession() {
    this.#session = undefined;
    try {
      sessionStore().removeItem(this.#key('session'));
    } catch { /* no storage: nothing stored */ }
  }

  /** Forgets every token and pending login of this app in this tab. */
  #forget() {
    this.#dropSession();
    this.#refreshing = undefined;
    try {
      for (const key of this.#keys('pending:')) sessionStore().removeItem(key);
    } catch { /* no storage: nothing pending */ }
  }
}
