// EntraAuth: Microsoft Entra ID sign-in for single-page apps.
//
// This module does the I/O: fetch, sessionStorage, the address bar, BroadcastChannel, the
// clock, crypto.getRandomValues and crypto.subtle.verify. Every decision is the wasm
// core's (crate/src/wasm/browser): what to request, how to read each answer, whether the
// ID token is valid, when the access token needs a refresh. Its exports are synchronous;
// values cross as strings, bytes and JSON text, and errors as thrown `{code, message}`
// text that `fault` turns into an Error.

import { verifySignature } from './webcrypto.js';

/** The message other tabs of the app receive on logout. */
const SIGNED_OUT = 'signed-out';
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
  #onSignOut;

  constructor(config) {
    try {
      this.#core = new Core(JSON.stringify(config ?? null));
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
      this.#channel.onmessage = (event) => {
        if (event.data !== SIGNED_OUT) return;
        this.#forget();
        this.#onSignOut?.('other-tab');
      };
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
      if (!callback) return undefined;
      const { state, address } = JSON.parse(callback);
      // First of all, so that neither a reload nor the history replays the code.
      history.replaceState(null, '', address);
      const pending = state === null ? undefined : this.#takePending(state);
      const code = this.#core.authorizationCode(url, pending, now());
      await this.#discover();
      const answer = await send(this.#core.codeExchange(code, pending));
      const grant = read(answer, () => this.#core.readCodeExchange(answer.status, answer.body, pending));
      this.#save(await this.#accept(grant));
      return this.account();
    } catch (thrown) {
      throw fault(thrown);
    }
  }

  async accessToken() {
    try {
      const token = this.#core.freshAccessToken(this.#session, now());
      if (token) return token;
      if (!this.#refreshing) {
        const refreshing = this.#refresh().finally(() => {
          if (this.#refreshing === refreshing) this.#refreshing = undefined;
        });
        this.#refreshing = refreshing;
      }
      return await this.#refreshing;
    } catch (thrown) {
      throw fault(thrown);
    }
  }

  async exchangeObo() {
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
    if (url instanceof Error) throw url;
    location.assign(url);
    return url;
  }

  onSignOut(callback) {
    this.#onSignOut = callback;
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

  async #refresh() {
    const session = this.#session;
    await this.#discover();
    const answer = await send(this.#core.refreshRequest(session));
    let grant;
    try {
      grant = this.#core.readRefresh(answer.status, answer.body, session);
    } catch (thrown) {
      const error = fault(thrown, answer.status);
      // A dead refresh token (Entra's SPA tokens live 24 hours) ends the session.
      if (error.code === 'login_required') this.#dropSession();
      throw error;
    }
    this.#save(await this.#accept(grant));
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
