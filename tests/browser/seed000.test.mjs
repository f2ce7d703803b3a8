// Seed 000 end to end in headless Chromium: browser → ALB listener stand-in (authenticate-
// oidc) → sign-in at the Entra-shaped provider → ALB → the edge gate self-hosted under the
// real `workerd serve` → the app. User assignment through GIFT_ARCHIVE_USERS is Entra's gate;
// the gate adds "any verified user" on the app and super_admin on /admin.
//
// What the gate and the app received is read from the app itself (`seed000.app.requests`)
// and from the listener's counters, not only from the page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as h from './helpers.mjs';
import { ALB_APP_ID, ASSIGNED_GROUP, MEMBERS } from '../stack/seed000.mjs';
import { UNAUTHORIZED_PAGE, joinShards, shardCookie, SHARD_BYTES } from '../stack/alb-listener.mjs';

let stack;
let seed;

before(async () => {
  stack = await h.stack();
  seed = stack.seed000;
});

after(async () => {
  await stack?.close();
});

const user = (name) => h.USERS.find((u) => u.username.startsWith(name));
// Page loads only: the browser's own /favicon.ico requests go through the ALB too.
const appCalls = (from) => seed.app.requests.slice(from).filter((r) => r.path !== '/health' && r.path !== '/favicon.ico');

/** Opens `path` through the ALB in a fresh browser and signs in as `who` at the provider. */
async function signIn(chrome, who, path = '/gifts') {
  const page = await chrome.page();
  await page.goto(`${seed.url}${path}`);
  // The ALB sent the browser to the provider's sign-in page.
  await page.waitForSelector('#username', h.WAIT);
  assert.ok(page.url().startsWith(stack.urls.provider), page.url());
  await page.fill('#username', who.username);
  await page.fill('#password', h.DEMO_PASSWORD);
  await Promise.all([page.waitForNavigation(h.WAIT), page.click('#sign-in')]);
  await page.waitForLoadState('load');
  return page;
}

describe('seed 000 through the ALB', () => {
  test(`a member of ${ASSIGNED_GROUP} reaches the app, which shows the identity the gate verified`, async () => {
    const chrome = await h.browser();
    try {
      const reader = user('rob.reader');
      assert.ok(MEMBERS.includes(reader.oid));
      const mark = seed.app.requests.length;
      const page = await signIn(chrome, reader);
      assert.equal(new URL(page.url()).pathname, '/gifts');
      assert.equal(await page.textContent('#path'), '/gifts');
      const sub = await page.textContent('#x-auth-sub');
      // Entra's pairwise sub for the ALB's app, the same value ALB put in x-amzn-oidc-identity.
      assert.ok(sub.length > 20 && sub !== reader.oid, sub);
      assert.equal(await page.textContent('#x-amzn-oidc-identity'), sub);
      assert.equal(await page.textContent('#x-auth-source'), 'alb');
      // userinfo carries no groups, so the ALB token gives no roles.
      assert.equal(await page.textContent('#x-auth-roles'), '');
      const got = appCalls(mark);
      assert.equal(got.length, 1);
      assert.equal(got[0].headers['x-auth-sub'], sub);
      // The session cookie, sharded from -0.
      const cookies = await chrome.context.cookies(seed.url);
      assert.ok(cookies.some((c) => c.name === 'AWSELBAuthSessionCookie-0'), cookies.map((c) => c.name).join());
    } finally {
      await chrome.close();
    }
  });

  test('a user outside the group is refused by Entra (AADSTS50105): ALB answers its 401, the gate and app see nothing', async () => {
    const chrome = await h.browser();
    try {
      const nina = user('nina.nogroup');
      assert.ok(!MEMBERS.includes(nina.oid));
      const mark = seed.app.requests.length;
      const unauthorized = seed.listener.counts.unauthorized;
      const forwarded = seed.listener.counts.forwarded;
      const page = await chrome.page();
      const responses = [];
      page.on('response', (r) => responses.push({ url: r.url(), status: r.status() }));
      await page.goto(`${seed.url}/gifts`);
      await page.waitForSelector('#username', h.WAIT);
      await page.fill('#username', nina.username);
      await page.fill('#password', h.DEMO_PASSWORD);
      await Promise.all([page.waitForNavigation(h.WAIT), page.click('#sign-in')]);
      await page.waitForLoadState('load');
      const last = responses.at(-1);
      assert.ok(last.url.startsWith(`${seed.url}/oauth2/idpresponse?`), last.url);
      assert.match(decodeURIComponent(last.url), /error=access_denied/);
      assert.match(decodeURIComponent(last.url.replace(/\+/g, ' ')), /AADSTS50105/);
      assert.equal(last.status, 401);
      assert.match(await page.content(), /401 Authorization Required/);
      assert.equal(seed.listener.counts.unauthorized, unauthorized + 1);
      assert.equal(seed.listener.counts.forwarded, forwarded, 'nothing was forwarded to the gate');
      assert.equal(appCalls(mark).length, 0);
    } finally {
      await chrome.close();
    }
  });

  test('a member without super_admin gets the gate\'s 403 on the admin area as a page; an API client gets JSON', async () => {
    const chrome = await h.browser();
    try {
      const page = await signIn(chrome, user('rob.reader'));
      const mark = seed.app.requests.length;
      const response = await page.goto(`${seed.url}/admin/`);
      assert.equal(response.status(), 403);
      assert.equal(await page.textContent('#deny-code'), 'role_denied');
      assert.match(await page.textContent('#deny-title'), /don't have access/);
      // The same request from a script asking for JSON.
      const api = await page.evaluate(async () => {
        const r = await fetch('/admin/', { headers: { accept: 'application/json' } });
        return { status: r.status, body: await r.json() };
      });
      assert.equal(api.status, 403);
      assert.equal(api.body.error, 'role_denied');
      assert.equal(appCalls(mark).length, 0);
    } finally {
      await chrome.close();
    }
  });

  test('x-amzn-oidc-* and x-auth-* headers a client sends to the ALB never reach the gate as sent', async () => {
    const chrome = await h.browser();
    try {
      const page = await signIn(chrome, user('ada.agent'));
      const sub = await page.textContent('#x-auth-sub');
      const mark = seed.app.requests.length;
      const status = await page.evaluate(async () => (await fetch('/gifts', {
        headers: { 'x-amzn-oidc-identity': 'admin', 'x-amzn-oidc-data': 'forged.token.here', 'x-auth-roles': 'super_admin' },
      })).status);
      assert.equal(status, 200);
      const [got] = appCalls(mark);
      assert.equal(got.headers['x-amzn-oidc-identity'], sub);
      assert.notEqual(got.headers['x-amzn-oidc-data'], 'forged.token.here');
      assert.equal(got.headers['x-auth-roles'], '');
      assert.equal(got.headers['x-auth-sub'], sub);
    } finally {
      await chrome.close();
    }
  });

  test('/logout clears every AWSELBAuthSessionCookie-* and lands on the end-session endpoint; then the app asks for sign-in again', async () => {
    const chrome = await h.browser();
    try {
      const page = await signIn(chrome, user('alice.admin'));
      const visited = [];
      page.on('request', (r) => { if (r.isNavigationRequest()) visited.push(r.url()); });
      await page.goto(`${seed.url}/logout`);
      await page.waitForLoadState('load');
      assert.ok(visited.some((u) => u.startsWith(`${stack.urls.provider}/`) && u.includes('/oauth2/v2.0/logout')), visited.join('\n'));
      const left = (await chrome.context.cookies(seed.url)).filter((c) => c.name.startsWith('AWSELBAuthSessionCookie-'));
      assert.deepEqual(left.map((c) => c.name), []);
      // The user confirms at the provider; its post-logout redirect goes back to the app
      // through the ALB, which has no session now and asks for sign-in again.
      await page.click('#confirm-logout');
      await page.waitForSelector('#username', h.WAIT);
      assert.ok(page.url().startsWith(`${stack.urls.provider}/`), page.url());
      assert.ok(visited.some((u) => u === `${seed.url}/`), visited.join('\n'));
      await page.goto(`${seed.url}/gifts`);
      await page.waitForSelector('#username', h.WAIT);
      assert.ok(page.url().startsWith(`${stack.urls.provider}/`), page.url());
    } finally {
      await chrome.close();
    }
  });

  test('the demo page links "Sign in through the ALB (seed 000)", which leads through the ALB to the app', async () => {
    const chrome = await h.browser();
    try {
      const page = await chrome.page();
      await page.goto(stack.urls.demo);
      assert.equal((await page.textContent('#sign-in-alb')).trim(), 'Sign in through the ALB (seed 000)');
      await Promise.all([page.waitForNavigation(h.WAIT), page.click('#sign-in-alb')]);
      await page.waitForSelector('#username', h.WAIT);
      await page.fill('#username', user('ada.agent').username);
      await page.fill('#password', h.DEMO_PASSWORD);
      await Promise.all([page.waitForNavigation(h.WAIT), page.click('#sign-in')]);
      await page.waitForSelector('#x-auth-sub', h.WAIT);
      assert.ok(page.url().startsWith(`${seed.url}/`), page.url());
      assert.equal(await page.textContent('#x-auth-source'), 'alb');
      // Both of the demo's paths reach the same gate: the one the page's API calls go to
      // decided this ALB request too (its decision log), and the ALB forwards to it.
      assert.equal(new URL(stack.demoConfig.apiUrl).origin, stack.urls.edge);
      assert.equal(seed.gate.url, stack.urls.edge);
      await stack.edge.decision((d) => d.source === 'alb' && d.outcome === 'allow');
      const api = await fetch(stack.demoConfig.apiUrl);
      assert.equal(api.status, 401);
      await stack.edge.decision((d) => d.path === '/api/tickets' && d.error === 'missing_credential');
    } finally {
      await chrome.close();
    }
  });

  test('a request straight to the gate\'s port (bypassing the ALB) with a forged token is refused', async () => {
    const mark = seed.app.requests.length;
    const [header, , signature] = stack.alb.mint({ sub: 'x' }, { client: ALB_APP_ID }).split('.');
    const claims = Buffer.from(JSON.stringify({ sub: 'attacker', email: 'a@b', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    const r = await fetch(`${seed.gate.url}/admin/`, { headers: { 'x-amzn-oidc-data': `${header}.${claims}.${signature}`, 'x-auth-roles': 'super_admin' } });
    assert.equal(r.status, 401);
    assert.equal((await r.json()).error, 'bad_signature');
    const none = await fetch(`${seed.gate.url}/gifts`, { headers: { 'x-amzn-oidc-identity': 'admin', 'x-auth-sub': 'admin' } });
    assert.equal(none.status, 401);
    assert.equal(appCalls(mark).length, 0);
  });
});

describe('the ALB listener stand-in', () => {
  test('a session over 4 KB is sharded into -0, -1, … and joined back in order', () => {
    const value = 'v'.repeat(3 * SHARD_BYTES);
    const cookies = shardCookie('AWSELBAuthSessionCookie', value, 'Path=/; HttpOnly');
    assert.ok(cookies.length >= 4);
    cookies.forEach((c, i) => {
      assert.ok(c.startsWith(`AWSELBAuthSessionCookie-${i}=`));
      assert.ok(c.length <= SHARD_BYTES);
    });
    const header = cookies.map((c) => c.split(';')[0]).reverse().join('; ');
    assert.equal(joinShards('AWSELBAuthSessionCookie', header).value, value);
  });

  test('its 401 page is ALB\'s own', () => {
    assert.match(UNAUTHORIZED_PAGE, /<title>401 Authorization Required<\/title>/);
  });
});
