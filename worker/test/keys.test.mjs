// Key fetching under workerd: faults deny in bounded time and forward nothing; rotation is
// picked up; a flood of unknown kids costs at most one refetch; one fetch in flight per
// URL; a cold isolate takes keys from the Cache API; the verified-token cache.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startStack, mintAlb, mintCognito, cognitoClaims, readDeny, now } from './helpers.mjs';

const alb = (stack, signer, claims = {}, header = {}) =>
  mintAlb(signer, { claims: { roles: ['viewer'], ...claims }, header }).then((t) => ({ headers: { 'x-amzn-oidc-data': t } }));
const bearer = async (stack, signer, claims = {}, header = {}) =>
  ({ headers: { authorization: `Bearer ${await mintCognito(signer, cognitoClaims(stack.issuer, 'access', claims), header)}` } });

async function withStack(options, body) {
  const stack = await startStack(options);
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}

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
