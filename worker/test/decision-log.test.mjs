// The decision log (one JSON line per decision on the worker's stdout) and what a deny tells
// the client (a fixed sentence per code unless EXPOSE_DENY_DETAIL=true). The worker's
// console output is read from workerd's stdout through Miniflare's handleRuntimeStdio.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { startStack, mintAlb, readDeny, now } from './helpers.mjs';

/** A stack whose worker's stdout/stderr lines are collected in `stack.lines`. */
async function loggedStack(bindings) {
  const lines = [];
  const collect = (stream) => createInterface({ input: stream }).on('line', (line) => lines.push(line));
  const stack = await startStack({
    bindings,
    miniflare: { handleRuntimeStdio: (stdout, stderr) => { collect(stdout); collect(stderr); } },
  });
  stack.lines = lines;
  return stack;
}

/** The decision-log records (lines that parse as JSON with a request_id). */
function records(stack) {
  return stack.lines.flatMap((line) => {
    const at = line.indexOf('{');
    if (at < 0) return [];
    try {
      const v = JSON.parse(line.slice(at));
      return v && typeof v.request_id === 'string' ? [v] : [];
    } catch { return []; }
  });
}

/** Waits for the record with this request id (the pipe is asynchronous). */
async function recordFor(stack, id) {
  for (let i = 0; i < 200; i++) {
    const found = records(stack).filter((r) => r.request_id === id);
    if (found.length) {
      assert.equal(found.length, 1, `one line per decision, got ${JSON.stringify(found)}`);
      return found[0];
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`no decision-log line for ${id}; lines: ${stack.lines.join('\n')}`);
}

const ray = () => `${randomBytes(8).toString('hex')}-TST`;
const sent = (headers = {}) => { const id = ray(); return { id, init: { headers: { 'cf-ray': id, ...headers } } }; };

describe('decision log, LOG_SUBJECT=plain', () => {
  let stack, alb;
  before(async () => {
    stack = await loggedStack({ LOG_SUBJECT: 'plain' });
    alb = await stack.addAlbSigner();
  });
  after(() => stack?.close());

  test('an allow: every field, then a cache hit for the same token', async () => {
    const token = await mintAlb(alb, { claims: { sub: 'admin-7', roles: ['super_admin'] } });
    const first = sent({ 'x-amzn-oidc-data': token });
    const started = Date.now();
    assert.equal((await stack.request('/admin/users?page=2', first.init)).status, 200);
    const r = await recordFor(stack, first.id);
    assert.equal(r.outcome, 'allow');
    assert.equal(r.status, null, 'origin answers an allow; the gate does not wait to log it');
    assert.equal(r.method, 'GET');
    assert.equal(r.path, '/admin/users');
    assert.equal(r.rule, 1);
    assert.equal(r.rule_path, '/admin');
    assert.equal(r.source, 'alb');
    assert.equal(r.sub, 'admin-7');
    assert.equal(r.error, null);
    assert.equal(r.detail, null);
    assert.equal(r.token_cache_hit, false);
    assert.equal(typeof r.gate_ms, 'number');
    assert.ok(r.gate_ms >= 0);
    assert.ok(Math.abs(r.time - started) < 60_000, `time ${r.time} is a Unix ms time`);

    const again = sent({ 'x-amzn-oidc-data': token });
    assert.equal((await stack.request('/admin/users', again.init)).status, 200);
    assert.equal((await recordFor(stack, again.id)).token_cache_hit, true);
  });

  test('a 401 without a credential', async () => {
    const s = sent();
    assert.equal((await stack.request('/admin', s.init)).status, 401);
    const r = await recordFor(stack, s.id);
    assert.equal(r.outcome, 'deny');
    assert.equal(r.status, 401);
    assert.equal(r.error, 'missing_credential');
    assert.equal(typeof r.detail, 'string');
    assert.equal(r.source, null);
    assert.equal(r.sub, null);
    assert.equal(r.rule, 1);
    assert.equal(r.token_cache_hit, null);
  });

  test('a 401 for an expired token: the detail is logged, the client gets the fixed sentence', async () => {
    const token = await mintAlb(alb, { header: { exp: now() - 3600 }, claims: { exp: now() - 3600, roles: ['super_admin'] } });
    const s = sent({ 'x-amzn-oidc-data': token });
    const { status, body, headers } = await readDeny(await stack.request('/admin', s.init));
    assert.equal(status, 401);
    assert.equal(body.error, 'token_expired');
    assert.equal(body.message, 'The token has expired.');
    assert.equal(headers.get('www-authenticate'), 'Bearer error="invalid_token", error_description="The token has expired."');
    const r = await recordFor(stack, s.id);
    assert.equal(r.error, 'token_expired');
    assert.match(r.detail, /expired at \d+/);
  });

  test('a 403 names the refused user', async () => {
    const token = await mintAlb(alb, { claims: { sub: 'viewer-3', roles: ['viewer'] } });
    const s = sent({ 'x-amzn-oidc-data': token });
    const { status, body } = await readDeny(await stack.request('/admin/x', s.init));
    assert.equal(status, 403);
    assert.doesNotMatch(body.message, /super_admin/);
    const r = await recordFor(stack, s.id);
    assert.equal(r.outcome, 'deny');
    assert.equal(r.status, 403);
    assert.equal(r.error, 'role_denied');
    assert.match(r.detail, /super_admin/);
    assert.equal(r.source, 'alb');
    assert.equal(r.sub, 'viewer-3');
  });

  test('a public route', async () => {
    const s = sent();
    assert.equal((await stack.request('/health', s.init)).status, 200);
    const r = await recordFor(stack, s.id);
    assert.equal(r.outcome, 'allow');
    assert.equal(r.rule, 0);
    assert.equal(r.rule_path, '/health');
    assert.equal(r.token_cache_hit, null);
    assert.equal(r.source, null);
  });

  test('no matching route: a 403 with no rule', async () => {
    const s = sent();
    assert.equal((await stack.request('/nowhere', s.init)).status, 403);
    const r = await recordFor(stack, s.id);
    assert.equal(r.error, 'no_matching_route');
    assert.equal(r.rule, null);
  });

  test('without cf-ray the gate makes an id and origin receives it, not the client\'s', async () => {
    const before = stack.origin.requests.length;
    const r = await stack.request('/health', { headers: { 'x-request-id': 'client-chosen' } });
    assert.equal(r.status, 200);
    const id = stack.origin.requests[before].headers['x-request-id'];
    assert.ok(id && id !== 'client-chosen', id);
    assert.equal((await recordFor(stack, id)).path, '/health');
  });

  test('no token and no query string in any line', async () => {
    const marker = `QMARK${randomBytes(6).toString('hex')}`;
    const good = await mintAlb(alb, { claims: { roles: ['super_admin'] } });
    const expired = await mintAlb(alb, { header: { exp: now() - 3600 }, claims: { exp: now() - 3600 } });
    const ids = [];
    for (const [path, headers] of [
      [`/admin/a?${marker}=1`, { 'x-amzn-oidc-data': good }],
      [`/admin/b?token=${marker}`, { 'x-amzn-oidc-data': expired }],
      [`/admin/c?${marker}`, { authorization: `Bearer ${good}` }],
      [`/admin/d?x=${marker}`, { 'x-amzn-oidc-data': 'not.a.token' }],
      [`/health?${marker}`, { 'x-amzn-oidc-data': good }],
    ]) {
      const s = sent(headers);
      ids.push(s.id);
      await (await stack.request(path, s.init)).arrayBuffer();
    }
    for (const id of ids) await recordFor(stack, id);
    const secrets = [marker, good, expired, good.split('.')[2], expired.split('.')[2], good.split('.')[1]];
    for (const line of stack.lines) {
      for (const s of secrets) assert.ok(!line.includes(s), `a log line holds a secret: ${line}`);
    }
  });
});

describe('decision log, LOG_SUBJECT=hash, LOG_ALLOW_SAMPLE=0, EXPOSE_DENY_DETAIL=true', () => {
  let stack, alb;
  before(async () => {
    stack = await loggedStack({ LOG_SUBJECT: 'hash', LOG_ALLOW_SAMPLE: '0', EXPOSE_DENY_DETAIL: 'true' });
    alb = await stack.addAlbSigner();
  });
  after(() => stack?.close());

  test('allows are not logged, denies are', async () => {
    const token = await mintAlb(alb, { claims: { roles: ['super_admin'] } });
    const allowed = sent({ 'x-amzn-oidc-data': token });
    assert.equal((await stack.request('/admin', allowed.init)).status, 200);
    const denied = sent();
    assert.equal((await stack.request('/admin', denied.init)).status, 401);
    await recordFor(stack, denied.id);
    // Lines of one isolate arrive in order: the allow's would be there by now.
    assert.equal(records(stack).filter((r) => r.request_id === allowed.id).length, 0);
  });

  test('the subject is hashed', async () => {
    const token = await mintAlb(alb, { claims: { sub: 'hashed-user', roles: ['viewer'] } });
    const s = sent({ 'x-amzn-oidc-data': token });
    assert.equal((await stack.request('/admin', s.init)).status, 403);
    const r = await recordFor(stack, s.id);
    assert.match(r.sub, /^[0-9a-f]{32}$/);
    assert.ok(!stack.lines.some((line) => line.includes('hashed-user')));
  });

  test('with EXPOSE_DENY_DETAIL=true the client gets the detail', async () => {
    const token = await mintAlb(alb, { header: { exp: now() - 3600 }, claims: { exp: now() - 3600 } });
    const { status, body, headers } = await readDeny(await stack.request('/admin', { headers: { 'x-amzn-oidc-data': token } }));
    assert.equal(status, 401);
    assert.equal(body.error, 'token_expired');
    assert.match(body.message, /expired at \d+/);
    assert.match(headers.get('www-authenticate'), /error_description="the token expired at \d+/);
  });
});

describe('decision log, LOG_SUBJECT=off', () => {
  let stack, alb;
  before(async () => {
    stack = await loggedStack({ LOG_SUBJECT: 'off' });
    alb = await stack.addAlbSigner();
  });
  after(() => stack?.close());

  test('no subject in the line', async () => {
    const token = await mintAlb(alb, { claims: { sub: 'unlogged-user', roles: ['super_admin'] } });
    const s = sent({ 'x-amzn-oidc-data': token });
    assert.equal((await stack.request('/admin', s.init)).status, 200);
    const r = await recordFor(stack, s.id);
    assert.equal('sub' in r, false);
    assert.ok(!stack.lines.some((line) => line.includes('unlogged-user')));
  });
});

describe('decision log, LOG_BATCH_LINES=3 (several lines per write)', () => {
  let stack, alb;
  before(async () => {
    // A wait far longer than the tests: every line here is written by a full batch or a deny.
    stack = await loggedStack({ LOG_SUBJECT: 'plain', LOG_BATCH_LINES: '3', LOG_BATCH_MS: '60000' });
    alb = await stack.addAlbSigner();
  });
  after(() => stack?.close());

  const allow = async () => {
    const s = sent({ 'x-amzn-oidc-data': await mintAlb(alb, { claims: { roles: ['super_admin'] } }) });
    assert.equal((await stack.request('/admin', s.init)).status, 200);
    return s.id;
  };
  const position = (id) => records(stack).findIndex((r) => r.request_id === id);

  test('allows wait; a deny is written at once, after them, one line per decision', async () => {
    const first = await allow();
    const second = await allow();
    // Unbatched, both lines would be on the pipe well within this.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(position(first), -1, 'an allow waits for its batch');
    assert.equal(position(second), -1);
    const denied = sent();
    assert.equal((await stack.request('/admin', denied.init)).status, 401);
    assert.equal((await recordFor(stack, denied.id)).outcome, 'deny');
    assert.equal((await recordFor(stack, first)).outcome, 'allow');
    await recordFor(stack, second);
    assert.ok(position(first) < position(second) && position(second) < position(denied.id),
      'written in the order decided');
  });

  test('a full batch is written without waiting for the timer', async () => {
    const ids = [await allow(), await allow(), await allow()];
    for (const id of ids) assert.equal((await recordFor(stack, id)).outcome, 'allow');
  });
});

describe('decision log, LOG_BATCH_MS=200', () => {
  let stack, alb;
  before(async () => {
    stack = await loggedStack({ LOG_BATCH_LINES: '100', LOG_BATCH_MS: '200' });
    alb = await stack.addAlbSigner();
  });
  after(() => stack?.close());

  test('a line left waiting is written once LOG_BATCH_MS have passed, with no request after it', async () => {
    const s = sent({ 'x-amzn-oidc-data': await mintAlb(alb, { claims: { roles: ['super_admin'] } }) });
    assert.equal((await stack.request('/admin', s.init)).status, 200);
    assert.equal((await recordFor(stack, s.id)).outcome, 'allow');
  });
});

describe('decision-log settings', () => {
  for (const [name, value] of [
    ['LOG_SUBJECT', 'clear'], ['LOG_ALLOW_SAMPLE', '2'], ['EXPOSE_DENY_DETAIL', 'yes'],
    ['LOG_BATCH_LINES', '0'], ['LOG_BATCH_LINES', '257'], ['LOG_BATCH_MS', '9'],
  ]) {
    test(`${name}=${value} is a 500 naming it`, async () => {
      const stack = await startStack({ bindings: { [name]: value } });
      try {
        const { status, body } = await readDeny(await stack.request('/health'));
        assert.equal(status, 500);
        assert.equal(body.error, 'invalid_config');
        assert.match(body.message, new RegExp(`^${name} `));
      } finally {
        await stack.close();
      }
    });
  }
});
