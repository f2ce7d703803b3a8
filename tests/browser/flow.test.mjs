// One flow, all real parts, for each demo user: sign-in at the Entra-shaped provider → the
// ID token verified in the page → the OBO exchange → calls through the edge worker (workerd)
// to the origin API, which reports the identity the worker vouched for → a call the user's
// roles forbid, refused by the worker and shown on the page → sign-out. Then an ALB-style
// request (a padded token from the local ALB signer) through the same worker.
//
// What origin received is read from origin itself (`stack.origin.requests`), not only from
// the page.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as h from './helpers.mjs';

let stack;
let chrome;

before(async () => {
  stack = await h.stack();
  chrome = await h.browser();
});

after(async () => {
  await chrome?.close();
  await stack?.close();
});

const ALL_ROLES = ['viewer', 'itsm_agent', 'itsm_manager', 'super_admin'];
const WRITERS = ['itsm_agent', 'itsm_manager', 'super_admin'];

const rolesOf = (user) => h.GROUP_ROLES.filter((r) => user.groups.includes(r.group)).map((r) => r.role);
const sorted = (list) => [...list].sort();
const splitRoles = (header) => (header ? header.split(',').filter(Boolean) : []);

/** Origin's requests from index `from` on, other than CORS preflights. */
const originCalls = (from) => stack.origin.requests.slice(from).filter((r) => r.method !== 'OPTIONS');

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

/** Clicks a demo call button and waits for its result box; returns status and deny code. */
async function clickCall(page, kind) {
  await page.evaluate((k) => document.getElementById(`api-result-${k}`)?.remove(), kind);
  await page.click(`#api-${kind}`);
  const box = `#api-result-${kind}[data-status]`;
  await page.waitForSelector(box, h.WAIT);
  return {
    status: Number(await page.getAttribute(box, 'data-status')),
    code: await page.$eval(box, (b) => b.querySelector('.api-error')?.dataset.code ?? null),
    text: await page.textContent(box),
  };
}

/** Checks one call's outcome: allowed → origin got the verified identity; refused → 403
 * `role_denied` on the page and nothing reached origin. */
async function expectCall(page, kind, { allowed, sub, roles, method, path: routePath }) {
  const mark = stack.origin.requests.length;
  const result = await clickCall(page, kind);
  const reached = originCalls(mark);
  if (allowed) {
    assert.equal(result.status, 200, `${kind}: ${result.text}`);
    assert.equal(reached.length, 1, `${kind} reaches origin once`);
    const got = reached[0];
    assert.equal(got.method, method);
    assert.equal(got.path, routePath);
    assert.equal(got.headers['x-auth-sub'], sub);
    assert.deepEqual(sorted(splitRoles(got.headers['x-auth-roles'])), sorted(roles));
    assert.equal(got.headers['x-auth-source'], 'cognito');
    // The page shows what origin reported.
    assert.ok(result.text.includes(sub), result.text);
  } else {
    assert.equal(result.status, 403, `${kind}: ${result.text}`);
    assert.equal(result.code, 'role_denied');
    assert.match(result.text, /HTTP 403 role_denied from the edge worker/);
    assert.match(result.text, /never reached origin/);
    assert.equal(reached.length, 0, `a refused ${kind} never reaches origin`);
  }
  return result;
}

describe('each demo user: login → ID token → OBO → API through the worker → logout', () => {
  for (const user of h.USERS) {
    test(user.username, async () => {
      const roles = rolesOf(user);
      const page = await chrome.context.newPage();
      const mark = stack.origin.requests.length;

      // Login at the provider; the page verified the ID token.
      await h.signIn(page, stack.urls.demo, user.username);
      assert.equal(await page.getAttribute('body', 'data-ready'), 'signed-in');
      assert.match(await page.textContent('#id-token-badge'), /signature verified/);
      assert.equal(await page.evaluate(() => window.demo.auth.account().objectId), user.oid);

      // OBO exchange: the roles of the seed table.
      await page.waitForSelector('#roles', { ...h.WAIT, state: 'attached' });
      assert.deepEqual(await h.shownRoles(page), roles);
      const accessToken = await page.evaluate(() => window.demo.obo.accessToken);
      const sub = claimsOf(accessToken).sub;
      assert.deepEqual(sorted(claimsOf(accessToken)['cognito:groups'] ?? []), sorted(roles));

      // The page's first call, GET /api/tickets through the worker (its CORS preflight is
      // public in the worker's policy and answered by origin).
      await page.waitForSelector('#api-body[data-status]', h.WAIT);
      const first = originCalls(mark);
      const preflights = stack.origin.requests.slice(mark).filter((r) => r.method === 'OPTIONS');
      if (roles.length) {
        assert.equal(await page.getAttribute('#api-body', 'data-status'), '200');
        assert.equal(first.length, 1);
        assert.equal(first[0].headers['x-auth-sub'], sub);
        assert.deepEqual(sorted(splitRoles(first[0].headers['x-auth-roles'])), sorted(roles));
        assert.equal(first[0].headers['x-auth-source'], 'cognito');
        // A preflight (Chromium caches them per URL, so only the first user's page sends
        // one) carries no credential, and no identity reaches origin with it.
        for (const p of preflights) {
          assert.equal(p.headers.authorization, undefined);
          assert.equal(p.headers['x-auth-sub'], undefined);
        }
        const shown = await page.textContent('#api-body');
        assert.ok(shown.includes(sub) && shown.includes('cognito'), shown);
      } else {
        // No group, no role: the worker refuses every protected route.
        assert.equal(await page.getAttribute('#api-body', 'data-status'), '403');
        assert.equal(await page.getAttribute('#api-error', 'data-code'), 'role_denied');
        assert.match(await page.textContent('#api-error'), /role_denied/);
        assert.equal(first.length, 0, 'nothing reached origin');
      }

      // A write only agents and up may make, and the admin-only route.
      await expectCall(page, 'post', { allowed: roles.some((r) => WRITERS.includes(r)), sub, roles, method: 'POST', path: '/api/tickets' });
      const admin = await expectCall(page, 'admin', { allowed: roles.includes('super_admin'), sub, roles, method: 'GET', path: '/api/admin' });
      if (!roles.includes('super_admin')) assert.match(admin.text, /none of your StackFlow roles/);

      // A forged x-auth-roles from the browser never reaches origin.
      const spoofMark = stack.origin.requests.length;
      const spoof = await clickCall(page, 'spoof');
      const spoofed = originCalls(spoofMark);
      if (roles.length) {
        assert.equal(spoof.status, 200);
        assert.equal(spoofed.length, 1);
        assert.deepEqual(sorted(splitRoles(spoofed[0].headers['x-auth-roles'])), sorted(roles));
        assert.ok(!splitRoles(spoofed[0].headers['x-auth-roles']).includes('super_admin') || roles.includes('super_admin'));
        assert.match(spoof.text, /never saw it/);
      } else {
        assert.equal(spoof.status, 403);
        assert.equal(spoof.code, 'role_denied');
        assert.equal(spoofed.length, 0);
      }

      if (user.groups.includes('SG-StackFlow-Agents')) {
        fs.mkdirSync(h.ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(h.ARTIFACTS, 'demo-through-worker.png'), fullPage: true });
      }

      // Logout through the provider: back on the demo, signed out, nothing kept.
      await page.click('#sign-out');
      await page.waitForSelector('#confirm-logout', h.WAIT);
      await page.click('#confirm-logout');
      await page.waitForURL((u) => u.href.startsWith(stack.urls.demo), h.WAIT);
      await page.waitForSelector('body[data-ready="signed-out"]', h.WAIT);
      assert.equal(await page.evaluate(() => window.demo.auth.account()), undefined);
      assert.deepEqual(await h.packageStorage(page), []);
      await page.close();
    });
  }
});

test('the pages\' CORS preflights went through the worker to origin, which answered them', () => {
  const preflights = stack.origin.requests.filter((r) => r.method === 'OPTIONS');
  for (const route of ['/api/tickets', '/api/admin']) {
    const p = preflights.find((r) => r.path === route);
    assert.ok(p, `a preflight for ${route} reached origin`);
    assert.equal(p.headers.origin, new URL(stack.urls.demo).origin);
    assert.match(p.headers['access-control-request-headers'], /authorization/);
  }
});

describe('ALB-style requests through the worker', () => {
  const agent = h.USERS.find((u) => u.groups.includes('SG-StackFlow-Agents'));
  const reader = h.USERS.find((u) => u.groups.includes('SG-StackFlow-ReadOnly'));
  const albClaims = (user) => ({ sub: user.oid, email: user.username, name: user.name, groups: user.groups });

  test('a padded x-amzn-oidc-data token reaches origin as source alb; forged headers do not', async () => {
    const token = stack.alb.mint(albClaims(agent));
    // ALB's encoding: base64url segments with `=` padding (the 64-byte signature always has it).
    assert.match(token.split('.')[2], /=$/);
    const mark = stack.origin.requests.length;
    const response = await fetch(`${stack.urls.edge}/api/tickets`, {
      headers: { 'x-amzn-oidc-data': token, 'x-auth-roles': 'super_admin', 'x-auth-source': 'cognito', 'x-auth-sub': 'someone-else' },
    });
    assert.equal(response.status, 200, await response.clone().text());
    const report = await response.json();
    const [got] = originCalls(mark);
    assert.equal(got.headers['x-auth-source'], 'alb');
    assert.equal(got.headers['x-auth-sub'], agent.oid);
    assert.equal(got.headers['x-auth-roles'], 'itsm_agent');
    // The verified ALB token travels on with the request; nothing forged does.
    assert.equal(got.headers['x-amzn-oidc-data'], token);
    assert.deepEqual(report.received, { 'x-auth-sub': agent.oid, 'x-auth-roles': 'itsm_agent', 'x-auth-source': 'alb' });
    assert.deepEqual(report.otherAuthHeaders, []);
  });

  test('the ALB signer served its key at /{kid}, a UUID', async () => {
    assert.match(stack.alb.kid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const pem = await (await fetch(`${stack.urls.alb}/${stack.alb.kid}`)).text();
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----/);
  });

  test('an ALB reader may not write: 403 role_denied from the worker, origin untouched', async () => {
    const mark = stack.origin.requests.length;
    const response = await fetch(`${stack.urls.edge}/api/tickets`, {
      method: 'POST',
      headers: { 'x-amzn-oidc-data': stack.alb.mint(albClaims(reader)), 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 403);
    assert.equal((await response.json()).error, 'role_denied');
    assert.equal(stack.origin.requests.length, mark);
  });

  test('a tampered ALB token and a missing credential are refused (401), origin untouched', async () => {
    const mark = stack.origin.requests.length;
    const [header, claims, signature] = stack.alb.mint(albClaims(reader)).split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url')), groups: ['SG-StackFlow-Admins'] })).toString('base64url');
    const tampered = await fetch(`${stack.urls.edge}/api/admin`, { headers: { 'x-amzn-oidc-data': `${header}.${forged}.${signature}` } });
    assert.equal(tampered.status, 401);
    assert.equal((await tampered.json()).error, 'bad_signature');
    const none = await fetch(`${stack.urls.edge}/api/tickets`, { headers: { 'x-auth-roles': 'super_admin' } });
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error, 'missing_credential');
    assert.equal(stack.origin.requests.length, mark);
  });
});
