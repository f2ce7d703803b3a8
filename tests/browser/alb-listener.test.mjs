// The ALB listener stand-in (tests/stack/alb-listener.mjs) and the provider's Entra
// behaviour it depends on, at the HTTP level (no browser): what ALB sends the target, the
// on-unauthenticated-request modes, session expiry, the client-sent headers, and Graph's
// userinfo. The browser flow is in seed000.test.mjs.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import * as h from './helpers.mjs';
import { ALB_APP_ID, RULE_SCOPE } from '../stack/seed000.mjs';
import { GRAPH_APP_ID, GRAPH_USERINFO_PATH } from '../stack/alb-app.mjs';
import { startAlbListener } from '../stack/alb-listener.mjs';
import { TENANT_ID } from '../stack/config.mjs';

let stack;
let seed;
before(async () => {
  stack = await h.stack();
  seed = stack.seed000;
});
after(async () => {
  await stack?.close();
});

const decode = (segment) => JSON.parse(Buffer.from(segment, 'base64url').toString());

/** A cookie jar for 127.0.0.1 (cookies ignore ports) and a fetch that never follows. */
function client() {
  const jar = new Map();
  const send = async (url, init = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await fetch(url, { redirect: 'manual', ...init, headers: { ...(init.headers ?? {}), ...(cookie ? { cookie } : {}) } });
    for (const c of r.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      if (attrs.some((a) => /max-age=0|expires=thu, 01 jan 1970/i.test(a.trim()))) jar.delete(name);
      else jar.set(name, pair.slice(pair.indexOf('=') + 1));
    }
    return r;
  };
  return { jar, send };
}

/** Signs `username` in through the listener at `base` the way a browser would; returns the
 * client (with the ALB session) and the redirect chain's last answer (the callback's). */
async function signIn(base, username, path = '/gifts') {
  const c = client();
  let r = await c.send(`${base}${path}`);
  assert.equal(r.status, 302);
  const authorize = new URL(r.headers.get('location'));
  const location = await providerSignIn(c, authorize, username, base);
  const callback = await c.send(location);
  return { c, authorize, callback, callbackUrl: location };
}

/** The provider's part of a sign-in: `c` opens `authorize`, fills the sign-in form as
 * `username`, and follows the provider's redirects until one leads back to `back`; returns
 * that URL (the redirect URI with the code, not yet opened). */
async function providerSignIn(c, authorize, username, back) {
  let r = await c.send(authorize.href);
  while (r.status >= 300 && r.status < 400) r = await c.send(new URL(r.headers.get('location'), authorize).href);
  const action = /action="([^"]+)" id="login"/.exec(await r.text())[1];
  r = await c.send(new URL(action, authorize).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: h.DEMO_PASSWORD }).toString(),
  });
  let location = r.headers.get('location');
  while (!location.startsWith(back)) {
    r = await c.send(new URL(location, authorize).href);
    location = r.headers.get('location');
  }
  return location;
}

test('an unauthenticated request goes to the authorize endpoint: code flow, the rule\'s scope, state, nonce, the ALB callback', async () => {
  const r = await fetch(`${seed.url}/gifts`, { redirect: 'manual' });
  assert.equal(r.status, 302);
  const url = new URL(r.headers.get('location'));
  assert.equal(`${url.origin}${url.pathname}`, `${stack.urls.provider}/${TENANT_ID}/oauth2/v2.0/authorize`);
  assert.equal(url.searchParams.get('client_id'), ALB_APP_ID);
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('scope'), RULE_SCOPE);
  assert.equal(url.searchParams.get('redirect_uri'), `${seed.url}/oauth2/idpresponse`);
  assert.ok(url.searchParams.get('state').length >= 32);
  assert.ok(url.searchParams.get('nonce').length >= 32);
});

test('the target receives x-amzn-oidc-data (ES256, padded, ALB header fields, the userinfo claims), -identity and -accesstoken', async () => {
  const mark = seed.app.requests.length;
  const { c, callback } = await signIn(seed.url, 'alice.admin@stackflow.test');
  assert.equal(callback.status, 302);
  assert.equal(callback.headers.get('location'), '/gifts');
  assert.ok(c.jar.has('AWSELBAuthSessionCookie-0'));
  const page = await c.send(`${seed.url}/gifts`);
  assert.equal(page.status, 200);
  const got = seed.app.requests.slice(mark).find((r) => r.path === '/gifts').headers;
  const [header, payload, signature] = got['x-amzn-oidc-data'].split('.');
  for (const segment of [header, payload, signature]) assert.match(segment, /^[A-Za-z0-9_-]+={0,2}$/);
  assert.ok([header, payload, signature].some((s) => s.endsWith('=')), 'ALB pads its segments');
  const head = decode(header);
  assert.equal(head.alg, 'ES256');
  assert.equal(head.client, ALB_APP_ID);
  assert.equal(head.kid, stack.alb.kid);
  assert.equal(head.iss, stack.urls.issuer);
  assert.match(head.signer, /^arn:aws:elasticloadbalancing:/);
  assert.ok(head.exp > Date.now() / 1000);
  // The payload is userinfo's: sub, name claims, email; never groups, roles or oid.
  const claims = decode(payload);
  assert.deepEqual(Object.keys(claims).filter((k) => !['exp', 'iss'].includes(k)).sort(), ['email', 'family_name', 'given_name', 'name', 'picture', 'sub']);
  assert.equal(claims.email, 'alice.admin@stackflow.test');
  assert.equal(got['x-amzn-oidc-identity'], claims.sub);
  // The key is served as PEM at /{kid}, and the signature verifies with it (raw r||s).
  const pem = await (await fetch(`${stack.urls.alb}/${head.kid}`)).text();
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----/);
  const ok = crypto.verify('sha256', Buffer.from(`${header}.${payload}`), { key: pem, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  assert.ok(ok);
  // With only OIDC scopes the access token is a Graph token: audience Graph, a nonce in its header.
  const [atHeader, atPayload] = got['x-amzn-oidc-accesstoken'].split('.');
  assert.ok(decode(atHeader).nonce, 'Graph tokens carry a nonce in their header');
  assert.equal(decode(atPayload).aud, GRAPH_APP_ID);
  // The gate vouched for the same user.
  assert.equal(got['x-auth-sub'], claims.sub);
});

test('x-amzn-oidc-* headers the client sends are replaced, with or without a session', async () => {
  const { c } = await signIn(seed.url, 'rob.reader@stackflow.test');
  const mark = seed.app.requests.length;
  await c.send(`${seed.url}/gifts`, { headers: { 'x-amzn-oidc-identity': 'admin', 'x-amzn-oidc-accesstoken': 'mine', 'X-Amzn-Oidc-Data': 'a.b.c' } });
  const got = seed.app.requests.slice(mark).find((r) => r.path === '/gifts').headers;
  assert.notEqual(got['x-amzn-oidc-identity'], 'admin');
  assert.notEqual(got['x-amzn-oidc-accesstoken'], 'mine');
  assert.notEqual(got['x-amzn-oidc-data'], 'a.b.c');
  // With `allow` and no session: forwarded without any of them (then the gate's 401).
  const open = await startAlbListener({ target: seed.gate.url, signer: stack.alb, idp: { jwksUri: `${stack.urls.issuer}/keys` }, onUnauthenticatedRequest: 'allow' });
  try {
    const gateMark = seed.app.requests.length;
    const r = await fetch(`${open.url}/health`, { headers: { 'x-amzn-oidc-identity': 'admin', 'x-amzn-oidc-data': 'a.b.c' } });
    assert.equal(r.status, 200);
    const health = seed.app.requests.slice(gateMark).find((q) => q.path === '/health').headers;
    assert.equal(health['x-amzn-oidc-identity'], undefined);
    assert.equal(health['x-amzn-oidc-data'], undefined);
    const protectedRoute = await fetch(`${open.url}/gifts`, { headers: { 'x-amzn-oidc-data': 'a.b.c' } });
    assert.equal(protectedRoute.status, 401);
    assert.equal((await protectedRoute.json()).error, 'missing_credential');
  } finally {
    await open.close();
  }
});

test('on-unauthenticated-request deny answers ALB\'s 401 and forwards nothing', async () => {
  const closed = await startAlbListener({ target: seed.gate.url, signer: stack.alb, idp: { jwksUri: `${stack.urls.issuer}/keys` }, onUnauthenticatedRequest: 'deny' });
  try {
    const r = await fetch(`${closed.url}/gifts`, { redirect: 'manual' });
    assert.equal(r.status, 401);
    assert.match(await r.text(), /401 Authorization Required/);
    assert.equal(closed.counts.forwarded, 0);
  } finally {
    await closed.close();
  }
  await assert.rejects(() => startAlbListener({ target: seed.gate.url, signer: stack.alb, idp: {}, onUnauthenticatedRequest: 'maybe' }));
});

test('an expired session sends the user back to the provider', async () => {
  const { c } = await signIn(seed.url, 'rob.reader@stackflow.test');
  assert.equal((await c.send(`${seed.url}/gifts`)).status, 200);
  seed.listener.settings.sessionTimeout = 1;
  try {
    const fresh = await signIn(seed.url, 'rob.reader@stackflow.test');
    assert.equal((await fresh.c.send(`${seed.url}/gifts`)).status, 200);
    await new Promise((r) => setTimeout(r, 2100));
    const again = await fresh.c.send(`${seed.url}/gifts`);
    assert.equal(again.status, 302);
    assert.ok(again.headers.get('location').startsWith(`${stack.urls.provider}/${TENANT_ID}/oauth2/v2.0/authorize?`));
  } finally {
    seed.listener.settings.sessionTimeout = 604800;
  }
});

test('Graph\'s userinfo answers a Graph token only: the app\'s API token is refused (why the rule asks for OIDC scopes)', async () => {
  // A Graph token the ALB got for Rob.
  const { c } = await signIn(seed.url, 'rob.reader@stackflow.test');
  const mark = seed.app.requests.length;
  await c.send(`${seed.url}/gifts`);
  const graphToken = seed.app.requests.slice(mark).find((r) => r.path === '/gifts').headers['x-amzn-oidc-accesstoken'];
  const ok = await fetch(`${stack.urls.provider}${GRAPH_USERINFO_PATH}`, { headers: { authorization: `Bearer ${graphToken}` } });
  assert.equal(ok.status, 200);
  const info = await ok.json();
  assert.equal(info.groups, undefined);
  assert.equal(info.oid, undefined);
  // A listener rule asking for the app's own API scope: the token is for the API, Graph's
  // userinfo refuses it, and the sign-in ends in ALB's 401.
  const apiRule = seed.listener.settings;
  const scope = apiRule.scope;
  apiRule.scope = `${RULE_SCOPE} api://${ALB_APP_ID}/access_as_user`;
  try {
    const { callback, c: api } = await signIn(seed.url, 'rob.reader@stackflow.test');
    assert.equal(callback.status, 401);
    assert.match(await callback.text(), /401 Authorization Required/);
    assert.ok(!api.jar.has('AWSELBAuthSessionCookie-0'));
  } finally {
    apiRule.scope = scope;
  }
  const none = await fetch(`${stack.urls.provider}${GRAPH_USERINFO_PATH}`);
  assert.equal(none.status, 401);
});

/** Code flow for the ALB's app straight against the provider (as a script holding the
 * secret would), for `scope`; returns the token response. */
async function tokensFor(username, scope) {
  const c = client();
  const authorize = new URL(`${stack.urls.provider}/${TENANT_ID}/oauth2/v2.0/authorize`);
  authorize.search = new URLSearchParams({
    client_id: ALB_APP_ID, response_type: 'code', scope, redirect_uri: `${seed.url}/oauth2/idpresponse`,
    state: crypto.randomBytes(16).toString('hex'), nonce: crypto.randomBytes(16).toString('hex'),
  }).toString();
  const location = await providerSignIn(c, authorize, username, seed.url);
  const code = new URL(location).searchParams.get('code');
  const token = await fetch(`${stack.urls.provider}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: `${seed.url}/oauth2/idpresponse`,
      client_id: ALB_APP_ID, client_secret: seed.listener.secretForTests,
    }),
  });
  assert.equal(token.status, 200);
  return token.json();
}

test('the provider\'s access token for the app\'s own API verifies at the gate as Bearer: groups give roles; its Graph token is refused with graph_token', async () => {
  const api = await tokensFor('alice.admin@stackflow.test', `openid profile email api://${ALB_APP_ID}/access_as_user`);
  const [, payload] = api.access_token.split('.');
  const claims = decode(payload);
  assert.equal(claims.aud, ALB_APP_ID);
  assert.ok(claims.groups.includes('SG-StackFlow-Admins'));
  // Pairwise per application: the API token's sub is the ID token's (same app), not the oid.
  assert.equal(claims.sub, decode(api.id_token.split('.')[1]).sub);
  assert.notEqual(claims.sub, claims.oid);
  const mark = seed.app.requests.length;
  const admin = await fetch(`${seed.gate.url}/admin/`, { headers: { authorization: `Bearer ${api.access_token}` } });
  assert.equal(admin.status, 200, await admin.clone().text());
  const got = seed.app.requests.slice(mark).find((r) => r.path === '/admin/').headers;
  assert.equal(got['x-auth-source'], 'entra');
  assert.equal(got['x-auth-roles'], 'super_admin');
  assert.equal(got['x-auth-sub'], claims.sub);
  // Rob's API token: a member, no admin role.
  const rob = await tokensFor('rob.reader@stackflow.test', `openid api://${ALB_APP_ID}/access_as_user`);
  const denied = await fetch(`${seed.gate.url}/admin/`, { headers: { authorization: `Bearer ${rob.access_token}` } });
  assert.equal(denied.status, 403);
  assert.equal((await denied.json()).error, 'role_denied');
  // A Graph token from the same app.
  const graph = await tokensFor('alice.admin@stackflow.test', RULE_SCOPE);
  const refused = await fetch(`${seed.gate.url}/gifts`, { headers: { authorization: `Bearer ${graph.access_token}` } });
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error, 'graph_token');
});
