// Sign-in on the demo page against the local stack: each demo user, and every way the
// callback can be wrong.

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

const pageWithSessionStorage = () => h.pageWithSessionStorage(chrome, stack);

async function assertNothingStored(page) {
  const keys = await h.packageStorage(page);
  assert.ok(!keys.some((k) => k.endsWith(':session')), `no session stored, found ${keys}`);
  assert.equal(await page.evaluate(() => window.demo.auth.account()), undefined);
}

describe('each demo user signs in and sees the roles of the group table', () => {
  for (const user of h.USERS) {
    test(user.username, async () => {
      const page = await chrome.context.newPage();
      await h.signIn(page, stack.urls.demo, user.username);
      assert.equal(await page.getAttribute('body', 'data-ready'), 'signed-in');
      assert.match(await page.textContent('#id-token-badge'), /signature verified/);
      await page.waitForSelector('#roles', { ...h.WAIT, state: 'attached' });
      const expected = h.GROUP_ROLES.filter((r) => user.groups.includes(r.group)).map((r) => r.role);
      assert.deepEqual(await h.shownRoles(page), expected);
      assert.deepEqual(await page.evaluate(() => window.demo.auth.roles()), expected);
      await page.waitForSelector('#api-body[data-status]', h.WAIT);
      const apiStatus = await page.getAttribute('#api-body', 'data-status');
      if (expected.length) {
        assert.equal(apiStatus, '200');
        assert.equal(await page.evaluate(() => window.demo.auth.hasRole('super_admin')), expected.includes('super_admin'));
      } else {
        // No group, no role: the page says why, and the protected route refuses.
        assert.match(await page.textContent('#no-roles'), /not mapped to a StackFlow role/);
        assert.equal(apiStatus, '403');
        assert.match(await page.textContent('#api-error'), /role_denied/);
      }
      // The code and state were removed from the address bar.
      assert.ok(!page.url().includes('code='), page.url());
      assert.ok(!page.url().includes('state='), page.url());
      if (user.groups.includes('SG-StackFlow-Admins')) {
        fs.mkdirSync(h.ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(h.ARTIFACTS, 'demo-signed-in.png'), fullPage: true });
      }
      await page.close();
    });
  }
});

describe('a wrong callback is refused and stores nothing', () => {
  test('state tampered in the callback URL', async () => {
    const page = await pageWithSessionStorage();
    // The provider's form posts (sign-in, and the session switch it makes when another
    // user was signed in) are intercepted: their redirects are followed here, up to the
    // callback, whose state is changed, as an attacker who controls the link would.
    let rewritten = false;
    await page.route(/\/(login\/[^/?]+|oauth2\/v2\.0\/logout\/confirm)$/, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      let response = await route.fetch({ maxRedirects: 0 });
      let location = response.headers().location;
      while (location && !location.includes('code=')) {
        response = await page.request.get(new URL(location, route.request().url()).href, { maxRedirects: 0 });
        location = response.headers().location;
      }
      if (!location) return route.fulfill({ response });
      const url = new URL(location);
      url.searchParams.set('state', 'tampered-state-value');
      rewritten = true;
      await route.fulfill({ status: 303, headers: { location: url.href } });
    });
    await h.signIn(page, stack.urls.demo, 'ada.agent@stackflow.test');
    assert.ok(rewritten);
    assert.equal(await h.errorCode(page), 'unknown_state');
    assert.match(await page.textContent('#error-hint'), /tampered with/);
    await assertNothingStored(page);
    await page.close();
  });

  test('a replayed callback', async () => {
    const page = await pageWithSessionStorage();
    let callback;
    page.on('request', (r) => { if (/\/demo\/\?code=/.test(r.url())) callback = r.url(); });
    await h.signIn(page, stack.urls.demo, 'ada.agent@stackflow.test');
    assert.equal(await page.getAttribute('body', 'data-ready'), 'signed-in');
    assert.ok(callback);
    // Same tab, a fresh page load (memory gone), the same callback URL again.
    await page.evaluate(() => sessionStorage.removeItem(Object.keys(sessionStorage).find((k) => k.endsWith(':session'))));
    await page.goto(callback);
    await page.waitForSelector('body[data-ready]', h.WAIT);
    assert.equal(await h.errorCode(page), 'unknown_state');
    await assertNothingStored(page);
    await page.close();
  });

  test('nonce mismatch', async () => {
    const page = await pageWithSessionStorage();
    await h.openDemo(page, stack.urls.demo);
    // The app builds the authorize URL itself; the pending login's nonce is then changed,
    // as if the ID token had been issued for another login.
    const url = await page.evaluate(() => {
      const authorizeUrl = window.demo.auth.authorizeUrl();
      const key = Object.keys(sessionStorage).find((k) => k.includes(':pending:'));
      const pending = JSON.parse(sessionStorage.getItem(key));
      pending.nonce = 'a-different-nonce-than-the-one-sent-to-entra';
      sessionStorage.setItem(key, JSON.stringify(pending));
      return authorizeUrl;
    });
    await page.goto(url);
    await page.fill('#username', 'ada.agent@stackflow.test');
    await page.fill('#password', h.DEMO_PASSWORD);
    await page.click('#sign-in');
    await page.waitForURL((u) => u.href.startsWith(stack.urls.demo), h.WAIT);
    await page.waitForSelector('body[data-ready]', h.WAIT);
    assert.equal(await h.errorCode(page), 'nonce_mismatch');
    await assertNothingStored(page);
    await page.close();
  });

  test('an ID token signed with another key than the published one', async () => {
    const page = await pageWithSessionStorage();
    stack.provider.signNextIdTokenWithAnotherKey();
    await h.signIn(page, stack.urls.demo, 'ada.agent@stackflow.test');
    assert.equal(await h.errorCode(page), 'bad_signature');
    await assertNothingStored(page);
    assert.deepEqual(await page.evaluate(() => window.demo.auth.roles()), []);
    await page.close();
  });

  test('the user cancels at the provider', async () => {
    const page = await pageWithSessionStorage();
    await h.openDemo(page, stack.urls.demo);
    await page.click('#sign-in');
    await page.waitForSelector('#cancel-button', h.WAIT);
    await page.click('#cancel-button');
    await page.waitForURL((u) => u.href.startsWith(stack.urls.demo), h.WAIT);
    await page.waitForSelector('body[data-ready]', h.WAIT);
    assert.equal(await h.errorCode(page), 'access_denied');
    assert.match(await page.textContent('#error-title'), /Sign-in cancelled/);
    assert.match(await page.textContent('#error-hint'), /cancelled the sign-in/);
    await assertNothingStored(page);
    await page.close();
  });
});
