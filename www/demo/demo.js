// The demo page: plain JS around the package. It shows each step as it happens and puts
// every error on the page (code + what to do), never only in the console.
import init, { EntraAuth } from '../pkg-web/entra_edge_auth.js';

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
  invalid_config: ['Configuration problem', 'A setting is missing or malformed: see Settings below.'],
  redirect_uri_mismatch: ['Redirect URI not registered', 'Add this page\'s exact URL as a redirect URI of the app registration (platform "Single-page application").'],
  spa_redirect_required: ['Redirect URI must be a SPA redirect', 'Register the redirect URI under the "Single-page application" platform, not "Web".'],
  role_denied: ['No role for this route', 'Your account has no StackFlow role, so the API refuses the call.'],
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

async function callApi() {
  if (!state.obo) return;
  setStep('api', { badge: 'calling…', kind: 'info' });
  let status;
  let body;
  try {
    const response = await fetch(state.config.apiUrl, { headers: { Authorization: `Bearer ${state.obo.accessToken}` } });
    status = response.status;
    body = await response.json().catch(() => ({}));
  } catch (error) {
    setStep('api', { badge: 'unreachable', kind: 'bad', status: 'failed', body: el('p', {}, `The API could not be reached: ${error.message}`) });
    return;
  }
  const ok = status >= 200 && status < 300;
  setStep('api', {
    badge: `HTTP ${status}`, kind: ok ? 'ok' : 'bad', status: ok ? 'done' : 'failed',
    body: [
      el('p', { class: 'url mono' }, `GET ${state.config.apiUrl}`),
      ok
        ? kv([['verified', String(body.verified)], ['roles', (body.roles ?? []).join(', ')], ['tickets', (body.tickets ?? []).map((t) => `${t.id} ${t.title}`).join(' · ')]])
        : el('p', { id: 'api-error' }, `${body.error ?? 'error'}: ${body.message ?? ''} ${HINTS[body.error]?.[1] ?? ''}`),
    ],
  });
  $('api-body').dataset.status = String(status);
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
  $('token-refresh').addEventListener('click', freshAccessToken);

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
