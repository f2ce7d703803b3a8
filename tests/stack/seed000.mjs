// Seed 000's system on 127.0.0.1: browser → ALB listener (authenticate-oidc against the
// local Entra, alb-listener.mjs) → the edge gate self-hosted under workerd
// (worker/workerd/start.mjs) → the app (pages showing the identity they received).
// The app registration requires user assignment through one group (alb-app.mjs).
//
// The gate is the local stack's one gate (stack.mjs): the demo page's API calls (Bearer) and
// this path (x-amzn-oidc-data from the listener) reach the same workerd process, whose
// settings are the union of both (gateSettings below), and the same origin, which serves
// the API under /api and this app's pages everywhere else.
//
// Example configuration of the test stack only (the product reads all of it from settings).

import crypto from 'node:crypto';

import { albAppRegistration, GRAPH_USERINFO_PATH } from './alb-app.mjs';
import { startAlbListener, CALLBACK_PATH } from './alb-listener.mjs';
import { ALB_ARN } from './alb.mjs';
import { TENANT_ID, USERS } from './config.mjs';

/** The ALB's Entra app (made-up GUID) and the group whose members it is assigned to. */
export const ALB_APP_ID = '6a1b2c3d-4e5f-4a6b-8c7d-0000000a1b00';
export const ASSIGNED_GROUP = 'GIFT_ARCHIVE_USERS';
/** Members: an admin, a reader and an agent; Mark and Nina are not assigned. */
export const MEMBERS = ['alice.admin@stackflow.test', 'rob.reader@stackflow.test', 'ada.agent@stackflow.test']
  .map((name) => USERS.find((u) => u.username === name).oid);

/** The app's rules in the gate's policy (after the API's, see stack.mjs): the health check
 * public, an admin area for super_admin, and every other path for any verified user
 * (Entra's assignment already decided who that is). */
export const POLICY_RULES = [
  { path: '/health', public: true },
  { path: '/admin', match: 'prefix', roles: ['super_admin'] },
  { path: '/', match: 'prefix', authenticated: true },
];

/** The listener rule's scope: Graph/OIDC scopes, as an ALB in front of Entra needs for its
 * userinfo call (Graph's userinfo takes Graph tokens only). */
export const RULE_SCOPE = 'openid profile email';

/** The app registration, for the provider (it must exist before the provider starts). */
export function seed000App({ listenerPort }) {
  const listener = `http://127.0.0.1:${listenerPort}`;
  return albAppRegistration({
    clientId: ALB_APP_ID,
    clientSecret: crypto.randomBytes(24).toString('base64url'),
    redirectUri: `${listener}${CALLBACK_PATH}`,
    postLogoutRedirectUris: [`${listener}/`],
    assignedGroup: ASSIGNED_GROUP,
    members: MEMBERS,
  });
}

/** The app behind the gate: every page shows the identity headers it received. A request
 * handler, mounted by the stack's origin for every path outside the API; `requests` holds
 * what reached it (the tests read it). */
export function giftApp({ log = () => {} } = {}) {
  const requests = [];
  const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  const handle = (req, res) => {
    req.resume();
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push({ method: req.method, path: url.pathname, headers: { ...req.headers } });
    log(`[gift-app] ${req.method} ${url.pathname} sub=${req.headers['x-auth-sub']} roles=${req.headers['x-auth-roles']}`);
    if (url.pathname === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    const seen = ['x-auth-sub', 'x-auth-roles', 'x-auth-source', 'x-amzn-oidc-identity']
      .map((h) => `<tr><th>${h}</th><td id="${h}">${esc(req.headers[h])}</td></tr>`).join('');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gift archive</title></head><body>
<h1>Gift archive</h1><p id="path">${esc(url.pathname)}</p>
<p>The identity the edge gate verified and forwarded:</p><table>${seen}</table>
<p><a id="admin" href="/admin/">Admin area</a> · <a id="logout" href="/logout">Sign out</a></p></body></html>`);
  };
  return { handle, requests };
}

/** Seed 000's part of the gate's settings (stack.mjs adds the SPA path's). */
export function gateSettings({ provider, alb, albApp, listenerPort }) {
  return {
    ALB_ARNS: ALB_ARN,
    ALB_KEYS_URL: alb.url,
    ALB_CLIENT_IDS: albApp.clientId,
    ALB_ISSUER: provider.issuer,
    // Behind a real ALB the gate's port takes only the ALB's traffic, which replaces any
    // client copy of the header, and the app may have ALB's (Graph) access token. In the
    // local stack the same port also takes the demo page's API calls, so a client could
    // attach any value beside a valid ALB token: the gift app only displays it.
    ALB_FORWARD_ACCESS_TOKEN: 'true',
    CLIENT_ADDRESS_HEADER: 'x-forwarded-for',
    ENTRA_TENANT_ID: TENANT_ID,
    ENTRA_AUTHORITY: provider.origin,
    // The app's own API: its access tokens as Bearer (scripts, or a SPA of the same app).
    ENTRA_AUDIENCES: `api://${albApp.clientId},${albApp.clientId}`,
    LOGOUT_REDIRECT_URI: `http://127.0.0.1:${listenerPort}/`,
  };
}

/**
 * Starts the ALB listener in front of `gate` (the stack's gate, `{ url }`). `provider` was
 * started with `albApp` (the result of seed000App), `alb` is alb.mjs's key server and
 * signer, `app` the result of giftApp (mounted in the gate's origin).
 */
export async function startSeed000({ provider, alb, albApp, listenerPort, gate, app, onUnauthenticatedRequest, sessionTimeout, log = () => {} }) {
  const t = `${provider.origin}/${TENANT_ID}`;
  const listener = await startAlbListener({
    port: listenerPort,
    target: gate.url,
    signer: alb,
    idp: {
      issuer: provider.issuer,
      authorizationEndpoint: `${t}/oauth2/v2.0/authorize`,
      tokenEndpoint: `${t}/oauth2/v2.0/token`,
      userInfoEndpoint: `${provider.origin}${GRAPH_USERINFO_PATH}`,
      jwksUri: `${t}/discovery/v2.0/keys`,
      clientId: albApp.clientId,
      clientSecret: albApp.client.client_secret,
      scope: RULE_SCOPE,
    },
    onUnauthenticatedRequest,
    sessionTimeout,
    log,
  });
  return { app, gate, listener, url: listener.url, close: () => listener.close() };
}
