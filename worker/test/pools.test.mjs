// Machine clients and several user pools (issue 12 §3) under workerd: COGNITO_ISSUERS with
// two pools on two key servers, the pool picked by `iss` before any key fetch, client ids
// per pool, keys per pool; a client-credentials token authorised by scope alone; Cognito
// groups named after Entra groups mapped through GROUP_ROLES; ROLE_CLAIMS per source.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  startServer, startStack, withStack, mintCognito, cognitoSigner, readDeny, now, POLICY, GROUP_ROLES,
} from './helpers.mjs';
import { startWorkerdGate } from './workerd-process.mjs';

const CLIENT_A = 'pool-a-client';
const CLIENT_B = 'pool-b-client';
const MACHINE = 'pool-a-machine-client';

/** Scope rules before the seed's role rules: a scope-only API and one taking either. */
const SCOPED_POLICY = {
  rules: [
    { path: '/api/tickets', match: 'prefix', scopes: ['tickets/read', 'tickets/admin'] },
    { path: '/api/reports', match: 'prefix', roles: ['itsm_manager'], scopes: ['reports/read'] },
    ...POLICY.rules,
  ],
};

/** A key server for one pool: its JWKS at `/{name}/.well-known/jwks.json`, `fail` for 500s. */
async function poolServer(name) {
  const jwks = { keys: [] };
  const server = await startServer((req, res) => {
    if (server.fail) { res.writeHead(500); res.end('boom'); return; }
    if (req.url !== `/${name}/.well-known/jwks.json`) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  server.issuer = `${server.url}/${name}`;
  server.signer = await cognitoSigner();
  jwks.keys.push(server.signer.jwk);
  return server;
}

const poolsSetting = (a, b) => JSON.stringify([
  { issuer: a.issuer, client_ids: [CLIENT_A, MACHINE] },
  // The second pool names its key set explicitly (the default URL would be the same).
  { issuer: b.issuer, client_ids: [CLIENT_B], jwks_url: `${b.issuer}/.well-known/jwks.json` },
]);

/** A user's access token from `pool`, signed with `signer` (default: the pool's own key). */
function userToken(pool, client, claims = {}, signer = pool.signer) {
  return mintCognito(signer, {
    sub: `user-${randomUUID()}`, username: 'someone', iss: pool.issuer, token_use: 'access', client_id: client,
    'cognito:groups': ['viewer'], scope: 'aws.cognito.signin.user.admin', exp: now() + 600, iat: now(), ...claims,
  });
}

/** A client-credentials access token: no user (no username, no groups), `sub` = client id. */
function machineToken(pool, scope, claims = {}) {
  return mintCognito(pool.signer, {
    sub: MACHINE, iss: pool.issuer, token_use: 'access', client_id: MACHINE, scope,
    exp: now() + 600, iat: now(), jti: randomUUID(), ...claims,
  });
}

const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });
const fetches = (...servers) => servers.map((s) => s.requests.length);

describe('two user pools, machine clients, scopes', () => {
  let a, b, unlisted, stack;
  before(async () => {
    [a, b, unlisted] = await Promise.all([poolServer('pool-a'), poolServer('pool-b'), poolServer('pool-c')]);
    stack = await startStack({
      cognito: false,
      alb: false,
      bindings: {
        COGNITO_ISSUERS: poolsSetting(a, b),
        POLICY: JSON.stringify(SCOPED_POLICY),
        // ID tokens take their roles from custom:role only; access tokens keep the default.
        ROLE_CLAIMS: JSON.stringify({ cognito_id: ['custom:role'] }),
      },
    });
  });
  after(async () => {
    await stack?.close();
    await Promise.all([a, b, unlisted].map((s) => s?.stop()));
  });

  async function expectDenied(path, token, status, code) {
    const before = stack.origin.requests.length;
    const { status: got, body } = await readDeny(await stack.request(path, bearer(token)));
    assert.equal(got, status, JSON.stringify(body));
    assert.equal(body.error, code, JSON.stringify(body));
    assert.equal(stack.origin.requests.length, before, 'origin must receive nothing');
  }

  async function expectForwarded(path, token, init = {}) {
    const r = await stack.request(path, { ...bearer(token), ...init });
    assert.equal(r.status, 200, await r.text());
    return stack.origin.requests.at(-1).headers;
  }

  test('each pool\'s token is verified with that pool\'s keys', async () => {
    const seenB = await expectForwarded('/itsm/tickets', await userToken(b, CLIENT_B, { sub: 'user-of-b' }));
    assert.equal(seenB['x-auth-sub'], 'user-of-b');
    assert.equal(seenB['x-auth-source'], 'cognito');
    assert.deepEqual(fetches(a, b), [0, 1], 'only pool B\'s key server was asked');
    const seenA = await expectForwarded('/itsm/tickets', await userToken(a, CLIENT_A, { sub: 'user-of-a' }));
    assert.equal(seenA['x-auth-sub'], 'user-of-a');
    assert.deepEqual(fetches(a, b), [1, 1]);
  });

  test('a token from an unlisted pool is refused before any key fetch', async () => {
    const before = fetches(a, b, unlisted);
    await expectDenied('/itsm/tickets', await userToken(unlisted, CLIENT_A), 401, 'issuer_mismatch');
    // Its kid is unknown everywhere: still no fetch, since no pool was chosen.
    await expectDenied('/itsm/tickets', await userToken(unlisted, CLIENT_B, {}, await cognitoSigner()), 401, 'issuer_mismatch');
    assert.deepEqual(fetches(a, b, unlisted), before);
    assert.equal(unlisted.requests.length, 0);
  });

  test('client ids belong to their pool', async () => {
    await expectDenied('/itsm/tickets', await userToken(b, CLIENT_A), 401, 'client_mismatch');
    await expectDenied('/itsm/tickets', await userToken(a, CLIENT_B), 401, 'client_mismatch');
    const idToken = (pool, aud) => mintCognito(pool.signer, {
      sub: 'id-user', iss: pool.issuer, token_use: 'id', aud, 'custom:role': 'viewer', exp: now() + 600, iat: now(),
    });
    await expectDenied('/itsm/tickets', await idToken(b, CLIENT_A), 401, 'client_mismatch');
    await expectForwarded('/itsm/tickets', await idToken(b, CLIENT_B));
  });

  test('a token naming pool A but signed by pool B\'s key is refused: keys are per pool', async () => {
    const r = await stack.request('/itsm/tickets', bearer(await userToken(a, CLIENT_A, {}, b.signer)));
    assert.equal(r.status, 401, await r.text());
  });

  test('an unknown kid in one pool neither refetches nor evicts the other pool\'s keys', async () => {
    const [beforeA, beforeB] = fetches(a, b);
    await readDeny(await stack.request('/itsm/tickets', bearer(await userToken(b, CLIENT_B, {}, await cognitoSigner()))));
    assert.equal(a.requests.length, beforeA, 'pool A\'s key server untouched');
    assert.ok(b.requests.length - beforeB <= 1);
    await expectForwarded('/itsm/tickets', await userToken(a, CLIENT_A));
    assert.equal(a.requests.length, beforeA, 'pool A\'s keys still cached');
  });

  test('a client-credentials token is authorised by scope alone', async () => {
    const seen = await expectForwarded('/api/tickets/7', await machineToken(a, 'tickets/read'));
    assert.equal(seen['x-auth-sub'], MACHINE);
    assert.equal(seen['x-auth-source'], 'cognito');
    assert.equal(seen['x-auth-roles'] ?? '', '');
    // Any one of the rule's scopes.
    await expectForwarded('/api/tickets', await machineToken(a, 'other/thing tickets/admin'));
    // The rule that takes either a role or a scope.
    await expectForwarded('/api/reports', await machineToken(a, 'reports/read'));
  });

  test('a client-credentials token is refused on a role-only route and without the scope', async () => {
    await expectDenied('/itsm/tickets', await machineToken(a, 'tickets/read'), 403, 'role_denied');
    await expectDenied('/admin', await machineToken(a, 'tickets/admin'), 403, 'role_denied');
    await expectDenied('/api/tickets', await machineToken(a, 'tickets/write'), 403, 'role_denied');
    await expectDenied('/api/reports', await machineToken(a, 'tickets/read'), 403, 'role_denied');
  });

  test('a malformed scope claim grants nothing', async () => {
    for (const scope of [7, ['tickets/read'], '', { 'tickets/read': true }, 'tickets/read'.padEnd(300, 'x')]) {
      await expectDenied('/api/tickets', await machineToken(a, scope), 403, 'role_denied');
    }
  });

  test('an ID token\'s scope claim grants nothing', async () => {
    const token = await mintCognito(a.signer, {
      sub: 'id-user', iss: a.issuer, token_use: 'id', aud: CLIENT_A, scope: 'tickets/read', exp: now() + 600, iat: now(),
    });
    await expectDenied('/api/tickets', token, 403, 'role_denied');
  });

  test('Cognito groups named after Entra groups give the same roles through GROUP_ROLES', async () => {
    const token = await userToken(b, CLIENT_B, { 'cognito:groups': ['SG-StackFlow-ITSM-Managers'], scope: 'openid' });
    const seen = await expectForwarded('/api/reports/q3', token);
    assert.equal(seen['x-auth-roles'], 'itsm_manager');
    await expectForwarded('/itsm/tickets', token, { method: 'POST', body: '{}' });
    await expectDenied('/admin', token, 403, 'role_denied');
    // A group that is already a role name keeps counting as itself.
    const direct = await expectForwarded('/itsm/tickets', await userToken(b, CLIENT_B, { 'cognito:groups': ['itsm_agent', 'SG-Unmapped'] }));
    assert.equal(direct['x-auth-roles'], 'itsm_agent,SG-Unmapped');
  });

  test('ROLE_CLAIMS: ID tokens read custom:role only, access tokens keep the default', async () => {
    const idToken = (claims) => mintCognito(a.signer, {
      sub: `id-${randomUUID()}`, iss: a.issuer, token_use: 'id', aud: CLIENT_A, exp: now() + 600, iat: now(), ...claims,
    });
    await expectDenied('/itsm/tickets', await idToken({ 'cognito:groups': ['viewer'] }), 403, 'role_denied');
    const seen = await expectForwarded('/itsm/tickets', await idToken({ 'cognito:groups': ['super_admin'], 'custom:role': 'viewer' }));
    assert.equal(seen['x-auth-roles'], 'viewer');
  });
});

describe('one pool\'s key server down', () => {
  test('answers 503 for that pool only', async () => {
    const [a, b] = await Promise.all([poolServer('pool-a'), poolServer('pool-b')]);
    a.fail = true;
    try {
      await withStack({ cognito: false, alb: false, bindings: { COGNITO_ISSUERS: poolsSetting(a, b) } }, async (stack) => {
        const deniedA = await readDeny(await stack.request('/itsm/x', bearer(await userToken(a, CLIENT_A))));
        assert.equal(deniedA.status, 503, JSON.stringify(deniedA.body));
        const r = await stack.request('/itsm/x', bearer(await userToken(b, CLIENT_B)));
        assert.equal(r.status, 200, await r.text());
        assert.equal(stack.origin.requests.length, 1);
      });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('the self-hosted gate (workerd serve) reads COGNITO_ISSUERS and ROLE_CLAIMS', () => {
  test('a pool-B user is admitted by a Cognito group mapped through GROUP_ROLES; a pool-A machine client by scope', async () => {
    const [a, b] = await Promise.all([poolServer('pool-a'), poolServer('pool-b')]);
    const app = await startServer((req, res) => { res.writeHead(200); res.end('{"ok":true}'); });
    let gate;
    try {
      gate = await startWorkerdGate({
        ORIGIN_URL: app.url,
        POLICY: JSON.stringify(SCOPED_POLICY),
        GROUP_ROLES: JSON.stringify(GROUP_ROLES),
        COGNITO_ISSUERS: poolsSetting(a, b),
        ROLE_CLAIMS: JSON.stringify({ cognito_access: ['cognito:groups'] }),
        KEY_FETCH_TIMEOUT_MS: '1000',
      });
      const call = async (path, token) => fetch(`${gate.url}${path}`, bearer(token));
      const user = await call('/itsm/tickets', await userToken(b, CLIENT_B, { 'cognito:groups': ['SG-StackFlow-Agents'] }));
      assert.equal(user.status, 200, await user.text());
      assert.equal(app.requests.at(-1).headers['x-auth-roles'], 'itsm_agent');
      // ROLE_CLAIMS leaves custom:role out for access tokens.
      const custom = await call('/itsm/tickets', await userToken(b, CLIENT_B, { 'cognito:groups': [], 'custom:role': 'viewer' }));
      assert.equal(custom.status, 403);
      const machine = await call('/api/tickets', await machineToken(a, 'tickets/read'));
      assert.equal(machine.status, 200, await machine.text());
      assert.equal(app.requests.at(-1).headers['x-auth-sub'], MACHINE);
      assert.equal((await call('/itsm/tickets', await machineToken(a, 'tickets/read'))).status, 403);
      assert.deepEqual(fetches(a, b), [1, 1]);
    } finally {
      await gate?.stop();
      await Promise.all([a.stop(), b.stop(), app.stop()]);
    }
  });
});

describe('COGNITO_ISSUERS settings', () => {
  const refused = async (bindings, wanted) => withStack({ alb: false, cognito: false, bindings }, async (stack) => {
    const { status, body } = await readDeny(await stack.request('/itsm/x'));
    assert.equal(status, 500);
    assert.equal(body.error, 'invalid_config');
    assert.ok(body.message.startsWith(wanted), body.message);
  });
  const pool = (issuer, client_ids = ['c']) => ({ issuer, client_ids });

  test('set beside COGNITO_ISSUER: refused, naming both', () => refused({
    COGNITO_ISSUERS: JSON.stringify([pool('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A')]),
    COGNITO_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_B',
    COGNITO_CLIENT_IDS: 'c',
  }, 'COGNITO_ISSUERS and COGNITO_ISSUER'));

  for (const [what, value, wanted] of [
    ['not JSON', '[{', 'COGNITO_ISSUERS is invalid: not a JSON list'],
    ['empty', '[]', 'COGNITO_ISSUERS is invalid: no user pool'],
    ['no client ids', JSON.stringify([pool('https://x.example/p', [])]), 'COGNITO_ISSUERS is invalid: pool 1: "client_ids" names no'],
    ['an issuer that is not a URL', JSON.stringify([pool('https://x.example/p'), pool('eu-west-1_B')]), 'COGNITO_ISSUERS is invalid: pool 2: issuer is not an absolute URL'],
    ['a duplicate issuer', JSON.stringify([pool('https://x.example/p'), pool('https://x.example/p/')]), 'COGNITO_ISSUERS is invalid: pool 2: its issuer is pool 1\'s too'],
    ['too many pools', JSON.stringify(Array.from({ length: 17 }, (_, i) => pool(`https://x.example/p${i}`))), 'COGNITO_ISSUERS is invalid: 17 user pools'],
  ]) {
    test(`${what}: refused`, () => refused({ COGNITO_ISSUERS: value }, wanted));
  }

  test('ROLE_CLAIMS naming an unknown source or claim: refused', async () => {
    const issuers = JSON.stringify([pool('https://x.example/p')]);
    await refused({ COGNITO_ISSUERS: issuers, ROLE_CLAIMS: '{"cognito": ["roles"]}' }, 'ROLE_CLAIMS is invalid');
    await refused({ COGNITO_ISSUERS: issuers, ROLE_CLAIMS: '{"entra": ["scp"]}' }, 'ROLE_CLAIMS is invalid');
  });

  test('a policy with malformed scopes: refused', () => refused({
    COGNITO_ISSUERS: JSON.stringify([pool('https://x.example/p')]),
    POLICY: JSON.stringify({ rules: [{ path: '/a', scopes: ['has space'] }] }),
  }, 'POLICY is invalid: rules[0].scopes[0]'));
});
