import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, mintAlb, mintCognito, cognitoClaims } from './helpers.mjs';

let stack, alb, cog;
before(async () => {
  stack = await startStack();
  alb = await stack.addAlbSigner();
  cog = await stack.addCognitoSigner();
});
after(() => stack?.close());

test('smoke: ALB token reaches origin', async () => {
  const token = await mintAlb(alb, { claims: { roles: ['viewer'] } });
  const r = await stack.request('/itsm/tickets?x=1', { headers: { 'x-amzn-oidc-data': token } });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const seen = stack.origin.requests.at(-1);
  assert.equal(seen.url, '/itsm/tickets?x=1');
  assert.equal(seen.headers['x-auth-source'], 'alb');
});

test('smoke: Cognito access token reaches origin', async () => {
  const token = await mintCognito(cog, cognitoClaims(stack.issuer, 'access'));
  const r = await stack.request('/itsm/tickets', { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  assert.equal(stack.origin.requests.at(-1).headers['x-auth-source'], 'cognito');
  assert.equal(stack.origin.requests.at(-1).headers['x-auth-roles'], 'viewer');
});
