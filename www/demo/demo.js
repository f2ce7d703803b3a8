// The demo page: plain JS around the package. It shows each step as it happens and puts
// every error on the page (code + what to do), never only in the console.
import init, { EntraAuth } from '../src/web.js';

const $ = (id) => document.getElementById(id);
const SETTINGS_KEY = 'entra-edge-auth-demo:settings'; // settings only: never tokens
const AUTHORIZE_KEY = 'entra-edge-auth-demo:authorize-url';
const SIGNED_OUT_KEY = 'entra-edge-auth-demo:signed-out';

/** What each error code means for the person in front of the page. */
const HINTS = {
  unknown_state: ['Sign-in response not recognised', 'This sign-in response does not belong to a sign-in started in this tab: it was replayed (used already), tampered with, or took longer than 10 minutes. Nothing was stored. Sign in again.'],
  state_mismatch: ['Sign-in response tampered with', 'The response\'s state does not match the sign-in this tab started. Nothing was stored. Sign in again.'],
  nonce_mismatch: ['ID token not issued for this sign-in', 'The ID token\'s nonce does not match the one this sign-in sent, so it may have been replayed from another sign-in. Nothing was stored. Sign in again.'],
  access_denied: ['Sign-in cancelled', 'You cancelled the sign-in (or declined consent) at Microsoft Entra ID. Nothing was stored. Sign in again whenever you are ready.'],
  login_required: ['Please sign in again', 'The session has ended (Entra\'s single-page-app refresh tokens expire after 24 hours, or it was revoked). Signing in again starts a new one.'],
  consent_required: ['Admin consent missing', 'An Entra administrator must grant consent to the app\'s API permissions (GroupMember.Read.All for the OBO exchange).'],
  obo_unauthorized: ['The OBO endpoint refused the token', 'The exchange service did not accept the Entra access token. You are still signed in to Entra; your Entra tokens are kept.'],
  obo_failed: ['The OBO exchange failed', 'The exchange service had a problem. You are still signed in to Entra; your Entra tokens are kept. Try the exchange again.'],
  network_error: ['A service could not be reached', 'The request did not get an answer (the service is down, or it does not allow this page\'s origin). If it was the OBO endpoint, you are still signed in to Entra and your tokens are kept.'],
  bad_signature: ['ID token signature invalid', 'The ID token\'s signature does not verify with the tenant\'s keys. Nothing was stored.'],
  token_expired: ['Token expired', 'A token had expired (check this computer\'s clock).'],
  claims_challenge: ['The API asks you to sign in again', 'The API needs a stronger sign-in for this call (a Conditional Access authentication context). Use "Sign in again (step-up)" below: you come back here and the call goes through.'],
  api_unauthorized: ['The API refused the renewed token', 'The app token was renewed once and refused again: the call was not retried further.'],
  invalid_return_to: ['Not a page of this app', 'returnTo must be a path of this app, never another site.'],
  issuer_mismatch: ['Wrong issuer', 'The provider\'s discovery document or a token names another issuer than the configured tenant: check the tenant id and authority host.'],
  invalid_config: ['Configuration problem', 'A setting is missing or malformed: see Settings below.'],
  redirect_uri_mismatch: ['Redirect URI not registered', 'Add this page\'s exact URL as a redirect URI of the app registration (platform "Single-page application").'],
  spa_redirect_required: ['Redirect URI must be a SPA redirect', 'Register the redirect URI under the "Single-page application" platform, not "Web".'],
  role_denied: ['Not allowed for your roles', 'The edge worker verified your token, but none of your StackFlow roles is one this route allows, so it refused the call; it never reached origin.'],
  missing_credential: ['No credential', 'The edge worker got no token for a protected route.'],
  no_matching_route: ['No such route', 'No rule of the edge worker\'s policy matches this request, and policies deny by default.'],
};

const state = { auth: null, config: null, account: null, obo: null };
window.demo = state; // for the browser tests and the curious

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v; else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  }
  return node;
}

function kv(rows) {
  return el('table', { class: 'kv' }, rows.filter(([, v]) => v !== undefined).map(([k, v]) =>
    el('tr', {}, el('th', {}, k), el('td', {}, v instanceof Node ? v : el('code', {}, typeof v === 'string' ? v : JSON.stringify(v))))));
}

function setStep(name, { badge, kind = 'ok', body, status }) {
  const step = $(`step-${name}`);
  step.classList.toggle('done', status === 'done');
  step.classList.toggle('failed', status === 'failed');
  const b = $(`${name}-badge`);
  b.textContent = badge ?? '';
  b.className = `badge ${kind}`;
  if (body !== undefined) {
    const target = $(`${name}-body`);
    target.classList.remove('empty');
    target.replaceChildren(...[body].flat());
  }
}

function showError(error, where) {
  const code = error?.code ?? 'unexpected_error';
  const [title, hint] = HINTS[code] ?? ['Something went wrong', 'See the details below.'];
  $('error').hidden = false;
  $('error').dataset.code = code;
  $('error-title').textContent = `${title}${where ? ` (${where})` : ''}`;
  $('error-code').textContent = code + (error?.status ? ` · HTTP ${error.status}` : '');
  $('error-hint').textContent = hint;
  $('error-message').textContent = error?.message ?? String(error);
  console.warn(where, error);
}

function clearError() {
  $('error').hidden = true;
  delete $('error').dataset.code;
}

function notice(text) {
  $('notice').hidden = !text;
  $('notice').textContent = text ?? '';
}

function decodeJwtPayload(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

const time = (secs) => (secs ? new Date(secs * 1000).toLocaleTimeString() : undefined);
const short = (s, n = 24) => (s && s.length > n ? `${s.slice(0, n)}…` : s);

// ---------------------------------------------------------------- settings

async function loadSettings() {
  let defaults = null;
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (response.ok) defaults = await response.json();
  } catch { /* static hosting without the local stack */ }
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? 'null'); } catch { /* ignore */ }
  const settings = { storage: 'memory', ...(defaults ?? {}), ...(saved ?? {}) };
  $('environment').textContent = saved ? 'Your settings (see Settings below)' : defaults ? `Local stack: ${defaults.authorityHost}` : 'No settings yet: fill in Settings below';
  const form = $('settings-form');
  for (const input of form.elements) if (input.name) input.value = settings[input.name] ?? '';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(values));
    location.replace(location.pathname);
  });
  $('settings-reset').addEventListener('click', () => {
    localStorage.removeItem(SETTINGS_KEY);
    location.replace(location.pathname);
  });
  if (!defaults && !saved) $('settings').open = true;
  return settings;
}

// ---------------------------------------------------------------- steps

function showAuthorize(url) {
  const params = new URL(url).searchParams;
  setStep('authorize', {
    badge: 'sent', status: 'done',
    body: [
      el('p', { class: 'url mono', id: 'authorize-url' }, url),
      kv([
        ['code_challenge', params.get('code_challenge')],
        ['code_challenge_method', params.get('code_challenge_method')],
        ['state', params.get('state')],
        ['nonce', params.get('nonce')],
        ['scope', params.get('scope')],
        ['redirect_uri', params.get('redirect_uri')],
      ]),
    ],
  });
}

function showCallback(callbackUrl) {
  const params = new URL(callbackUrl).searchParams;
  const rows = [];
  for (const [k, v] of params) rows.push([k, k === 'code' ? `${short(v, 12)} (single use; redeemed)` : v]);
  setStep('callback', {
    badge: params.has('error') ? 'error' : 'received',
    kind: params.has('error') ? 'bad' : 'ok',
    status: params.has('error') ? 'failed' : 'done',
    body: [kv(rows), el('p', { class: 'muted small' }, `Address bar now: ${location.href}`)],
  });
}

function showAccount(account) {
  state.account = account;
  $('who').hidden = false;
  $('who').textContent = `${account.name ?? account.username} · ${account.username}`;
  setStep('id-token', {
    badge: '✓ signature verified', status: 'done',
    body: [
      el('p', { id: 'id-token-verified', class: 'small' }, 'Signature verified with WebCrypto (RS256) against the tenant JWKS; iss, aud, nonce, exp and tid checked.'),
      kv([
        ['name', account.name],
        ['preferred_username', account.username],
        ['email', account.email],
        ['oid', account.objectId],
        ['tid', account.tenantId],
        ['groups', account.groups.length ? account.groups.join(', ') : '(none)'],
        ['iss', account.claims.iss],
        ['aud', account.claims.aud],
        ['nonce', account.claims.nonce],
        ['expires', time(account.expiresAt)],
      ]),
    ],
  });
}

function showObo(obo) {
  state.obo = obo;
  const claims = decodeJwtPayload(obo.accessToken);
  const mapped = (state.config.groupRoles ?? []).map((r) => r.group);
  const body = [];
  if (obo.roles.length) {
    body.push(el('ul', { class: 'roles', id: 'roles' }, obo.roles.map((r) => el('li', {}, r))));
  } else {
    const groups = state.account?.groups ?? [];
    body.push(el('ul', { class: 'roles', id: 'roles' }));
    body.push(el('p', { id: 'no-roles' },
      `No role: ${groups.length ? `your groups (${groups.join(', ')}) are` : 'your account is in no group that is'} not mapped to a StackFlow role`
      + (mapped.length ? ` (mapped groups: ${mapped.join(', ')}).` : '.')
      + ' Ask an administrator to add you to one of them.'));
  }
  body.push(kv([
    ['stackflow_user_id', obo.userId],
    ['issuer', claims.iss],
    ['token_use', claims.token_use],
    ['cognito:groups', claims['cognito:groups'] ?? '(none)'],
    ['custom:role', claims['custom:role'] ?? '(none)'],
    ['expires', time(obo.expiresAt)],
  ]));
  setStep('obo', { badge: obo.roles.length ? `${obo.roles.length} role${obo.roles.length > 1 ? 's' : ''}` : 'no role', kind: obo.roles.length ? 'ok' : 'info', status: 'done', body });
  $('obo-retry').hidden = false;
  $('api-call').hidden = false;
}

async function exchangeObo() {
  setStep('obo', { badge: 'exchanging…', kind: 'info' });
  try {
    showObo(await state.auth.exchangeObo());
    return true;
  } catch (error) {
    showError(error, 'OBO exchange');
    setStep('obo', {
      badge: 'failed', kind: 'bad', status: 'failed',
      body: el('p', { id: 'obo-error' }, `${error.code}${error.status ? ` (HTTP ${error.status})` : ''}: ${error.message}. Your Entra sign-in is kept.`),
    });
    $('obo-retry').hidden = false;
    return false;
  } finally {
    showSession();
  }
}

/** The demo's calls through the edge worker; the other routes sit next to `apiUrl`. */
function apiCalls() {
  const tickets = state.config.apiUrl;
  const url = (path) => new URL(path, tickets).href;
  return {
    tickets: { method: 'GET', url: tickets },
    post: { method: 'POST', url: tickets, body: JSON.stringify({ title: 'Printer on floor 3 is offline' }) },
    admin: { method: 'GET', url: url('/api/admin') },
    // The page sends its own x-auth-roles: the worker must drop it and send the verified one.
    spoof: { method: 'GET', url: tickets, headers: { 'X-Auth-Roles': 'super_admin' } },
  };
}

/** One call through the worker with `auth.fetch` (it adds the app token, renews it before
 * it expires): `{status, body}`, or `{error}` when no answer came back or the package
 * refused (a claims challenge, a token refused twice). */
async function throughWorker({ method, url, body, headers = {} }) {
  try {
    const response = await state.auth.fetch(url, {
      method,
      body,
      headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    });
    return { status: response.status, body: await response.json().catch(() => ({})) };
  } catch (error) {
    return { error };
  }
}

const sentence = (text) => (text && !/[.!?]$/.test(text) ? `${text}.` : text ?? '');

/** What origin said it received, or the worker's refusal in words. */
function describeAnswer(call, answer, { spoofed } = {}) {
  if (answer.error) return [el('p', { class: 'deny api-error', 'data-code': 'network_error' }, `The edge worker could not be reached: ${answer.error.message}`)];
  const { status, body } = answer;
  if (status >= 200 && status < 300) {
    const got = body.received ?? {};
    const rows = [
      ['origin received x-auth-sub', got['x-auth-sub'] ?? '(none)'],
      ['origin received x-auth-roles', got['x-auth-roles'] ?? '(none)'],
      ['origin received x-auth-source', got['x-auth-source'] ?? '(none)'],
    ];
    if (spoofed) {
      const verified = [...(state.obo?.roles ?? [])].sort().join(',');
      const received = (got['x-auth-roles'] ?? '').split(',').filter(Boolean).sort().join(',');
      rows.push(['forged header', received === verified
        ? `the page sent x-auth-roles: ${spoofed}; origin never saw it (the worker replaced it with the roles of the verified token)`
        : `the page sent x-auth-roles: ${spoofed}; origin received roles that are not the token's: ${got['x-auth-roles']}`]);
    }
    if (body.otherAuthHeaders?.length) rows.push(['other x-auth-* headers', body.otherAuthHeaders.join(', ')]);
    if (body.tickets) rows.push(['tickets', body.tickets.map((t) => `${t.id} ${t.title}`).join(' · ')]);
    if (body.created) rows.push(['created', `${body.created.id} (${body.created.state})`]);
    return [kv(rows)];
  }
  const code = body.error ?? 'error';
  const answeredBy = body.received ? 'origin' : 'the edge worker';
  return [el('p', { class: 'deny api-error', 'data-code': code },
    el('strong', {}, `HTTP ${status} ${code}`), ` from ${answeredBy}: ${sentence(body.message)} `, HINTS[code]?.[1] ?? '')];
}

/** A claims challenge: the step-up button signs in again with the claims it asked for. */
function offerStepUp(error) {
  showError(error, 'API call');
  const button = el('button', { class: 'primary', id: 'step-up' }, 'Sign in again (step-up)');
  button.addEventListener('click', () => state.auth.login({ claims: error.claims, returnTo: location.pathname + location.search }));
  $('error').append(button);
}

async function callApi() {
  if (!state.obo) return;
  setStep('api', { badge: 'calling…', kind: 'info' });
  const call = apiCalls().tickets;
  const answer = await throughWorker(call);
  performance.mark('first-api-answer');
  if (answer.error?.code === 'claims_challenge') offerStepUp(answer.error);
  if (answer.error) {
    setStep('api', { badge: 'unreachable', kind: 'bad', status: 'failed', body: el('p', { id: 'api-error' }, `The edge worker could not be reached: ${answer.error.message}`) });
    return;
  }
  const { status } = answer;
  const ok = status >= 200 && status < 300;
  const [described] = describeAnswer(call, answer);
  if (!ok) described.id = 'api-error';
  setStep('api', {
    badge: `HTTP ${status}`, kind: ok ? 'ok' : 'bad', status: ok ? 'done' : 'failed',
    body: [el('p', { class: 'url mono' }, `${call.method} ${call.url}`), described],
  });
  $('api-body').dataset.status = String(status);
  for (const id of ['api-post', 'api-admin', 'api-spoof']) $(id).hidden = false;
}

/** The other demo calls: each result replaces the previous one of its kind. */
async function otherCall(kind) {
  if (!state.obo) return;
  const call = apiCalls()[kind];
  const answer = await throughWorker(call);
  const box = el('div', { class: 'call', id: `api-result-${kind}`, 'data-status': String(answer.status ?? 0) },
    el('h3', {}, el('span', { class: 'mono' }, `${call.method} ${new URL(call.url).pathname}`),
      el('span', { class: `badge ${answer.status >= 200 && answer.status < 300 ? 'ok' : 'bad'}` }, answer.status ? `HTTP ${answer.status}` : 'unreachable')),
    describeAnswer(call, answer, { spoofed: call.headers?.['X-Auth-Roles'] }));
  const previous = $(`api-result-${kind}`);
  if (previous) previous.replaceWith(box); else $('api-more').append(box);
}

function showSession() {
  const account = state.auth.account();
  if (!account) {
    setStep('session', { badge: 'signed out', kind: 'info', body: 'Signed out.' });
    $('token-refresh').hidden = true;
    return;
  }
  setStep('session', {
    badge: 'signed in', kind: 'ok', status: 'done',
    body: kv([
      ['token storage', state.config.storage ?? 'memory'],
      ['roles (auth.roles())', state.auth.roles().join(', ') || '(none)'],
      ['hasRole("super_admin")', String(state.auth.hasRole('super_admin'))],
    ]),
  });
  $('token-refresh').hidden = false;
}

async function freshAccessToken() {
  try {
    const token = await state.auth.accessToken();
    const claims = decodeJwtPayload(token);
    notice(`Access token valid until ${time(claims.exp)} (aud ${claims.aud}, scp ${claims.scp}).`);
    return token;
  } catch (error) {
    showError(error, 'access token');
    if (!state.auth.account()) signedOutUi();
    return null;
  }
}

function signedInUi() {
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  for (const id of ['day-calls', 'day-graph', 'day-deep-link', 'day-new-tab']) $(id).hidden = false;
  setStep('day', { badge: 'ready', kind: 'info', body: 'Signed in: try the calls below, or open a second tab.' });
}

function logEvent(text) {
  $('day-events').prepend(el('li', {}, `${new Date().toLocaleTimeString()} ${text}`));
}

/** Calls the API every 2 s for a minute: more than one app-token lifetime in the local
 * stack (APP_TOKEN_TTL), so the renewals show in the event list. */
async function workingDay() {
  $('day-calls').disabled = true;
  const tokens = new Set();
  let ok = 0;
  for (let i = 0; i < 30; i += 1) {
    const answer = await throughWorker(apiCalls().tickets);
    if (answer.error?.code === 'claims_challenge') { offerStepUp(answer.error); break; }
    if (answer.status === 200) ok += 1;
    tokens.add(state.auth.oboResult()?.accessToken);
    setStep('day', { badge: `${ok}/${i + 1} calls OK`, kind: ok === i + 1 ? 'ok' : 'bad', body: `${ok} of ${i + 1} calls answered 200, with ${tokens.size} app token${tokens.size > 1 ? 's' : ''} (renewed before expiry).` });
    await new Promise((r) => setTimeout(r, 2000));
  }
  $('day-calls').disabled = false;
}

async function graphToken() {
  try {
    const token = await state.auth.accessToken({ scopes: ['User.Read'] });
    const claims = decodeJwtPayload(token);
    setStep('day', { badge: 'Graph token', kind: 'ok', body: kv([['aud', claims.aud], ['scp', claims.scp], ['expires', time(claims.exp)], ['API token aud (kept beside it)', decodeJwtPayload(await state.auth.accessToken()).aud]]) });
  } catch (error) {
    showError(error, 'Graph token');
  }
}

function signedOutUi() {
  $('sign-in').hidden = false;
  $('sign-out').hidden = true;
  $('who').hidden = true;
  showSession();
}

// ---------------------------------------------------------------- start

async function main() {
  await init();
  const settings = await loadSettings();
  state.config = settings;
  try {
    state.auth = new EntraAuth({
      tenantId: settings.tenantId,
      clientId: settings.clientId,
      redirectUri: settings.redirectUri,
      scopes: settings.scopes || undefined,
      authorityHost: settings.authorityHost || undefined,
      postLogoutRedirectUri: settings.postLogoutRedirectUri || undefined,
      oboEndpoint: settings.oboEndpoint || undefined,
      storage: settings.storage || 'memory',
      // auth.fetch gives the app token to the protected API's origin only.
      apiOrigins: settings.apiOrigins ?? (settings.apiUrl ? [new URL(settings.apiUrl).origin] : undefined),
      renewalMargin: settings.renewalMargin ?? undefined,
      clientCapabilities: settings.clientCapabilities ?? undefined,
      authorityMetadata: settings.authorityMetadata ?? undefined,
    });
  } catch (error) {
    showError(error, 'settings');
    $('settings').open = true;
    return;
  }
  state.auth.onSignOut(() => {
    notice('You signed out in another tab, so this tab dropped its tokens too.');
    signedOutUi();
  });

  $('sign-in').addEventListener('click', () => {
    clearError();
    sessionStorage.removeItem(SIGNED_OUT_KEY);
    try {
      const url = state.auth.login();
      sessionStorage.setItem(AUTHORIZE_KEY, url);
      showAuthorize(url);
    } catch (error) {
      showError(error, 'sign-in');
    }
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.setItem(SIGNED_OUT_KEY, '1');
    sessionStorage.removeItem(AUTHORIZE_KEY);
    try {
      state.auth.logout();
    } catch (error) {
      showError(error, 'sign-out');
    }
  });
  $('obo-retry').addEventListener('click', async () => { clearError(); if (await exchangeObo()) await callApi(); });
  $('api-call').addEventListener('click', callApi);
  $('api-post').addEventListener('click', () => otherCall('post'));
  $('api-admin').addEventListener('click', () => otherCall('admin'));
  $('api-spoof').addEventListener('click', () => otherCall('spoof'));
  $('token-refresh').addEventListener('click', freshAccessToken);
  $('day-calls').addEventListener('click', workingDay);
  $('day-graph').addEventListener('click', graphToken);
  $('day-deep-link').addEventListener('click', () => state.auth.login({ returnTo: '/demo/tickets/42?tab=history', appState: { from: 'demo' } }));
  state.auth.on('signedIn', (account) => logEvent(`signedIn ${account.username}`));
  state.auth.on('signedOut', (reason) => logEvent(`signedOut (${reason})`));
  state.auth.on('tokenRenewed', ({ kind }) => logEvent(`tokenRenewed (${kind === 'app' ? 'app token, by an OBO exchange' : 'Entra access token, by the refresh token'})`));
  state.auth.on('renewalFailed', (error) => logEvent(`renewalFailed ${error.code}`));

  const lastAuthorize = sessionStorage.getItem(AUTHORIZE_KEY);
  if (lastAuthorize) showAuthorize(lastAuthorize);

  const callbackUrl = location.href;
  const isCallback = /[?&](code|error)=/.test(location.search);

  let account;
  try {
    account = await state.auth.handleRedirect();
    if (isCallback) showCallback(callbackUrl);
  } catch (error) {
    if (isCallback) showCallback(callbackUrl);
    showError(error, 'sign-in');
    setStep('callback', { badge: 'rejected', kind: 'bad', status: 'failed' });
    signedOutUi();
    document.body.dataset.ready = 'error';
    return;
  }
  // A deep link kept across sign-in: the address bar already shows it.
  if (account?.returnTo || account?.appState !== undefined) {
    state.redirect = { returnTo: account.returnTo, appState: account.appState };
    if (account.returnTo) notice(`Back at ${account.returnTo}, where you were before signing in.`);
  }
  if (!account) account = state.auth.account();
  if (!account) {
    if (sessionStorage.getItem(SIGNED_OUT_KEY)) notice('You are signed out: every token was cleared and the Entra session ended.');
    signedOutUi();
    document.body.dataset.ready = 'signed-out';
    return;
  }
  signedInUi();
  showAccount(account);
  showSession();
  const previous = state.auth.oboResult();
  if (previous) showObo(previous);
  else if (settings.oboEndpoint && await exchangeObo() && settings.apiUrl) await callApi();
  document.body.dataset.ready = 'signed-in';
}

main().catch((error) => {
  showError(error, 'start-up');
  document.body.dataset.ready = 'error';
});
