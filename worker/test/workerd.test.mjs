// The self-hosted gate: the real `workerd serve` process with workerd/config.capnp (started
// by workerd/start.mjs), against a local ALB key server and a recording app on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ALB_ARN, ALB_CLIENT, ALB_ISSUER, GROUP_ROLES, POLICY, startServer, albSigner, mintAlb,
} from './helpers.mjs';
import { runStart, startWorkerdGate, WORKER_DIR } from './workerd-process.mjs';
import { generate } from '../workerd/generate.mjs';

let keys, app, gate, signer;
const albKeys = new Map();
let keyMode = 'ok';

function settings(overrides = {}) {
  const env = {
    ORIGIN_URL: app.url,
    POLICY: JSON.stringify(POLICY),
    GROUP_ROLES: JSON.stringify(GROUP_ROLES),
    ALB_ARNS: ALB_ARN,
    ALB_CLIENT_IDS: ALB_CLIENT,
    ALB_ISSUER,
    ALB_KEYS_URL: keys.url,
    KEY_FETCH_TIMEOUT_MS: '1000',
    ...overrides,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

const get = (pathname, headers = {}) => fetch(`${gate.url}${pathname}`, { headers, redirect: 'manual' });

before(async () => {
  keys = await startServer((req, res) => {
    if (keyMode === 'down') { res.writeHead(500); res.end('down'); return; }
    const pem = albKeys.get(req.url.slice(1));
    if (!pem) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(pem);
  });
  app = await startServer((req, res, record) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, url: record.url }));
  });
  signer = await albSigner();
  albKeys.set(signer.kid, signer.pem);
  gate = await startWorkerdGate(settings());
});
after(async () => {
  await gate?.stop();
  await keys?.stop();
  await app?.stop();
});

test('config.capnp is what generate.mjs writes from wrangler.toml and pkg/', () => {
  const file = fs.readFileSync(path.join(WORKER_DIR, 'workerd/config.capnp'), 'utf8');
  assert.equal(file, generate());
  assert.match(file, /wasm = embed "\.\.\/pkg\/entra_edge_auth_bg\.wasm"/);
  // Every setting the README documents is bound (the names come from wrangler.toml).
  for (const name of ['ORIGIN_URL', 'POLICY', 'ALB_ARNS', 'ALB_KEYS_URL', 'COGNITO_JWKS_URL', 'KEY_STALE_SECONDS', 'LOGOUT_PATH']) {
    assert.match(file, new RegExp(`fromEnvironment = "${name}"`), name);
  }
});

test('a missing required setting stops the start, naming it', async () => {
  const s = settings({ ORIGIN_URL: undefined });
  const r = await runStart(s, ['--listen', '127.0.0.1:0']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /not starting: invalid_config: ORIGIN_URL is not set/);
  assert.equal(r.stdout, '');
});

test('a malformed setting stops the start, naming it', async () => {
  const r = await runStart(settings({ POLICY: '{"rules": [' }), ['--listen', '127.0.0.1:0']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /not starting: invalid_config: POLICY is invalid/);
  const half = await runStart(settings({ ALB_ARNS: undefined }), ['--listen', '127.0.0.1:0']);
  assert.equal(half.code, 2, half.stderr);
  assert.match(half.stderr, /ALB_ARNS/);
});

test('an assertion key that does not read, or that WebCrypto refuses, stops the start', async () => {
  const { generateKeyPair, exportJWK } = await import('jose');
  const jwk = async () => exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
  const [key, other] = [await jwk(), await jwk()];
  const assertion = (k) => ({ ASSERTION_KEY: JSON.stringify(k), ASSERTION_ISSUER: 'https://gate.test', ASSERTION_AUDIENCE: 'https://origin.test' });
  const p384 = await runStart(settings(assertion({ ...key, crv: 'P-384' })), ['--listen', '127.0.0.1:0']);
  assert.equal(p384.code, 2, p384.stderr);
  assert.match(p384.stderr, /not starting: invalid_config: ASSERTION_KEY is not a P-256 key/);
  const mixed = await runStart(settings(assertion({ ...key, x: other.x, y: other.y })), ['--listen', '127.0.0.1:0']);
  assert.equal(mixed.code, 2, mixed.stderr);
  assert.match(mixed.stderr, /not starting: invalid_config: ASSERTION_KEY was refused by WebCrypto/);
  assert.ok(!mixed.stderr.includes(key.d) && !p384.stderr.includes(key.d));
  // The same key, whole, starts and signs.
  const gateWithKey = await startWorkerdGate(settings(assertion(key)));
  try {
    const jwks = await (await fetch(`${gateWithKey.url}/.well-known/edge-auth/jwks.json`)).json();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].d, undefined);
  } finally {
    await gateWithKey.stop();
  }
});

test('settings can come from a file; the environment wins over it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-env-'));
  const file = path.join(dir, 'gate.env');
  const all = settings();
  fs.writeFileSync(file, `# the gate's settings\n${Object.entries(all).map(([k, v]) => `${k}='${v}'`).join('\n')}\n`);
  try {
    // Everything from the file: starts.
    const fromFile = await startWorkerdGate({}, { args: ['--env-file', file] });
    const health = await fetch(`${fromFile.url}/health`);
    assert.equal(health.status, 200);
    await fromFile.stop();
    // The environment's (broken) value beats the file's.
    const r = await runStart({ POLICY: 'not json' }, ['--env-file', file, '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid_config: POLICY is invalid/);
    // A file that is not NAME=value lines is named.
    fs.writeFileSync(file, 'ORIGIN_URL\n');
    const bad = await runStart({}, ['--env-file', file, '--listen', '127.0.0.1:0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /settings file .*gate\.env: line 1 is not NAME=value/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('workerd: a verified ALB token with the role reaches the app with the verified identity', async () => {
  const token = await mintAlb(signer, { padded: true, claims: { sub: 'user-1', groups: ['SG-StackFlow-ReadOnly'] } });
  const r = await get('/itsm/tickets?page=2', { 'x-amzn-oidc-data': token });
  assert.equal(r.status, 200, await r.clone().text());
  const seen = app.requests.at(-1);
  assert.equal(seen.url, '/itsm/tickets?page=2');
  assert.equal(seen.headers['x-auth-sub'], 'user-1');
  assert.equal(seen.headers['x-auth-roles'], 'viewer');
  assert.equal(seen.headers['x-auth-source'], 'alb');
});

test('workerd: no credential on a protected route is 401, and nothing reaches the app', async () => {
  const before = app.requests.length;
  const r = await get('/itsm/tickets');
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'missing_credential');
  assert.equal(app.requests.length, before);
});

test('workerd: a forged token (signed by another key under the served kid) is 401', async () => {
  const other = await albSigner();
  const forged = await mintAlb({ ...other, kid: signer.kid }, { claims: { roles: ['super_admin'] } });
  const before = app.requests.length;
  const r = await get('/admin/users', { 'x-amzn-oidc-data': forged });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'bad_signature');
  assert.equal(app.requests.length, before);
});

test('workerd: a verified user without the route\'s role is 403', async () => {
  const token = await mintAlb(signer, { claims: { groups: ['SG-StackFlow-ReadOnly'] } });
  const r = await get('/admin/users', { 'x-amzn-oidc-data': token });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).error, 'role_denied');
});

test('workerd: the public health check needs no credential (the ALB target group\'s check)', async () => {
  const r = await get('/health');
  assert.equal(r.status, 200);
  const seen = app.requests.at(-1);
  assert.equal(seen.url, '/health');
  assert.equal(seen.headers['x-auth-sub'], undefined);
});

test('workerd: identity headers a client sends never reach the app', async () => {
  const token = await mintAlb(signer, { claims: { sub: 'user-2', groups: ['SG-StackFlow-ReadOnly'] } });
  const r = await get('/itsm/tickets', {
    'x-amzn-oidc-data': token,
    'x-auth-roles': 'super_admin',
    'X-Auth-Sub': 'someone-else',
    'x-auth-source': 'cognito',
    'x-auth-extra': '1',
  });
  assert.equal(r.status, 200);
  const seen = app.requests.at(-1);
  assert.equal(seen.headers['x-auth-roles'], 'viewer');
  assert.equal(seen.headers['x-auth-sub'], 'user-2');
  assert.equal(seen.headers['x-auth-source'], 'alb');
  assert.equal(seen.headers['x-auth-extra'], undefined);
  // On a public route too: no identity is vouched for, and none the client wrote passes.
  await get('/health', { 'x-auth-roles': 'super_admin', 'x-amzn-oidc-identity': 'admin' });
  const health = app.requests.at(-1);
  assert.equal(health.headers['x-auth-roles'], undefined);
  assert.equal(health.headers['x-amzn-oidc-identity'], undefined);
});

test('workerd: the key server down means 503, never a forward', async () => {
  const fresh = await albSigner(); // a kid this gate has not cached
  albKeys.set(fresh.kid, fresh.pem);
  keyMode = 'down';
  try {
    const before = app.requests.length;
    const r = await get('/itsm/tickets', { 'x-amzn-oidc-data': await mintAlb(fresh, { claims: { groups: ['SG-StackFlow-ReadOnly'] } }) });
    assert.equal(r.status, 503);
    assert.equal((await r.json()).error, 'key_fetch_failed');
    assert.ok(r.headers.get('retry-after'));
    assert.equal(app.requests.length, before);
  } finally {
    keyMode = 'ok';
  }
});

test('workerd: the key fetched once serves later requests (the isolate\'s cache; the Cache API is a no-op here)', async () => {
  // Every test above used `signer`'s kid with new tokens: one fetch in all.
  for (let i = 0; i < 5; i++) {
    const r = await get('/itsm/tickets', { 'x-amzn-oidc-data': await mintAlb(signer, { claims: { sub: `u${i}`, groups: ['SG-StackFlow-ReadOnly'] } }) });
    assert.equal(r.status, 200);
  }
  assert.equal(keys.requests.filter((r) => r.url === `/${signer.kid}`).length, 1);
});

test('workerd: a 403 for a browser navigation is a page a person understands; API clients keep the JSON', async () => {
  const token = await mintAlb(signer, { claims: { groups: ['SG-StackFlow-ReadOnly'] } });
  const chrome = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
  const page = await get('/admin/users', { 'x-amzn-oidc-data': token, accept: chrome });
  assert.equal(page.status, 403);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(page.headers.get('x-auth-error'), 'role_denied');
  const html = await page.text();
  assert.match(html, /You don't have access to this page/);
  assert.match(html, /<code id="deny-code">role_denied<\/code>/);
  for (const accept of ['application/json', '*/*', undefined]) {
    const api = await get('/admin/users', { 'x-amzn-oidc-data': token, ...(accept ? { accept } : {}) });
    assert.equal(api.status, 403);
    assert.equal((await api.json()).error, 'role_denied', `accept ${accept}`);
  }
  // A 401 stays JSON even for a browser.
  const missing = await get('/admin/users', { accept: chrome });
  assert.equal(missing.status, 401);
  assert.equal((await missing.json()).error, 'missing_credential');
});
