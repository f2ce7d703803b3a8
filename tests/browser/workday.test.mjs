// A whole working day with the package, in minutes: `auth.fetch` to the protected API behind
// the edge worker (workerd) across several app-token lifetimes (short lifetimes in this
// stack), renewal shared by concurrent calls, a 401 `invalid_token` after the OBO service
// rotated its signing key, `apiOrigins`, deep links, and the discovery document's issuer.
//
// What went over the wire is read from the servers themselves: origin's request log, the
// OBO service's exchange count, a second server's log.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import * as h from './helpers.mjs';
import { API_APP_ID, GRAPH_RESOURCE, GRAPH_SCOPE, UNCONSENTED_SCOPE } from '../stack/config.mjs';

/** App tokens live 6 s here, so with the default margin (5 min, capped at half the
 * lifetime) each is renewed 3 s into its life; Entra access tokens live 20 s. */
const APP_TOKEN_TTL = 6;
const ACCESS_TOKEN_TTL = 20;

let stack;
let chrome;

before(async () => {
  stack = await h.stack({ appTokenTtl: APP_TOKEN_TTL, accessTokenTtl: ACCESS_TOKEN_TTL });
  chrome = await h.browser();
});

after(async () => {
  await chrome?.close();
  await stack?.close();
});

const AGENT = 'ada.agent@stackflow.test';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const bearer = (request) => request.headers.authorization?.replace(/^Bearer /, '');

/** Browsers opened by `signedIn`, closed by `done`: each test has its own, since tabs of
 * one browser share their sign-in. */
const browsers = new Map();

/** A signed-in demo page in a browser of its own (it exchanged and called the API once). */
async function signedIn(username = AGENT) {
  const own = await h.browser();
  const page = await own.page();
  browsers.set(page, own);
  await h.signIn(page, stack.urls.demo, username);
  assert.equal(await page.getAttribute('body', 'data-ready'), 'signed-in');
  return page;
}

async function done(page) {
  if (browsers.has(page)) await browsers.get(page).close();
  else await page.close();
  browsers.delete(page);
}

/** `auth.fetch(url, init)` in the page: `{status, body}` or `{code, message, claims}`. */
function apiCall(page, url, init) {
  return page.evaluate(async ([u, i]) => {
    try {
      const response = await window.demo.auth.fetch(u, i);
      const errorCode = await window.demo.auth.errorCode(response);
      return { status: response.status, body: await response.json().catch(() => null), errorCode };
    } catch (error) {
      return { code: error.code, message: error.message, claims: error.claims, status: error.status };
    }
  }, [url, init ?? {}]);
}

/** Origin's requests with a bearer token from index `from` on. */
const withToken = (from) => stack.origin.requests.slice(from).filter((r) => r.method !== 'OPTIONS' && bearer(r));

describe('auth.fetch: the app token over a working day', () => {
  test('keeps working across three app-token lifetimes; never sends an expired token', async () => {
    const page = await signedIn();
    const tickets = `${stack.urls.edge}/api/tickets`;
    const mark = stack.origin.requests.length;
    const exchanges = stack.obo.counts.exchanges;
    const initial = await page.evaluate(() => window.demo.auth.oboResult().accessToken);
    // Every answer the page got from the edge (auth.fetch would hide a refused-then-retried
    // call; the edge never forwards an expired token to origin either).
    const answers = [];
    page.on('response', (r) => { if (r.url().startsWith(stack.urls.edge) && r.request().method() !== 'OPTIONS') answers.push(r.status()); });
    const deadline = Date.now() + 3 * APP_TOKEN_TTL * 1000 + 1000;
    while (Date.now() < deadline) {
      const answer = await apiCall(page, tickets);
      assert.equal(answer.status, 200, JSON.stringify(answer));
      await sleep(700);
    }
    assert.deepEqual([...new Set(answers)], [200], 'renewed before expiry: the edge never refused a token');
    const seen = withToken(mark);
    const tokens = new Set(seen.map(bearer));
    assert.ok(tokens.size >= 3, `the token changed across lifetimes (${tokens.size} tokens)`);
    for (const request of seen) {
      assert.ok(request.at / 1000 < claimsOf(bearer(request)).exp, 'no request went out with an expired token');
    }
    // Each new token was one exchange, made when the call needed it.
    assert.equal(stack.obo.counts.exchanges - exchanges, tokens.size - (tokens.has(initial) ? 1 : 0));
    await done(page);
  });

  test('20 concurrent calls at expiry cause exactly one OBO exchange', async () => {
    const page = await signedIn();
    // Wait until the app token is due for renewal (half its 6 s life).
    const expiresAt = await page.evaluate(() => window.demo.auth.oboResult().expiresAt);
    await sleep(Math.max(0, (expiresAt - APP_TOKEN_TTL / 2) * 1000 - Date.now() + 300));
    const exchanges = stack.obo.counts.exchanges;
    const mark = stack.origin.requests.length;
    const statuses = await page.evaluate(async (url) => {
      const calls = Array.from({ length: 20 }, () => window.demo.auth.fetch(url).then((r) => r.status));
      return Promise.all(calls);
    }, `${stack.urls.edge}/api/tickets`);
    assert.deepEqual(statuses, Array(20).fill(200));
    assert.equal(stack.obo.counts.exchanges - exchanges, 1, 'one exchange, shared by the 20 calls');
    const tokens = new Set(withToken(mark).map(bearer));
    assert.equal(tokens.size, 1, 'all 20 carried the one renewed token');
    await done(page);
  });

  test('the app token never goes to an origin outside apiOrigins', async () => {
    const seen = [];
    const other = http.createServer((req, res) => {
      seen.push({ ...req.headers });
      res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*', 'Content-Type': 'application/json' }).end('{}');
    });
    await new Promise((r) => other.listen(0, '127.0.0.1', r));
    try {
      const page = await signedIn();
      const elsewhere = `http://127.0.0.1:${other.address().port}/api/tickets`;
      assert.equal((await apiCall(page, elsewhere)).status, 200);
      assert.equal((await apiCall(page, elsewhere, { headers: { 'X-Trace': '1' } })).status, 200);
      // The same host on another port is another origin.
      assert.ok(seen.length >= 2);
      for (const headers of seen) assert.equal(headers.authorization, undefined, 'no app token outside apiOrigins');
      await done(page);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  test('a 403 is handed to the app with its error code', async () => {
    const page = await signedIn('rob.reader@stackflow.test');
    const answer = await apiCall(page, `${stack.urls.edge}/api/admin`);
    assert.equal(answer.status, 403);
    assert.equal(answer.errorCode, 'role_denied');
    await done(page);
  });
});

describe('bad input is a typed error, and the session stays as it was', () => {
  const edgeRoute = () => new RegExp(`^${stack.urls.edge}/api/bad`);
  const cors = () => ({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'WWW-Authenticate' });

  test('a malformed WWW-Authenticate, claims that are not base64 JSON', async () => {
    const page = await signedIn();
    const session = await page.evaluate(() => window.demo.auth.oboResult().accessToken);
    for (const [header, code] of [
      ['Bearer error="invalid_token', 'malformed_challenge'],
      ['Bearer error="insufficient_claims", claims="not base64!"', 'malformed_challenge'],
      ['Bearer error="insufficient_claims", claims="WzFd"', 'malformed_challenge'],
    ]) {
      await page.route(edgeRoute(), (route) => route.fulfill({ status: 401, headers: { ...cors(), 'WWW-Authenticate': header }, body: '{}' }));
      const answer = await apiCall(page, `${stack.urls.edge}/api/bad`);
      assert.equal(answer.code, code, `${header}: ${JSON.stringify(answer)}`);
      await page.unroute(edgeRoute());
    }
    assert.equal(await page.evaluate(() => window.demo.auth.oboResult().accessToken), session);
    assert.equal((await apiCall(page, `${stack.urls.edge}/api/tickets`)).status, 200);
    await done(page);
  });

  test('an OBO answer without expires_in', async () => {
    const page = await signedIn();
    const kept = await page.evaluate(() => window.demo.auth.oboResult());
    await page.route(/\/obo\/exchange$/, async (route) => {
      const real = await route.fetch();
      const body = await real.json();
      delete body.expires_in;
      await route.fulfill({ response: real, body: JSON.stringify(body) });
    });
    const error = await page.evaluate(() => window.demo.auth.exchangeObo().then(() => null, (e) => e.code));
    assert.equal(error, 'invalid_response');
    assert.deepEqual(await page.evaluate(() => window.demo.auth.oboResult()), kept);
    assert.equal((await page.evaluate(() => window.demo.auth.account()))?.username, AGENT);
    await done(page);
  });
});

describe('deep links', () => {
  test('/demo/tickets/42?tab=history survives sign-in, with the app state; no loop on reload', async () => {
    const page = await chrome.context.newPage();
    await h.openDemo(page, stack.urls.demo);
    await page.evaluate(() => window.demo.auth.login({ returnTo: '/demo/tickets/42?tab=history', appState: { draft: 7 } }));
    await page.waitForSelector('#username', h.WAIT);
    await page.fill('#username', AGENT);
    await page.fill('#password', h.DEMO_PASSWORD);
    await page.click('#sign-in');
    await page.waitForSelector('body[data-ready="signed-in"]', h.WAIT);
    const url = new URL(page.url());
    assert.equal(url.pathname + url.search, '/demo/tickets/42?tab=history');
    assert.deepEqual(await page.evaluate(() => window.demo.redirect), { returnTo: '/demo/tickets/42?tab=history', appState: { draft: 7 } });
    // A reload of the deep link is no callback: no redirect to the provider, no error.
    await page.reload();
    await page.waitForSelector('body[data-ready]', h.WAIT);
    assert.equal(new URL(page.url()).origin, new URL(stack.urls.demo).origin);
    assert.notEqual(await page.getAttribute('body', 'data-ready'), 'error');
    await done(page);
  });

  test('returnTo on another origin is refused, never followed', async () => {
    const page = await chrome.context.newPage();
    await h.openDemo(page, stack.urls.demo);
    for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const code = await page.evaluate((r) => {
        try {
          window.demo.auth.login({ returnTo: r });
          return 'navigated';
        } catch (error) {
          return error.code;
        }
      }, returnTo);
      assert.equal(code, 'invalid_return_to', returnTo);
    }
    assert.equal(new URL(page.url()).origin, new URL(stack.urls.demo).origin);
    await done(page);
  });
});

test('a discovery document naming another issuer is refused (OIDC Discovery §4.3)', async () => {
  stack.provider.settings.discoveryIssuer = `${stack.urls.provider}/11111111-2222-4333-8444-555555555555/v2.0`;
  try {
    const page = await chrome.context.newPage();
    const tokenRequests = [];
    page.on('request', (r) => { if (r.url().includes('/oauth2/v2.0/token')) tokenRequests.push(r.url()); });
    await h.signIn(page, stack.urls.demo, AGENT);
    assert.equal(await h.errorCode(page), 'issuer_mismatch');
    assert.match(await page.textContent('#error-message'), /discovery document names the issuer/);
    // Refused before the code went to any endpoint the document named.
    assert.deepEqual(tokenRequests, []);
    assert.equal(await page.evaluate(() => window.demo.auth.account()), undefined);
    await done(page);
  } finally {
    stack.provider.settings.discoveryIssuer = undefined;
  }
});

test('authorityMetadata: the discovery document shipped with the app means no discovery request; one naming another issuer is refused at construction', async () => {
  const discovery = `${stack.urls.issuer}/.well-known/openid-configuration`;
  const shipped = await (await fetch(discovery)).text();
  const withSettings = async (page, extra) => {
    await page.goto(stack.urls.demo);
    await page.evaluate((config) => localStorage.setItem('entra-edge-auth-demo:settings', JSON.stringify(config)), { ...stack.demoConfig, ...extra });
  };
  const page = await chrome.context.newPage();
  try {
    await withSettings(page, { authorityMetadata: shipped });
    const discoveries = [];
    page.on('request', (r) => { if (r.url().includes('/.well-known/openid-configuration')) discoveries.push(r.url()); });
    await h.signIn(page, stack.urls.demo, AGENT);
    assert.equal((await page.evaluate(() => window.demo.auth.account())).username, AGENT);
    assert.deepEqual(discoveries, [], 'the callback page fetched no discovery document');
    // The same checks as a fetched document: another issuer is refused before any sign-in.
    const forged = JSON.stringify({ ...JSON.parse(shipped), issuer: `${stack.urls.provider}/11111111-2222-4333-8444-555555555555/v2.0` });
    await withSettings(page, { authorityMetadata: forged });
    await page.goto(stack.urls.demo);
    assert.equal(await h.errorCode(page), 'issuer_mismatch');
    assert.match(await page.textContent('#error-message'), /discovery document names the issuer/);
  } finally {
    await page.evaluate(() => localStorage.removeItem('entra-edge-auth-demo:settings')).catch(() => {});
    await done(page);
  }
});

describe('tokens for several resources', () => {
  test('a Graph-like token and the API token side by side; no consent for one leaves the other working', async () => {
    const page = await signedIn();
    const token = (options) => page.evaluate((o) => window.demo.auth.accessToken(o).then((t) => ({ t }), (e) => ({ code: e.code, status: e.status, message: e.message })), options);
    const api = (await token()).t;
    const resources = stack.provider.counts.resource;
    const graph = (await token({ scopes: [GRAPH_SCOPE] })).t;
    assert.equal(claimsOf(api).aud, API_APP_ID);
    assert.equal(claimsOf(graph).aud, GRAPH_RESOURCE);
    assert.equal(claimsOf(graph).scp, GRAPH_SCOPE);
    assert.equal(claimsOf(graph).oid, claimsOf(api).oid);
    assert.equal(stack.provider.counts.resource - resources, 1);
    // Kept per scope set: asked again (in another order or spelling of the list), no request.
    assert.equal((await token({ scopes: GRAPH_SCOPE })).t, graph);
    assert.equal(stack.provider.counts.resource - resources, 1);
    assert.equal((await token()).t, api);

    const refused = await token({ scopes: [UNCONSENTED_SCOPE] });
    assert.equal(refused.code, 'consent_required', JSON.stringify(refused));
    assert.equal(refused.status, 400);
    assert.match(refused.message, /AADSTS65001/);
    // The other resources and the session are untouched.
    assert.equal((await token({ scopes: [GRAPH_SCOPE] })).t, graph);
    assert.equal((await token()).t, api);
    assert.equal((await page.evaluate(() => window.demo.auth.account()))?.username, AGENT);
    assert.equal((await apiCall(page, `${stack.urls.edge}/api/tickets`)).status, 200);
    await done(page);
  });
});

describe('claims challenges', () => {
  test('the API asks for an authentication context → step-up sign-in → the retried call succeeds', async () => {
    const page = await signedIn();
    const tickets = `${stack.urls.edge}/api/tickets`;
    stack.origin.settings.requireAcrs = 'c1';
    try {
      const challenged = await apiCall(page, tickets);
      assert.equal(challenged.code, 'claims_challenge', JSON.stringify(challenged));
      assert.equal(challenged.status, 401);
      assert.deepEqual(JSON.parse(challenged.claims), { access_token: { acrs: { essential: true, value: 'c1' } } });
      // The session is kept: the app decides when to step up.
      assert.equal((await page.evaluate(() => window.demo.auth.account()))?.username, AGENT);

      const authorize = page.waitForRequest((r) => r.url().includes('/oauth2/v2.0/authorize'));
      await page.evaluate((claims) => window.demo.auth.login({ claims, returnTo: '/demo/' }), challenged.claims);
      const sent = JSON.parse(new URL((await authorize).url()).searchParams.get('claims'));
      assert.deepEqual(sent.access_token.acrs, { essential: true, value: 'c1' });
      assert.deepEqual(sent.access_token.xms_cc, { values: ['CP1'] }, 'clientCapabilities: ["CP1"] rides along');
      await page.waitForSelector('#username', h.WAIT);
      await page.fill('#username', AGENT);
      await page.fill('#password', h.DEMO_PASSWORD);
      await page.click('#sign-in');
      await page.waitForSelector('body[data-ready="signed-in"]', h.WAIT);
      assert.deepEqual(claimsOf(await page.evaluate(() => window.demo.auth.accessToken())).acrs, ['c1']);
      const mark = stack.origin.requests.length;
      const retried = await apiCall(page, tickets);
      assert.equal(retried.status, 200, JSON.stringify(retried));
      assert.deepEqual(claimsOf(bearer(withToken(mark)[0])).acrs, ['c1']);
    } finally {
      stack.origin.settings.requireAcrs = undefined;
    }
    await done(page);
  });
});

describe('the OBO service rotates its signing key (last: the edge then pauses key refetches)', () => {
  const rotate = (publish = true) => fetch(`${stack.urls.obo}/test/rotate-key${publish ? '' : '?publish=false'}`, { method: 'POST' });

  test('a 401 invalid_token renews once and the retried call succeeds; a second 401 is an error', async () => {
    const page = await signedIn();
    const tickets = `${stack.urls.edge}/api/tickets`;
    // The page holds a token of the next key that the edge has not seen yet...
    await rotate();
    await page.evaluate(() => window.demo.auth.exchangeObo());
    const held = await page.evaluate(() => window.demo.auth.oboResult().accessToken);
    // ...and the key rotates again: a token of the newest key makes the edge fetch the key
    // set, in which the page's token's key is gone.
    await rotate();
    const entra = await page.evaluate(() => window.demo.auth.accessToken());
    const fresh = await (await fetch(`${stack.urls.obo}/obo/exchange`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ azure_token: entra, tenant_id: claimsOf(entra).tid }),
    })).json();
    assert.equal((await fetch(tickets, { headers: { authorization: `Bearer ${fresh.access_token}` } })).status, 200);

    const exchanges = stack.obo.counts.exchanges;
    const mark = stack.origin.requests.length;
    const answer = await apiCall(page, tickets);
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.equal(stack.obo.counts.exchanges - exchanges, 1, 'renewed once');
    assert.notEqual(await page.evaluate(() => window.demo.auth.oboResult().accessToken), held);
    assert.equal(withToken(mark).length, 1, 'the refused request never reached origin; the retry did');

    // Now the service signs with a key it does not publish: every token it issues is
    // refused. One renewal, one retry, then an error (not a loop).
    await rotate(false);
    await page.evaluate(() => window.demo.auth.exchangeObo());
    const exchanged = stack.obo.counts.exchanges;
    const refused = await apiCall(page, tickets);
    assert.equal(refused.code, 'api_unauthorized', JSON.stringify(refused));
    assert.equal(refused.status, 401);
    assert.equal(stack.obo.counts.exchanges - exchanged, 1, 'one renewal, not retried forever');
    await done(page);
  });
});
