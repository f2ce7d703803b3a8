// One sign-in across the app's tabs, without localStorage: a second tab is signed in by the
// first, memory to memory (BroadcastChannel); two tabs at expiry make one refresh
// (navigator.locks, counted at the provider); logout in one tab ends every tab; the events
// an app listens to.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './helpers.mjs';

/** Entra access tokens live 8 s here: due for refresh 4 s into their life. */
const ACCESS_TOKEN_TTL = 8;

let stack;
let chrome;

before(async () => {
  stack = await h.stack({ accessTokenTtl: ACCESS_TOKEN_TTL });
  chrome = await h.browser();
});

after(async () => {
  await chrome?.close();
  await stack?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

/** Records the package's events in the page (`window.events`). */
const recordEvents = (page) => page.evaluate(() => {
  window.events = [];
  for (const name of ['signedIn', 'signedOut', 'tokenRenewed', 'renewalFailed']) {
    window.demo.auth.on(name, (detail) => window.events.push([name, name === 'signedIn' ? detail.username : detail?.kind ?? detail?.code ?? detail]));
  }
});
const events = (page) => page.evaluate(() => window.events);

test('a second tab is signed in by the first; two tabs at expiry refresh once; logout in one ends both', async (t) => {
  // Whatever fails, no tab stays open to sign in the next test's tab.
  t.after(() => Promise.all(chrome.context.pages().map((p) => p.close())));
  const first = await chrome.context.newPage();
  await h.signIn(first, stack.urls.demo, 'mark.manager@stackflow.test');
  await recordEvents(first);

  // The second tab: no redirect to the provider, no storage: the first tab's session.
  const second = await chrome.context.newPage();
  const toProvider = [];
  second.on('request', (r) => { if (r.url().startsWith(stack.urls.provider)) toProvider.push(r.url()); });
  await h.openDemo(second, stack.urls.demo);
  assert.equal(await second.getAttribute('body', 'data-ready'), 'signed-in');
  assert.equal((await second.evaluate(() => window.demo.auth.account()))?.username, 'mark.manager@stackflow.test');
  assert.deepEqual(toProvider.filter((u) => u.includes('/authorize')), [], 'no redirect');
  assert.deepEqual(await second.evaluate(() => [Object.keys(localStorage).filter((k) => k.startsWith('entra-edge-auth:')), document.cookie]), [[], '']);
  await recordEvents(second);

  // Both tabs at expiry ask for a token at once: one refresh at the provider.
  const obtained = claimsOf(await first.evaluate(() => window.demo.auth.accessToken())).iat;
  // Past the half-life however late in its second the token arrived (the page counts from
  // its arrival, in whole seconds), still well before expiry.
  await sleep(Math.max(0, (obtained + ACCESS_TOKEN_TTL / 2) * 1000 - Date.now() + 1300));
  const refreshes = stack.provider.counts.refresh;
  const [a, b] = await Promise.all([first, second].map((p) => p.evaluate(() => window.demo.auth.accessToken())));
  assert.equal(stack.provider.counts.refresh - refreshes, 1, 'one refresh for both tabs');
  assert.equal(a, b, 'both tabs hold the one refreshed token');
  assert.ok(claimsOf(a).iat > obtained);
  const renewed = [...await events(first), ...await events(second)].filter(([name]) => name === 'tokenRenewed');
  assert.deepEqual(renewed, [['tokenRenewed', 'entra']], 'the tab that refreshed says so');

  // Logout in the second tab ends the first.
  await second.click('#sign-out');
  await first.waitForFunction(() => !window.demo.auth.account(), null, h.WAIT);
  assert.deepEqual((await events(first)).filter(([name]) => name === 'signedOut'), [['signedOut', 'other-tab']]);
  await second.waitForSelector('#confirm-logout', h.WAIT);
  await first.close();
  await second.close();
});

test('with no other tab open, a new tab is signed out', async () => {
  const page = await chrome.context.newPage();
  await h.openDemo(page, stack.urls.demo);
  assert.equal(await page.getAttribute('body', 'data-ready'), 'signed-out');
  await page.close();
});
