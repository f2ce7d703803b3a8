// After sign-in: the OBO exchange failing, the access token refreshing, the refresh token
// dying, and logout (including the other tabs).

import assert from 'node:assert/strict';
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

const newPage = () => h.pageWithSessionStorage(chrome, stack);

const account = (page) => page.evaluate(() => window.demo.auth.account());

describe('OBO exchange failures keep the Entra session', () => {
  test('OBO service down', async () => {
    await stack.obo.stop();
    const page = await newPage();
    try {
      await h.signIn(page, stack.urls.demo, 'ada.agent@stackflow.test');
      assert.equal(await h.errorCode(page), 'network_error');
      assert.match(await page.textContent('#error-hint'), /tokens are kept/);
      assert.match(await page.textContent('#obo-error'), /unreachable/);
      assert.equal((await account(page))?.username, 'ada.agent@stackflow.test');
    } finally {
      await stack.obo.start();
    }
    // Back up: the same session exchanges without a new sign-in.
    await page.click('#obo-retry');
    await page.waitForSelector('#roles li', h.WAIT);
    assert.deepEqual(await h.shownRoles(page), ['itsm_agent']);
    await page.close();
  });

  test('OBO endpoint answers 401', async () => {
    const page = await newPage();
    // The body is what the local service answers for a token of another audience.
    await page.route(/\/obo\/exchange$/, (route) => route.fulfill({
      status: 401,
      headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': new URL(stack.urls.demo).origin },
      body: JSON.stringify({ error: 'audience_mismatch', message: 'audience "x" is not one of the expected ["y"]' }),
    }));
    await h.signIn(page, stack.urls.demo, 'ada.agent@stackflow.test');
    assert.equal(await h.errorCode(page), 'obo_unauthorized');
    assert.match(await page.textContent('#error-code'), /HTTP 401/);
    assert.match(await page.textContent('#error-message'), /audience_mismatch/);
    assert.match(await page.textContent('#error-hint'), /tokens are kept/);
    assert.equal((await account(page))?.username, 'ada.agent@stackflow.test');
    const keys = await h.packageStorage(page);
    assert.ok(keys.some((k) => k.endsWith(':session')), `the Entra session is kept: ${keys}`);
    await page.close();
  });
});

describe('the local OBO service is not a rubber stamp', () => {
  test('ID token, tampered token and another tenant get 401 naming the reason', async () => {
    const page = await newPage();
    await h.signIn(page, stack.urls.demo, 'ada.agent@stackflow.test');
    const { accessToken, idToken } = await page.evaluate(async () => {
      const session = JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage).find((k) => k.endsWith(':session'))));
      return { accessToken: await window.demo.auth.accessToken(), idToken: session.id_token };
    });
    const exchange = async (token, tenant = stack.demoConfig.tenantId) => {
      const response = await fetch(`${stack.urls.obo}/obo/exchange`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ azure_token: token, tenant_id: tenant }),
      });
      return { status: response.status, body: await response.json() };
    };
    const ok = await exchange(accessToken);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.roles, ['itsm_agent']);
    const id = await exchange(idToken);
    assert.equal(id.status, 401);
    assert.equal(id.body.error, 'token_use_mismatch');
    assert.match(id.body.message, /ID token/);
    const [head, claims] = accessToken.split('.');
    const tampered = await exchange(`${head}.${claims}.${'A'.repeat(342)}`);
    assert.deepEqual([tampered.status, tampered.body.error], [401, 'bad_signature']);
    const tenant = await exchange(accessToken, '11111111-2222-4333-8444-555555555555');
    assert.deepEqual([tenant.status, tenant.body.error], [401, 'tenant_mismatch']);
    await page.close();
  });
});

describe('access token refresh', () => {
  test('refreshes once shortly before expiry, with one refresh for concurrent callers', async () => {
    const page = await newPage();
    await page.clock.install();
    await h.signIn(page, stack.urls.demo, 'mark.manager@stackflow.test');
    const refreshes = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/oauth2/v2.0/token') && r.postData()?.includes('grant_type=refresh_token')) refreshes.push(r);
    });
    const before = await page.evaluate(() => window.demo.auth.accessToken());
    assert.equal(refreshes.length, 0, 'a fresh token is served from the session');
    // 3400 s later the 3600 s token has less than five minutes left.
    await page.clock.fastForward(3400 * 1000);
    const [a, b] = await page.evaluate(() => Promise.all([window.demo.auth.accessToken(), window.demo.auth.accessToken()]));
    assert.equal(a, b);
    assert.notEqual(a, before);
    assert.equal(refreshes.length, 1);
    // The new token is served without another refresh.
    assert.equal(await page.evaluate(() => window.demo.auth.accessToken()), a);
    assert.equal(refreshes.length, 1);
    assert.equal((await account(page))?.username, 'mark.manager@stackflow.test');
    await page.close();
  });

  test('a dead refresh token (AADSTS700084) asks for a new login, and login recovers', async () => {
    const page = await newPage();
    await page.clock.install();
    await h.signIn(page, stack.urls.demo, 'rob.reader@stackflow.test');
    // What Entra answers once a SPA refresh token is 24 hours old.
    await page.route(/\/oauth2\/v2\.0\/token$/, (route) => route.fulfill({
      status: 400,
      headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': new URL(stack.urls.demo).origin },
      body: JSON.stringify({
        error: 'invalid_grant',
        error_description: 'AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended.',
        error_codes: [700084],
        correlation_id: '4ee0b43b-6f4c-4f2f-9f1b-2b3c2a1d0e9f',
      }),
    }));
    await page.clock.fastForward(3500 * 1000);
    await page.click('#token-refresh');
    assert.equal(await h.errorCode(page), 'login_required');
    assert.match(await page.textContent('#error-message'), /AADSTS700084/);
    assert.equal(await account(page), undefined);
    assert.ok(!(await h.packageStorage(page)).some((k) => k.endsWith(':session')));
    await page.unroute(/\/oauth2\/v2\.0\/token$/);
    // login() recovers.
    await page.click('#sign-in');
    await page.fill('#username', 'rob.reader@stackflow.test');
    await page.fill('#password', h.DEMO_PASSWORD);
    await page.click('#sign-in');
    await page.waitForURL((u) => u.href.startsWith(stack.urls.demo), h.WAIT);
    await page.waitForSelector('body[data-ready="signed-in"]', h.WAIT);
    assert.equal((await account(page))?.username, 'rob.reader@stackflow.test');
    await page.close();
  });
});

describe('logout', () => {
  test('clears storage, tells the other tabs, and lands on the end-session endpoint', async () => {
    const page = await newPage();
    await h.signIn(page, stack.urls.demo, 'alice.admin@stackflow.test');
    // A second tab of the app, opened from the first (it starts with a copy of its
    // sessionStorage, so it is signed in too).
    const [other] = await Promise.all([
      chrome.context.waitForEvent('page'),
      page.evaluate((url) => window.open(url), stack.urls.demo),
    ]);
    await other.waitForSelector('body[data-ready="signed-in"]', h.WAIT);
    assert.ok(await account(other));

    const endSession = page.waitForRequest((r) => r.url().includes('/oauth2/v2.0/logout'), h.WAIT);
    await page.click('#sign-out');
    const url = new URL((await endSession).url());
    assert.equal(url.pathname, `/${stack.demoConfig.tenantId}/oauth2/v2.0/logout`);
    assert.equal(url.searchParams.get('post_logout_redirect_uri'), stack.demoConfig.postLogoutRedirectUri);
    assert.equal(url.searchParams.get('logout_hint'), 'alice.admin@stackflow.test');
    assert.equal(url.searchParams.get('client_id'), stack.demoConfig.clientId);
    await page.waitForSelector('#confirm-logout', h.WAIT);

    // The other tab dropped its tokens and says why.
    await other.waitForSelector('#notice:not([hidden])', h.WAIT);
    assert.match(await other.textContent('#notice'), /another tab/);
    assert.equal(await account(other), undefined);
    assert.deepEqual(await h.packageStorage(other), []);

    // Confirming at the provider brings the browser back, signed out, nothing stored.
    await page.click('#confirm-logout');
    await page.waitForURL((u) => u.href.startsWith(stack.urls.demo), h.WAIT);
    await page.waitForSelector('body[data-ready="signed-out"]', h.WAIT);
    assert.deepEqual(await h.packageStorage(page), []);
    assert.match(await page.textContent('#notice'), /signed out/);
    await other.close();
    await page.close();
  });
});
