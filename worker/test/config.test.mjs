// Configuration: a missing or malformed setting answers every request with a 500 naming
// it (never an allow); a source whose settings are all absent is disabled.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, mintAlb, mintCognito, cognitoClaims, readDeny, withStack, plainRequest } from './helpers.mjs';


describe('bad settings: 500 naming the setting, nothing forwarded', () => {
  const cases = [
    ['ORIGIN_URL', { ORIGIN_URL: undefined }],
    ['ORIGIN_URL', { ORIGIN_URL: 'not a url' }],
    ['POLICY', { POLICY: undefined }],
    ['POLICY', { POLICY: '{"rules": [' }],
    ['GROUP_ROLES', { GROUP_ROLES: '[1, 2' }],
    ['CLOCK_SKEW_SECONDS', { CLOCK_SKEW_SECONDS: 'sixty' }],
    ['KEY_TTL_SECONDS', { KEY_TTL_SECONDS: '0' }],
    ['KEY_TTL_SECONDS', { KEY_TTL_SECONDS: 'ten' }],
    ['KEY_STALE_SECONDS', { KEY_STALE_SECONDS: '-1' }],
    ['COGNITO_CLIENT_IDS', { COGNITO_CLIENT_IDS: undefined }],
    ['ALB_ARNS', { ALB_ARNS: undefined }],
    ['ALB_ARNS', { ALB_ARNS: 'not-an-arn' }],
    ['ALB_KEYS_URL', { ALB_KEYS_URL: 'ftp://keys.example' }],
    ['ALB_REGION', { ALB_KEYS_URL: undefined, ALB_REGION: 'Not A Region' }],
    ['LOGOUT_REDIRECT_URI', { LOGOUT_REDIRECT_URI: undefined }],
    // Some settings of a feature set and others not: refused, never the feature quietly off.
    ['ALB_REGION', { ALB_CLIENT_IDS: undefined, ALB_ISSUER: undefined, ALB_KEYS_URL: undefined }],
    ['ALB_REGION', { ALB_KEYS_URL: undefined }],
    ['ENTRA_TENANT_ID', { ENTRA_TENANT_ID: undefined }],
    ['ENTRA_TENANT_ID', { ENTRA_TENANT_ID: 'a'.repeat(129) }],
    ['ENTRA_TENANT_ID', { ENTRA_TENANT_ID: 'contoso/evil' }],
    ['LOGOUT_PATH', { LOGOUT_PATH: '/out?x=1' }],
    ['LOGOUT_PATH', { LOGOUT_PATH: 'out' }],
    ['CLIENT_ADDRESS_HEADER', { CLIENT_ADDRESS_HEADER: 'x y' }],
    // URLs are read by the runtime's own parser: credentials or a fragment in any part.
    ['ALB_KEYS_URL', { ALB_KEYS_URL: 'https://user@keys.example' }],
    ['ALB_KEYS_URL', { ALB_KEYS_URL: 'https://:pw@keys.example' }],
    ['ALB_KEYS_URL', { ALB_KEYS_URL: 'https://keys.example/#f' }],
  ];
  for (const [name, bindings] of cases) {
    const shown = Object.entries(bindings).map(([k, v]) => `${k}=${v === undefined ? 'unset' : JSON.stringify(v)}`);
    test(`${name} named (${shown.join(', ')})`, () => withStack({ bindings }, async (stack) => {
      for (const p of ['/health', '/itsm/x']) {
        const { status, body } = await readDeny(await stack.request(p));
        assert.equal(status, 500);
        assert.equal(body.error, 'invalid_config');
        assert.ok(body.message.includes(name), body.message);
      }
      assert.equal(stack.origin.requests.length, 0);
    }));
  }
});

describe('settings at the edge of their rules are accepted', () => {
  test('a tenant domain and a 128-byte tenant make end-session URLs', async () => {
    for (const tenant of ['contoso.onmicrosoft.com', 'a'.repeat(128)]) {
      await withStack({ bindings: { ENTRA_TENANT_ID: tenant, LOGOUT_PATH: '/sign-out' } }, async (stack) => {
        const r = await plainRequest(stack.base, '/sign-out', { headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } });
        assert.equal(r.status, 302);
        assert.equal(new URL(r.headers.location).pathname, `/${tenant}/oauth2/v2.0/logout`);
        assert.equal(stack.origin.requests.length, 0);
      });
    }
  });
});

describe('one source only', () => {
  test('ALB only: Bearer tokens are refused, ALB tokens work', () => withStack({ cognito: false }, async (stack) => {
    const signer = await stack.addAlbSigner();
    const cog = await (await import('./helpers.mjs')).cognitoSigner();
    const t = await mintCognito(cog, cognitoClaims('https://cognito-idp.example/pool', 'access'));
    const { status, body } = await readDeny(await stack.request('/itsm/x', { headers: { authorization: `Bearer ${t}` } }));
    assert.equal(status, 401);
    assert.equal(body.error, 'source_not_accepted');
    const ok = await stack.request('/itsm/x', { headers: { 'x-amzn-oidc-data': await mintAlb(signer, { claims: { roles: ['viewer'] } }) } });
    assert.equal(ok.status, 200);
    assert.equal(stack.origin.requests.length, 1);
    // Beside an ALB token, a Bearer token is origin's own here: kept, not verified.
    const withOwn = await stack.request('/itsm/x', { headers: { 'x-amzn-oidc-data': await mintAlb(signer, { claims: { roles: ['viewer'] } }), authorization: 'Bearer origin-token' } });
    assert.equal(withOwn.status, 200);
    assert.equal(stack.origin.requests.at(-1).headers.authorization, 'Bearer origin-token');
    assert.equal(stack.origin.requests.at(-1).headers['x-auth-source'], 'alb');
  }));

  test('Cognito only: ALB tokens are refused', () => withStack({ alb: false }, async (stack) => {
    const signer = await stack.addAlbSigner();
    const { status, body } = await readDeny(await stack.request('/itsm/x', { headers: { 'x-amzn-oidc-data': await mintAlb(signer) } }));
    assert.equal(status, 401);
    assert.equal(body.error, 'source_not_accepted');
    assert.equal(stack.origin.requests.length, 0);
  }));

  test('no source at all is a configuration error', () => withStack({ alb: false, cognito: false }, async (stack) => {
    const { status, body } = await readDeny(await stack.request('/itsm/x'));
    assert.equal(status, 500);
    assert.equal(body.error, 'invalid_config');
  }));
});
