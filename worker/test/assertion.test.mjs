// The identity assertion for origin (issue 12 §1) under workerd: every verified forward
// carries an ES256 JWS that origin verifies with the keys the gate publishes; public
// routes carry none; a client's own is never forwarded; bound assertions name their
// request; the shared-secret option; and real origins (PyJWT, jose, the CLI) that refuse
// anything but the gate's assertion.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  SignJWT, calculateJwkThumbprint, createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, exportPKCS8,
  generateKeyPair, jwtVerify,
} from 'jose';
import { startStack, withStack, mintAlb, readDeny, now, WORKER_DIR } from './helpers.mjs';

const ISSUER = 'https://gate.test';
const AUDIENCE = 'https://origin.test';
const JWKS_PATH = '/.well-known/edge-auth/jwks.json';

/** A P-256 key pair: the private JWK (the setting), the public JWK, the jose key. */
async function assertionKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, jwk, publicJwk, kid: await calculateJwkThumbprint(publicJwk), pkcs8: await exportPKCS8(privateKey) };
}

const settings = (key, extra = {}) => ({
  ASSERTION_KEY: JSON.stringify(key.jwk), ASSERTION_ISSUER: ISSUER, ASSERTION_AUDIENCE: AUDIENCE, ...extra,
});

const viewer = (signer, claims = {}) => mintAlb(signer, { claims: { roles: ['viewer'], ...claims } });
const withAlb = (token, extra = {}) => ({ headers: { 'x-amzn-oidc-data': token, ...extra } });

/** Forwards through the gate and answers what origin received. */
async function forwarded(stack, pathname, init) {
  const before = stack.origin.requests.length;
  const r = await stack.request(pathname, init);
  assert.equal(r.status, 200, await r.text());
  assert.equal(stack.origin.requests.length, before + 1);
  return stack.origin.requests.at(-1);
}

async function publishedKeys(stack) {
  const r = await stack.request(JWKS_PATH);
  assert.equal(r.status, 200);
  return r.json();
}

describe('assertion, bound to the token (default)', () => {
  let stack, alb, key, previous;
  before(async () => {
    [key, previous] = [await assertionKey(), await assertionKey()];
    stack = await startStack({ bindings: settings(key, { ASSERTION_KEY_PREVIOUS: JSON.stringify(previous.jwk) }) });
    alb = await stack.addAlbSigner();
  });
  after(() => stack?.close());

  test('a verified request carries an ES256 assertion that verifies with the published keys', async () => {
    const seen = await forwarded(stack, '/itsm/tickets', withAlb(await viewer(alb)));
    const jws = seen.headers['x-auth-assertion'];
    assert.deepEqual(decodeProtectedHeader(jws), { alg: 'ES256', kid: key.kid, typ: 'JWT' });
    const keys = createLocalJWKSet(await publishedKeys(stack));
    const { payload } = await jwtVerify(jws, keys, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'] });
    assert.equal(payload.sub, 'alb-user-1');
    assert.deepEqual(payload.roles, ['viewer']);
    assert.equal(payload.source, 'alb');
    assert.ok(Math.abs(payload.iat - now()) <= 2);
    assert.equal(payload.exp, payload.iat + 60, 'ASSERTION_TTL_SECONDS defaults to 60');
    assert.equal(payload.htm, undefined);
    assert.equal(payload.jti, undefined);
    // Signed by this gate's key, not merely shaped like it: the previous key does not verify.
    const onlyPrevious = createLocalJWKSet({ keys: [{ ...previous.publicJwk, kid: key.kid }] });
    await assert.rejects(jwtVerify(jws, onlyPrevious), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  test("exp is the token's when the token ends first", async () => {
    const exp = now() + 30;
    const token = await mintAlb(alb, { header: { exp }, claims: { roles: ['viewer'], exp, sub: 'short-lived' } });
    const seen = await forwarded(stack, '/itsm/tickets', withAlb(token));
    assert.equal(decodeJwt(seen.headers['x-auth-assertion']).exp, exp);
  });

  test("one signature per token: the token's later requests reuse its assertion", async () => {
    const token = await viewer(alb, { sub: 'reuse-user' });
    const signedBefore = (await stack.stats()).assertions_signed;
    const first = (await forwarded(stack, '/itsm/a', withAlb(token))).headers['x-auth-assertion'];
    const second = (await forwarded(stack, '/itsm/b?x=1', withAlb(token))).headers['x-auth-assertion'];
    assert.equal(second, first);
    assert.equal((await stack.stats()).assertions_signed, signedBefore + 1);
    // Another identity is another assertion.
    const other = (await forwarded(stack, '/itsm/a', withAlb(await viewer(alb, { sub: 'reuse-user-2' })))).headers['x-auth-assertion'];
    assert.notEqual(other, first);
    assert.equal(decodeJwt(other).sub, 'reuse-user-2');
    assert.equal((await stack.stats()).assertions_signed, signedBefore + 2);
  });

  test("public routes carry none, and a client's own never reaches origin", async () => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.';
    for (const name of ['x-auth-assertion', 'X-Auth-Assertion', 'x_auth_assertion']) {
      const pub = await forwarded(stack, '/health', { headers: { [name]: forged } });
      assert.equal(pub.headers['x-auth-assertion'], undefined, name);
      assert.equal(pub.headers.x_auth_assertion, undefined, name);
      const prot = await forwarded(stack, '/itsm/x', withAlb(await viewer(alb), { [name]: forged }));
      assert.notEqual(prot.headers['x-auth-assertion'], forged, name);
      assert.equal(prot.headers.x_auth_assertion, undefined, name);
      assert.equal(decodeProtectedHeader(prot.headers['x-auth-assertion']).kid, key.kid);
    }
  });

  test('the JWKS: public, current and previous keys, never a private part', async () => {
    const r = await stack.request(JWKS_PATH);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/jwk-set+json');
    assert.equal(r.headers.get('cache-control'), 'public, max-age=300');
    const text = await r.text();
    assert.doesNotMatch(text, /"d"/);
    assert.ok(!text.includes(key.jwk.d) && !text.includes(previous.jwk.d));
    const { keys } = JSON.parse(text);
    assert.deepEqual(keys.map((k) => k.kid), [key.kid, previous.kid]);
    for (const [k, want] of [[keys[0], key], [keys[1], previous]]) {
      assert.deepEqual(k, { ...want.publicJwk, kid: want.kid, alg: 'ES256', use: 'sig' });
    }
    const head = await stack.request(JWKS_PATH, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    // Served by the gate: origin never saw a request for it.
    assert.ok(!stack.origin.requests.some((q) => q.url.startsWith('/.well-known')));
  });
});

describe('assertion keys: PKCS#8 PEM, a custom JWKS path', () => {
  test('a PKCS#8 PEM signs the same way; the JWKS moves with ASSERTION_JWKS_PATH', async () => {
    const key = await assertionKey();
    await withStack({ bindings: settings(key, { ASSERTION_KEY: key.pkcs8, ASSERTION_JWKS_PATH: '/keys/gate.json' }) }, async (stack) => {
      const alb = await stack.addAlbSigner();
      const seen = await forwarded(stack, '/itsm/x', withAlb(await viewer(alb)));
      const r = await stack.request('/keys/gate.json');
      assert.equal(r.status, 200);
      await jwtVerify(seen.headers['x-auth-assertion'], createLocalJWKSet(await r.json()), { issuer: ISSUER, audience: AUDIENCE });
      // The default path is no longer the gate's: it goes through the policy (no rule: 403).
      assert.equal((await stack.request(JWKS_PATH)).status, 403);
    });
  });

  test("a JWK whose x/y are another key's is refused by WebCrypto: 500, nothing forwarded", async () => {
    const [key, other] = [await assertionKey(), await assertionKey()];
    const mixed = { ...key.jwk, x: other.jwk.x, y: other.jwk.y };
    await withStack({ bindings: settings(key, { ASSERTION_KEY: JSON.stringify(mixed) }) }, async (stack) => {
      const alb = await stack.addAlbSigner();
      const { status, body } = await readDeny(await stack.request('/itsm/x', withAlb(await viewer(alb))));
      assert.equal(status, 500);
      assert.equal(body.error, 'invalid_config');
      assert.equal(stack.origin.requests.length, 0);
    });
  });
});

describe('ASSERTION_BIND=request', () => {
  let stack, alb, key;
  before(async () => {
    key = await assertionKey();
    stack = await startStack({ bindings: settings(key, { ASSERTION_BIND: 'request', ASSERTION_TTL_SECONDS: '30' }) });
    alb = await stack.addAlbSigner();
  });
  after(() => stack?.close());

  test('each request its own assertion, naming its method and path (no query)', async () => {
    const token = await mintAlb(alb, { claims: { roles: ['itsm_agent'] } });
    const get = decodeJwt((await forwarded(stack, '/itsm/tickets?page=2', withAlb(token))).headers['x-auth-assertion']);
    const post = decodeJwt((await forwarded(stack, '/itsm/tickets', { method: 'POST', body: '{}', ...withAlb(token) })).headers['x-auth-assertion']);
    assert.equal(get.htm, 'GET');
    assert.equal(get.htu, '/itsm/tickets');
    assert.equal(post.htm, 'POST');
    assert.equal(post.htu, '/itsm/tickets');
    assert.match(get.jti, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(get.jti, post.jti);
    assert.equal(get.exp - get.iat, 30);
  });
});

describe('configuration: 500 invalid_config naming the setting, never the key', () => {
  const secretD = 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI';
  const good = { kty: 'EC', crv: 'P-256', d: secretD, x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
  const base = { ASSERTION_KEY: JSON.stringify(good), ASSERTION_ISSUER: ISSUER, ASSERTION_AUDIENCE: AUDIENCE };
  const cases = [
    ['ASSERTION_KEY', { ...base, ASSERTION_KEY: JSON.stringify({ ...good, crv: 'P-384' }) }],
    ['ASSERTION_KEY', { ...base, ASSERTION_KEY: JSON.stringify({ ...good, kty: 'RSA' }) }],
    ['ASSERTION_KEY', { ...base, ASSERTION_KEY: JSON.stringify({ ...good, d: undefined }) }],
    ['ASSERTION_KEY', { ...base, ASSERTION_KEY: `${JSON.stringify(good).slice(0, -3)}` }],
    ['ASSERTION_KEY', { ...base, ASSERTION_KEY: `-----BEGIN PRIVATE KEY-----\n${secretD}\n-----END PRIVATE KEY-----` }],
    ['ASSERTION_KEY_PREVIOUS', { ...base, ASSERTION_KEY_PREVIOUS: secretD }],
    ['ASSERTION_ISSUER', { ...base, ASSERTION_ISSUER: undefined }],
    ['ASSERTION_AUDIENCE', { ...base, ASSERTION_AUDIENCE: undefined }],
    ['ASSERTION_ISSUER', { ASSERTION_ISSUER: ISSUER }],
    ['ASSERTION_TTL_SECONDS', { ...base, ASSERTION_TTL_SECONDS: '0' }],
    ['ASSERTION_TTL_SECONDS', { ...base, ASSERTION_TTL_SECONDS: '3601' }],
    ['ASSERTION_BIND', { ...base, ASSERTION_BIND: 'route' }],
    ['ASSERTION_JWKS_PATH', { ...base, ASSERTION_JWKS_PATH: 'jwks.json' }],
    ['ORIGIN_AUTH_SECRET', { ORIGIN_AUTH_HEADER: 'x-origin-auth' }],
    ['ORIGIN_AUTH_HEADER', { ORIGIN_AUTH_SECRET: 'a-long-enough-secret-value' }],
    ['ORIGIN_AUTH_HEADER', { ORIGIN_AUTH_HEADER: 'x-auth-gate', ORIGIN_AUTH_SECRET: 'a-long-enough-secret-value' }],
    ['ORIGIN_AUTH_HEADER', { ORIGIN_AUTH_HEADER: 'authorization', ORIGIN_AUTH_SECRET: 'a-long-enough-secret-value' }],
    ['ORIGIN_AUTH_SECRET', { ORIGIN_AUTH_HEADER: 'x-origin-auth', ORIGIN_AUTH_SECRET: 'short' }],
  ];
  for (const [name, bindings] of cases) {
    test(`${name}: ${JSON.stringify(bindings).slice(0, 90)}`, () => withStack({ bindings }, async (stack) => {
      const { status, body } = await readDeny(await stack.request('/health'));
      assert.equal(status, 500);
      assert.equal(body.error, 'invalid_config');
      assert.ok(body.message.startsWith(name), body.message);
      assert.ok(!body.message.includes(secretD.slice(0, 12)), body.message);
      assert.equal(stack.origin.requests.length, 0);
    }));
  }

  test('the TTL bounds themselves are accepted', async () => {
    for (const ttl of ['1', '3600']) {
      await withStack({ bindings: { ...base, ASSERTION_TTL_SECONDS: ttl } }, async (stack) => {
        assert.equal((await stack.request('/health')).status, 200, ttl);
      });
    }
  });
});

describe('ORIGIN_AUTH_HEADER + ORIGIN_AUTH_SECRET', () => {
  const secret = 'origin-secret-0123456789';
  let stack, alb;
  before(async () => {
    stack = await startStack({ bindings: { ORIGIN_AUTH_HEADER: 'X-Origin-Auth', ORIGIN_AUTH_SECRET: secret } });
    alb = await stack.addAlbSigner();
  });
  after(() => stack?.close());

  test('every forward carries the secret, public routes too', async () => {
    assert.equal((await forwarded(stack, '/health')).headers['x-origin-auth'], secret);
    assert.equal((await forwarded(stack, '/itsm/x', withAlb(await viewer(alb)))).headers['x-origin-auth'], secret);
  });

  test("a client's copy never reaches origin, in any spelling", async () => {
    for (const name of ['x-origin-auth', 'X-ORIGIN-AUTH', 'x_origin_auth', 'X_Origin-Auth']) {
      for (const [p, init] of [['/health', {}], ['/itsm/x', withAlb(await viewer(alb))]]) {
        const headers = { ...(init.headers ?? {}), [name]: 'guessed' };
        const seen = await forwarded(stack, p, { headers });
        assert.equal(seen.headers['x-origin-auth'], secret, `${name} on ${p}`);
        assert.equal(seen.headers.x_origin_auth, undefined, `${name} on ${p}`);
        assert.ok(!JSON.stringify(seen.headers).includes('guessed'), `${name} on ${p}`);
      }
    }
  });

  test('a deny carries nothing to origin and shows no secret', async () => {
    const { status, body, headers } = await readDeny(await stack.request('/itsm/x'));
    assert.equal(status, 401);
    assert.ok(!JSON.stringify(body).includes(secret));
    assert.ok(![...headers.values()].some((v) => v.includes(secret)));
  });
});

// ---------- real origins that verify the gate's assertion ----------

/** A free port on 127.0.0.1 (the gate's, known before the origins that fetch its JWKS start). */
async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts an origin process that prints its port first; resolves to { url, child }. */
async function startOrigin(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { url: `http://127.0.0.1:${line.trim()}`, child };
}

const ORIGINS = {
  'Python (PyJWT)': (args) => startOrigin(process.env.PYTHON_WITH_PYJWT ?? 'python3', [path.join(WORKER_DIR, 'test/origins/assertion_origin.py'), ...args]),
  'Node (jose)': (args) => startOrigin(process.execPath, [path.join(WORKER_DIR, 'test/origins/assertion_origin.mjs'), ...args]),
};

async function direct(origin, pathname, assertion, method = 'GET') {
  const headers = assertion === undefined ? {} : { 'x-auth-assertion': assertion };
  const r = await fetch(`${origin.url}${pathname}`, { method, headers });
  return { status: r.status, body: await r.json() };
}

for (const [language, start] of Object.entries(ORIGINS)) {
  describe(`an origin in ${language} accepts only the gate's assertions`, () => {
    for (const binding of ['token', 'request']) {
      test(`ASSERTION_BIND=${binding}`, async () => {
        const key = await assertionKey();
        const port = await freePort();
        const gate = `http://127.0.0.1:${port}`;
        const origin = await start([`${gate}${JWKS_PATH}`, AUDIENCE, ISSUER, binding]);
        let stack;
        try {
          stack = await startStack({
            bindings: { ...settings(key, { ASSERTION_BIND: binding }), ORIGIN_URL: origin.url },
            miniflare: { port },
          });
          const alb = await stack.addAlbSigner();
          const token = await viewer(alb);
          // Through the gate: accepted, and origin read the verified claims.
          const r = await stack.request('/itsm/tickets', withAlb(token));
          const body = await r.json();
          assert.equal(r.status, 200, JSON.stringify(body));
          assert.equal(body.claims.sub, 'alb-user-1');
          // The assertion the gate made, as origin echoed it: replayed straight to origin below.
          const { assertion } = body;
          assert.equal((await direct(origin, '/itsm/tickets', assertion)).status, 200, 'a captured assertion on its own route');
          // Straight to origin without the gate: refused.
          assert.equal((await direct(origin, '/itsm/tickets')).status, 401, 'no assertion');
          assert.equal((await direct(origin, '/itsm/tickets', '')).status, 401, 'empty assertion');
          const claims = decodeJwt(assertion);
          const sign = (privateKey, payload, kid = key.kid) =>
            new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(privateKey);
          const stranger = await assertionKey();
          assert.equal((await direct(origin, '/itsm/tickets', await sign(stranger.privateKey, claims))).status, 401, 'forged: another key under the kid');
          assert.equal((await direct(origin, '/itsm/tickets', await sign(key.privateKey, { ...claims, exp: now() - 5, iat: now() - 65 }))).status, 401, 'expired');
          assert.equal((await direct(origin, '/itsm/tickets', await sign(key.privateKey, { ...claims, aud: 'https://other.test' }))).status, 401, 'wrong aud');
          assert.equal((await direct(origin, '/itsm/tickets', await sign(key.privateKey, { ...claims, iss: 'https://other-gate.test' }))).status, 401, 'wrong iss');
          const [h, p] = assertion.split('.');
          assert.equal((await direct(origin, '/itsm/tickets', `${h}.${p}.`)).status, 401, 'signature stripped');
          // The same genuine key signs these, so only the claims are refused above.
          assert.equal((await direct(origin, '/itsm/tickets', await sign(key.privateKey, claims))).status, 200, 'control: the genuine key');
          // Replayed on another route: refused only when bound.
          const replayed = (await direct(origin, '/admin/users', assertion)).status;
          const replayedPost = (await direct(origin, '/itsm/tickets', assertion, 'POST')).status;
          if (binding === 'request') {
            assert.equal(replayed, 401, 'bound: another path');
            assert.equal(replayedPost, 401, 'bound: another method');
          } else {
            assert.equal(replayed, 200, 'unbound assertions are per token, not per route');
          }
          // The CLI (origin-side check from the command line) agrees.
          cliAgrees(stack, assertion, key, binding);
        } finally {
          await stack?.close();
          origin.child.kill();
        }
      });
    }
  });
}

/** `entra-edge-auth verify-assertion`: 0 for the captured assertion, 1 (and the code) for
 *  another route when bound, another audience, with the JWKS from a file or the gate's URL. */
function cliAgrees(stack, assertion, key, binding) {
  const cli = process.env.ENTRA_EDGE_AUTH_CLI;
  if (!cli) return; // worker/test/run.sh builds it and sets this
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwks-'));
  const file = path.join(dir, 'jwks.json');
  fs.writeFileSync(file, JSON.stringify({ keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] }));
  const run = (jwks, ...extra) => {
    try {
      const stdout = execFileSync(cli, ['verify-assertion', assertion, '--jwks', jwks, '--audience', AUDIENCE, '--issuer', ISSUER, ...extra], { stdio: 'pipe' });
      return { status: 0, stdout: String(stdout) };
    } catch (e) {
      return { status: e.status, stdout: String(e.stdout) };
    }
  };
  try {
    const url = `${stack.base}${JWKS_PATH}`;
    assert.equal(run(file).status, 0);
    assert.equal(run(url).status, 0);
    const sameRoute = run(url, '--method', 'GET', '--path', '/itsm/tickets');
    assert.equal(sameRoute.status, binding === 'request' ? 0 : 1, sameRoute.stdout);
    const other = run(file, '--method', 'GET', '--path', '/admin/users');
    assert.equal(other.status, 1);
    assert.match(other.stdout, /binding_mismatch/);
    const wrongAudience = run(file, '--audience', 'https://other.test');
    assert.equal(wrongAudience.status, 1);
    assert.match(wrongAudience.stdout, /audience_mismatch/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
