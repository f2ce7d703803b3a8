// Key fetching under workerd: faults deny in bounded time and forward nothing; rotation is
// picked up; a flood of unknown kids costs at most one refetch; one fetch in flight per
// URL; a cold isolate takes keys from the Cache API; the verified-token cache.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startStack, mintAlb, mintCognito, cognitoClaims, cognitoSigner, readDeny, now, withStack } from './helpers.mjs';

const alb = (stack, signer, claims = {}, header = {}) =>
  mintAlb(signer, { claims: { roles: ['viewer'], ...claims }, header }).then((t) => ({ headers: { 'x-amzn-oidc-data': t } }));
const bearer = async (stack, signer, claims = {}, header = {}) =>
  ({ headers: { authorization: `Bearer ${await mintCognito(signer, cognitoClaims(stack.issuer, 'access', claims), header)}` } });

/** Polls `condition` until it holds; fails after `ms` (a bound, not a timing assertion). */
async function waitFor(condition, what, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const clockReaches = (t) => waitFor(() => now() >= t, `the clock to reach ${t}`);
const statusOf = (response) => response.text().then(() => response.status);


describe('key server faults: denied, nothing forwarded, honest status', () => {
  for (const [mode, status, code] of [['500', 503, 'key_fetch_failed'], ['hang', 503, 'key_fetch_failed'], ['garbage', 503, 'malformed_key'], ['slow-body', 503, 'key_fetch_failed']]) {
    test(`key server ${mode}`, { timeout: 20_000 }, () => withStack({}, async (stack) => {
      const albSigner = await stack.addAlbSigner();
      const cogSigner = await stack.addCognitoSigner();
      stack.modes.alb = mode;
      stack.modes.cognito = mode;
      for (const init of [await alb(stack, albSigner), await bearer(stack, cogSigner)]) {
        const { status: got, body, headers } = await readDeny(await stack.request('/itsm/x', init));
        assert.equal(got, status, JSON.stringify(body));
        assert.equal(body.error, code);
        assert.ok(headers.get('retry-after'), 'a 503 says when to retry');
      }
      assert.equal(stack.origin.requests.length, 0);
    }));
  }
});

describe('rotation and floods', () => {
  test('a new Cognito kid in the JWKS is picked up', () => withStack({}, async (stack) => {
    const first = await stack.addCognitoSigner();
    assert.equal((await stack.request('/itsm/x', await bearer(stack, first))).status, 200);
    const second = await stack.addCognitoSigner();
    assert.equal((await stack.request('/itsm/x', await bearer(stack, second))).status, 200);
    assert.equal(stack.cognitoServer.requests.length, 2);
  }));

  test('a new ALB kid is picked up', () => withStack({}, async (stack) => {
    const first = await stack.addAlbSigner();
    assert.equal((await stack.request('/itsm/x', await alb(stack, first))).status, 200);
    const second = await stack.addAlbSigner();
    assert.equal((await stack.request('/itsm/x', await alb(stack, second))).status, 200);
    assert.deepEqual(stack.albServer.requests.map((r) => r.url), [`/${first.kid}`, `/${second.kid}`]);
  }));

  test('a flood of unknown Cognito kids causes at most one refetch', () => withStack({}, async (stack) => {
    const signer = await stack.addCognitoSigner();
    assert.equal((await stack.request('/itsm/x', await bearer(stack, signer))).status, 200);
    const before = stack.cognitoServer.requests.length;
    const flood = await Promise.all(Array.from({ length: 25 }, () => bearer(stack, signer, {}, { kid: randomUUID() })));
    const answers = await Promise.all(flood.map((init) => stack.request('/itsm/x', init).then(readDeny)));
    for (const a of answers) assert.equal(a.body.error, 'unknown_kid');
    assert.ok(stack.cognitoServer.requests.length - before <= 1, `refetches: ${stack.cognitoServer.requests.length - before}`);
    assert.equal(stack.origin.requests.length, 1);
  }));

  test('a flood of unknown ALB kids causes at most one key-server request', () => withStack({}, async (stack) => {
    const signer = await stack.addAlbSigner();
    const flood = await Promise.all(Array.from({ length: 25 }, () => alb(stack, signer, {}, { kid: randomUUID() })));
    const answers = await Promise.all(flood.map((init) => stack.request('/itsm/x', init).then(readDeny)));
    for (const a of answers) assert.equal(a.body.error, 'unknown_kid');
    assert.ok(stack.albServer.requests.length <= 1, `requests: ${stack.albServer.requests.length}`);
    assert.equal(stack.origin.requests.length, 0);
  }));

  // Waits out the 30 s unknown-kid cooldown: the one slow test here, kept because it is the
  // adapter's side of the core's rule (tests/key_cache.rs) under a real key server.
  test('during a flood of made-up ALB kids, a rotated kid gets the next fetch', { timeout: 60_000 }, () => withStack({}, async (stack) => {
    const first = await stack.addAlbSigner();
    assert.equal((await stack.request('/itsm/x', await alb(stack, first))).status, 200);
    const ghost = () => alb(stack, first, {}, { kid: randomUUID() });
    assert.equal((await readDeny(await stack.request('/itsm/x', await ghost()))).body.error, 'unknown_kid');
    const pausedAt = now();
    const rotated = await stack.addAlbSigner();
    for (let i = 0; i < 30; i++) {
      const init = i % 5 === 0 ? await alb(stack, rotated) : await ghost();
      assert.equal((await readDeny(await stack.request('/itsm/x', init))).body.error, 'unknown_kid');
    }
    assert.equal(stack.albServer.requests.length, 2, 'nothing fetched while the cooldown runs');
    await waitFor(() => now() >= pausedAt + 31, 'the cooldown to pass', 45_000);
    // The first request after the cooldown carries another made-up kid: it is refused, and
    // the fetch goes to the kid asked for repeatedly.
    assert.equal((await readDeny(await stack.request('/itsm/x', await ghost()))).body.error, 'unknown_kid');
    assert.equal(stack.albServer.requests.at(-1).url, `/${rotated.kid}`);
    assert.equal((await stack.request('/itsm/x', await alb(stack, rotated))).status, 200);
    assert.equal(stack.albServer.requests.length, 3);
    assert.equal(stack.origin.requests.length, 2);
  }));

  test('concurrent cold requests share one fetch per URL', () => withStack({}, async (stack) => {
    const signer = await stack.addCognitoSigner();
    const inits = await Promise.all(Array.from({ length: 12 }, (_, i) => bearer(stack, signer, { sub: `user-${i}` })));
    const statuses = await Promise.all(inits.map((init) => stack.request('/itsm/x', init).then((r) => r.text().then(() => r.status))));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(stack.cognitoServer.requests.length, 1);
  }));
});

describe('across isolates', () => {
  test('a cold isolate takes keys from the Cache API instead of refetching', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edge-cache-'));
    try {
      await withStack({ miniflare: { cachePersist: dir } }, async (stack) => {
        const albSigner = await stack.addAlbSigner();
        const cogSigner = await stack.addCognitoSigner();
        assert.equal((await stack.request('/itsm/x', await alb(stack, albSigner))).status, 200);
        assert.equal((await stack.request('/itsm/x', await bearer(stack, cogSigner))).status, 200);
        const fetched = stack.albServer.requests.length + stack.cognitoServer.requests.length;
        assert.equal(fetched, 2);
        // A fresh workerd (so a fresh isolate) on the same cache storage.
        await stack.mf.setOptions(stack.options);
        assert.equal((await stack.request('/itsm/x', await alb(stack, albSigner, { sub: 'cold' }))).status, 200);
        assert.equal((await stack.request('/itsm/x', await bearer(stack, cogSigner, { sub: 'cold' }))).status, 200);
        assert.equal(stack.albServer.requests.length + stack.cognitoServer.requests.length, fetched, 'no refetch');
        const stats = await stack.stats();
        assert.equal(stats.key_shared_cache_hits, 2);
        assert.equal(stats.key_network_fetches, 0);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('verified-token cache', () => {
  test('a repeated token is verified once', () => withStack({}, async (stack) => {
    const signer = await stack.addAlbSigner();
    const init = await alb(stack, signer);
    for (let i = 0; i < 5; i++) assert.equal((await stack.request('/itsm/x', init)).status, 200);
    const stats = await stack.stats();
    assert.equal(stats.verifications, 1);
    assert.equal(stats.token_cache_hits, 4);
    // The policy is still decided per request: the cached viewer cannot POST.
    const post = await stack.request('/itsm/x', { ...init, method: 'POST', body: 'x' });
    assert.equal(post.status, 403);
    assert.equal(stack.origin.requests.length, 5);
  }));

  test('a cached token is refused once its exp passes', { timeout: 20_000 }, () => withStack({ bindings: { CLOCK_SKEW_SECONDS: '0' } }, async (stack) => {
    const signer = await stack.addAlbSigner();
    const exp = now() + 2;
    const init = await alb(stack, signer, { exp }, { exp });
    assert.equal((await stack.request('/itsm/x', init)).status, 200);
    assert.equal((await stack.request('/itsm/x', init)).status, 200);
    while (now() <= exp) await new Promise((r) => setTimeout(r, 200));
    const { status, body } = await readDeny(await stack.request('/itsm/x', init));
    assert.equal(status, 401);
    assert.equal(body.error, 'token_expired');
    assert.equal(stack.origin.requests.length, 2);
  }));
});

describe('stale-while-revalidate (KEY_TTL_SECONDS, KEY_STALE_SECONDS)', () => {
  // Keys are fresh for TTL s; a copy up to STALE s past that still serves while one
  // background fetch revalidates it. A fetch at second t0 lands at t0 or t0 + 1, so the
  // waits below start from t0 + 1: past the TTL, and inside the window, whichever it was.
  const TTL = 3;
  const STALE = 3;
  const bindings = { KEY_TTL_SECONDS: String(TTL), KEY_STALE_SECONDS: String(STALE) };

  test('after the TTL the stale key answers while one background refetch picks up a rotation', { timeout: 40_000 }, () => withStack({ bindings }, async (stack) => {
    const first = await stack.addCognitoSigner();
    const t0 = now();
    assert.equal(await statusOf(await stack.request('/itsm/x', await bearer(stack, first, { sub: 'before' }))), 200);
    assert.equal(stack.cognitoServer.requests.length, 1);
    // The pool rotates: a new key is published beside the old one.
    const second = await cognitoSigner();
    stack.jwks.keys.push(second.jwk);
    const stale = await Promise.all(['a', 'b', 'c', 'd'].map((sub) => bearer(stack, first, { sub })));
    const rotated = await bearer(stack, second, { sub: 'after' });

    await clockReaches(t0 + 1 + TTL);
    const statuses = await Promise.all(stale.map((init) => stack.request('/itsm/x', init).then(statusOf)));
    assert.deepEqual(statuses, [200, 200, 200, 200], 'answered from the stale key');
    await waitFor(() => stack.cognitoServer.requests.length >= 2, 'the background refetch');
    let stats = await stack.stats();
    assert.equal(stats.key_stale_served, 1);
    assert.equal(stats.key_network_fetches, 2, 'exactly one background refetch');

    // The new kid is known from that refetch: no further fetch.
    assert.equal(await statusOf(await stack.request('/itsm/x', rotated)), 200);
    stats = await stack.stats();
    assert.equal(stats.key_network_fetches, 2);
    assert.equal(stack.cognitoServer.requests.length, 2);
    assert.equal(stack.origin.requests.length, 6);
  }));

  test('a key server failing during revalidation does not extend trust past the stale window', { timeout: 40_000 }, () => withStack({ bindings }, async (stack) => {
    const signer = await stack.addAlbSigner();
    const t0 = now();
    assert.equal(await statusOf(await stack.request('/itsm/x', await alb(stack, signer, { sub: 'fresh' }))), 200);
    assert.equal(stack.albServer.requests.length, 1);
    const inWindow = await alb(stack, signer, { sub: 'stale' });
    const afterWindow = await alb(stack, signer, { sub: 'late' });
    stack.modes.alb = '500';

    await clockReaches(t0 + 1 + TTL);
    assert.equal(await statusOf(await stack.request('/itsm/x', inWindow)), 200, 'stale key inside the window');
    await waitFor(() => stack.albServer.requests.length >= 2, 'the background refetch');
    assert.equal((await stack.stats()).key_stale_served, 1);

    // The window is measured from the fetch, which landed at t0 + 1 at the latest.
    await clockReaches(t0 + 1 + TTL + STALE);
    const { status, body } = await readDeny(await stack.request('/itsm/x', afterWindow));
    assert.equal(status, 503);
    assert.equal(body.error, 'key_fetch_failed');
    assert.equal(stack.origin.requests.length, 2, 'nothing forwarded after the window');
  }));

  test('KEY_STALE_SECONDS = 0: no stale key at all, an expired key is fetched before answering', { timeout: 40_000 }, () => withStack({ bindings: { KEY_TTL_SECONDS: '2', KEY_STALE_SECONDS: '0' } }, async (stack) => {
    const signer = await stack.addAlbSigner();
    const t0 = now();
    assert.equal(await statusOf(await stack.request('/itsm/x', await alb(stack, signer, { sub: 'fresh' }))), 200);
    const later = await alb(stack, signer, { sub: 'later' });
    stack.modes.alb = '500';
    await clockReaches(t0 + 1 + 2);
    const { status, body } = await readDeny(await stack.request('/itsm/x', later));
    assert.equal(status, 503);
    assert.equal(body.error, 'key_fetch_failed');
    assert.equal((await stack.stats()).key_stale_served, 0);
    assert.equal(stack.origin.requests.length, 1);
  }));
});
