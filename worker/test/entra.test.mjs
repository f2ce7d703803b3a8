// Entra access tokens for the app's own API as `Authorization: Bearer`, through the
// self-hosted gate (the real `workerd serve`): told apart from Cognito by `iss` before any
// key fetch, v2 (and v1 when configured), roles from `roles` and from `groups` through
// GROUP_ROLES, Graph tokens refused with graph_token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { GROUP_ROLES, POLICY, startServer, cognitoSigner, now } from './helpers.mjs';
import { startWorkerdGate } from './workerd-process.mjs';

const TENANT = '0d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const API = '6a1b2c3d-4e5f-4a6b-8c7d-0000000a1b00';
let entra, app, gate, gateV1, signer, v2Issuer;

function settings(overrides = {}) {
  return {
    ORIGIN_URL: app.url,
    POLICY: JSON.stringify(POLICY),
    GROUP_ROLES: JSON.stringify(GROUP_ROLES),
    ENTRA_TENANT_ID: TENANT,
    ENTRA_AUTHORITY: entra.url,
    ENTRA_AUDIENCES: `api://${API},${API}`,
    LOGOUT_REDIRECT_URI: 'https://app.example.com/',
    KEY_FETCH_TIMEOUT_MS: '1000',
    ...overrides,
  };
}

const keyFetches = () => entra.requests.length;

function mint(claims = {}, header = {}) {
  return new SignJWT({
    iss: v2Issuer, aud: API, tid: TENANT, sub: 'pairwise-sub-1', oid: randomUUID(), scp: 'access_as_user',
    azp: API, ver: '2.0', iat: now(), exp: now() + 600, ...claims,
  }).setProtectedHeader({ alg: 'RS256', kid: signer.kid, typ: 'JWT', ...header }).sign(signer.privateKey);
}

const call = async (g, path, token, headers = {}) => fetch(`${g.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

before(async () => {
  signer = await cognitoSigner();
  entra = await startServer((req, res) => {
    if (req.url !== `/${TENANT}/discovery/v2.0/keys`) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [signer.jwk] }));
  });
  app = await startServer((req, res) => { res.writeHead(200); res.end('{"ok":true}'); });
  v2Issuer = `${entra.url}/${TENANT}/v2.0`;
  gate = await startWorkerdGate(settings());
  // This gate's policy also has a scope rule (the routes the other tests use are the seed's).
  const scoped = { rules: [{ path: '/api/tickets', match: 'prefix', scopes: ['Tickets.Read'] }, ...POLICY.rules] };
  gateV1 = await startWorkerdGate(settings({ ENTRA_TOKEN_VERSIONS: '1,2', POLICY: JSON.stringify(scoped) }));
});
after(async () => {
  await gate?.stop();
  await gateV1?.stop();
  await entra?.stop();
  await app?.stop();
});

test('an Entra v2 access token for the API: groups through GROUP_ROLES give the roles', async () => {
  const r = await call(gate, '/admin/users', await mint({ groups: ['SG-StackFlow-Admins'] }), { 'x-auth-roles': 'viewer', 'x-auth-source': 'alb' });
  assert.equal(r.status, 200, await r.clone().text());
  const seen = app.requests.at(-1).headers;
  assert.equal(seen['x-auth-source'], 'entra');
  assert.equal(seen['x-auth-sub'], 'pairwise-sub-1');
  assert.equal(seen['x-auth-roles'], 'super_admin');
});

test('app roles (the roles claim) count too; no role means 403', async () => {
  const r = await call(gate, '/itsm/tickets', await mint({ roles: ['viewer'] }));
  assert.equal(r.status, 200);
  assert.equal(app.requests.at(-1).headers['x-auth-roles'], 'viewer');
  const none = await call(gate, '/admin/users', await mint({ groups: ['SG-StackFlow-ReadOnly'] }));
  assert.equal(none.status, 403);
  assert.equal((await none.json()).error, 'role_denied');
});

test('a Graph token (nonce in its header) is refused with graph_token before any key fetch', async () => {
  const before = keyFetches();
  const r = await call(gate, '/itsm/tickets', await mint({ aud: '00000003-0000-0000-c000-000000000000', groups: ['SG-StackFlow-ReadOnly'] }, { nonce: 'graph-nonce', kid: 'graph-key' }));
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'graph_token');
  assert.equal(keyFetches(), before);
});

test('another issuer is not Entra\'s: with no Cognito settings it is refused before any key fetch', async () => {
  const before = keyFetches();
  for (const iss of [`${entra.url}/11111111-2222-3333-4444-555555555555/v2.0`, `https://sts.windows.net/${TENANT}/`, 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X']) {
    const r = await call(gate, '/itsm/tickets', await mint({ iss, roles: ['viewer'] }));
    assert.equal(r.status, 401, iss);
    assert.equal((await r.json()).error, 'source_not_accepted', iss);
  }
  assert.equal(keyFetches(), before);
});

test('wrong audience, wrong tid, an ID token, an expired token, a forged signature are refused', async () => {
  const cases = [
    [{ aud: 'api://another-api', roles: ['viewer'] }, 'audience_mismatch'],
    [{ tid: '11111111-2222-3333-4444-555555555555', roles: ['viewer'] }, 'tenant_mismatch'],
    [{ scp: undefined, roles: undefined, aud: API, nonce: 'n' }, 'token_use_mismatch'],
    [{ exp: now() - 3600, roles: ['viewer'] }, 'token_expired'],
  ];
  for (const [claims, code] of cases) {
    const r = await call(gate, '/itsm/tickets', await mint(claims));
    assert.equal((await r.json()).error, code, JSON.stringify(claims));
    assert.equal(r.status, 401);
  }
  const other = await cognitoSigner(signer.kid);
  const forged = await new SignJWT({ iss: v2Issuer, aud: API, tid: TENANT, sub: 'x', scp: 's', roles: ['super_admin'], exp: now() + 600 })
    .setProtectedHeader({ alg: 'RS256', kid: signer.kid }).sign(other.privateKey);
  const r = await call(gate, '/admin/users', forged);
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'bad_signature');
});

test('v1 access tokens (sts.windows.net issuer, App ID URI audience) only with ENTRA_TOKEN_VERSIONS=1,2', async () => {
  const v1 = await mint({ iss: `https://sts.windows.net/${TENANT}/`, aud: `api://${API}`, ver: '1.0', roles: ['viewer'] });
  const r = await call(gateV1, '/itsm/tickets', v1);
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(app.requests.at(-1).headers['x-auth-source'], 'entra');
  const refused = await call(gate, '/itsm/tickets', v1);
  assert.equal(refused.status, 401);
  // v2 still works on the gate that accepts both.
  assert.equal((await call(gateV1, '/itsm/tickets', await mint({ roles: ['viewer'] }))).status, 200);
});

test('a scope rule takes the Entra token\'s scp (delegated permissions), not its app roles', async () => {
  const ok = await call(gateV1, '/api/tickets/7', await mint({ scp: 'access_as_user Tickets.Read' }));
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal(app.requests.at(-1).headers['x-auth-source'], 'entra');
  for (const claims of [{ scp: 'access_as_user' }, { scp: undefined, roles: ['Tickets.Read'] }, { scp: 'tickets.read' }]) {
    const r = await call(gateV1, '/api/tickets/7', await mint(claims));
    assert.equal(r.status, 403, JSON.stringify(claims));
    assert.equal((await r.json()).error, 'role_denied');
  }
});

test('a half-configured Entra source stops the start, naming the setting', async () => {
  const { runStart } = await import('./workerd-process.mjs');
  const r = await runStart(settings({ ENTRA_TENANT_ID: 'common' }), ['--listen', '127.0.0.1:0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid_config: ENTRA_TENANT_ID must be the tenant GUID/);
  const v = await runStart(settings({ ENTRA_TOKEN_VERSIONS: '3' }), ['--listen', '127.0.0.1:0']);
  assert.equal(v.code, 2);
  assert.match(v.stderr, /ENTRA_TOKEN_VERSIONS/);
});
