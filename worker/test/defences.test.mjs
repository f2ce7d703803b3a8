// Defences under workerd that only a test outside `fetch` can reach (issue 14):
// - raw request lines over a socket (a WHATWG client would resolve `..` before sending):
//   every ambiguous path form is refused, or resolved by the runtime before the gate and
//   then decided and forwarded as that same resolved path;
// - a key document over the size limit, valid JSON, announced or streamed;
// - the stale grace with the production TTL and window: a stale shared key is held by an
//   isolate for the grace only, and never past the window while the key server fails;
// - a gate that throws inside the wasm denies (500 internal_error), forwarding nothing;
// - every deny carries `cache-control: no-store`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Response as MiniflareResponse } from 'miniflare';
import {
  startStack, mintAlb, mintCognito, cognitoClaims, readDeny, now, withStack,
} from './helpers.mjs';

/** Polls `condition` until it holds; fails after `ms` (a bound, not a timing assertion). */
async function waitFor(condition, what, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const clockReaches = (t) => waitFor(() => now() >= t, `the clock to reach ${t}`, 60_000);


/**
 * Sends `GET <target> HTTP/1.1` byte for byte to the worker's listener and reads the
 * answer: nothing between the test and workerd's HTTP parser rewrites the target.
 */
function rawGet(base, target, headers = {}) {
  const { hostname, port } = new URL(base);
  const lines = [`GET ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const responseHeaders = Object.fromEntries(headerLines.map((l) => {
        const at = l.indexOf(':');
        return [l.slice(0, at).toLowerCase(), l.slice(at + 1).trim()];
      }));
      resolve({ status: Number(statusLine.split(' ')[1]), headers: responseHeaders, body: rest.join('\r\n\r\n') });
    });
    socket.end(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  });
}

/** The JSON object in a (possibly chunked) HTTP/1.1 body. */
function jsonIn(body) {
  const match = body.match(/\{[^]*\}/);
  return match ? JSON.parse(match[0]) : { raw: body };
}

describe('raw request lines: the gate decides on the path origin receives', () => {
  // workerd hands the worker a WHATWG-parsed URL: dot segments (`..`, `%2e%2e`) and
  // backslashes are resolved by the runtime before the gate reads `request.url`, so the
  // gate matches the resolved path and origin receives that same path. Every other
  // ambiguous form survives parsing and must be refused by the gate itself (400).
  let stack, token;
  before(async () => {
    stack = await startStack();
    const signer = await stack.addAlbSigner();
    // A viewer may GET /itsm/*; only super_admin may reach /admin.
    token = await mintAlb(signer, { claims: { roles: ['viewer'] } });
  });
  after(() => stack?.close());

  const refusedByTheGate = [
    '/itsm%2fadmin', '/itsm%2F..%2Fadmin', '/itsm%5cadmin', '//admin', '/itsm//x',
    '/itsm/..;/admin', '/itsm;x', '/itsm/%252e%252e/admin', '/itsm/%00', '/itsm/%0d%0a',
    '/itsm/%zz', '/itsm/%2e%2e%2fadmin',
  ];
  for (const target of refusedByTheGate) {
    test(`GET ${target}: 400 invalid_path, origin receives nothing`, async () => {
      const before = stack.origin.requests.length;
      const r = await rawGet(stack.base, target, { 'x-amzn-oidc-data': token });
      assert.equal(r.status, 400, r.body);
      assert.equal(jsonIn(r.body).error, 'invalid_path');
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(stack.origin.requests.length, before, 'origin must receive nothing');
    });
  }

  // [as sent, as resolved by WHATWG URL parsing]: the gate's verdict is the resolved path's.
  const resolvedByTheRuntime = [
    ['/itsm/../admin/users', '/admin/users'], ['/itsm/%2e%2e/admin', '/admin'],
    ['/itsm/%2E%2e/admin', '/admin'], ['/itsm/.%2e/admin', '/admin'], ['/itsm/x/../../admin', '/admin'],
    ['/itsm/./x', '/itsm/x'], ['/itsm/x/..', '/itsm/'], ['/itsm/%2e/x', '/itsm/x'],
    ['/itsm/\\..\\admin', '/itsm/admin'], ['/admin/../itsm/x', '/itsm/x'],
  ];
  for (const [target, resolved] of resolvedByTheRuntime) {
    const allowed = resolved.startsWith('/itsm');
    test(`GET ${target}: decided as ${resolved} (${allowed ? 'forwarded as that path' : '403, origin receives nothing'})`, async () => {
      assert.equal(new URL(target, 'http://x').pathname, resolved, 'the WHATWG reading');
      const before = stack.origin.requests.length;
      const r = await rawGet(stack.base, target, { 'x-amzn-oidc-data': token });
      if (allowed) {
        assert.equal(r.status, 200, r.body);
        assert.equal(stack.origin.requests.length, before + 1);
        assert.equal(stack.origin.requests.at(-1).url, resolved, 'origin receives the path that was matched');
      } else {
        assert.equal(r.status, 403, r.body);
        assert.equal(jsonIn(r.body).error, 'role_denied');
        assert.equal(stack.origin.requests.length, before, 'origin must receive nothing');
      }
    });
  }

  test('a clean path sent raw reaches origin exactly as sent', async () => {
    const before = stack.origin.requests.length;
    const r = await rawGet(stack.base, '/itsm/tickets/%61b?q=1', { 'x-amzn-oidc-data': token });
    assert.equal(r.status, 200, r.body);
    assert.equal(stack.origin.requests.length, before + 1);
    assert.equal(stack.origin.requests.at(-1).url, '/itsm/tickets/%61b?q=1');
  });
});

describe('key document size limit, with a valid document', () => {
  // The key set holding the signer's key, padded with JSON whitespace to `size` bytes: only
  // the size limit can refuse it.
  const paddedJwks = (jwks, size) => {
    const body = JSON.stringify(jwks);
    return `{${' '.repeat(size - body.length)}${body.slice(1)}`;
  };
  for (const [how, chunked] of [['announced in content-length', false], ['streamed without a length', true]]) {
    for (const size of [65_536, 65_537]) {
      test(`${size} bytes, ${how}: ${size > 65_536 ? 'refused, 503 malformed_key' : 'used'}`, () => withStack({}, async (stack) => {
        const signer = await stack.addCognitoSigner();
        stack.cognitoServer.handler = (req, res) => {
          const body = paddedJwks(stack.jwks, size);
          if (chunked) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write(body.slice(0, 1000));
            res.end(body.slice(1000));
          } else {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
            res.end(body);
          }
        };
        const token = await mintCognito(signer, cognitoClaims(stack.issuer, 'access'));
        const { status, body, headers } = await readDeny(await stack.request('/itsm/x', { headers: { authorization: `Bearer ${token}` } }));
        assert.equal(stack.cognitoServer.requests.length, 1);
        if (size <= 65_536) {
          assert.equal(status, 200, JSON.stringify(body));
          assert.equal(stack.origin.requests.length, 1);
        } else {
          assert.equal(status, 503);
          assert.equal(body.error, 'malformed_key');
          assert.equal(headers.get('cache-control'), 'no-store');
          assert.equal(stack.origin.requests.length, 0);
        }
      }));
    }
  }
});

describe('stale grace at the production TTL and window (600 s, 300 s)', () => {
  test('an isolate holds a stale shared key for the grace only, and never past the window', { timeout: 90_000 }, () => withStack({}, async (stack) => {
    // No KEY_TTL_SECONDS / KEY_STALE_SECONDS: the defaults. The key server fails throughout;
    // the only copy of the key is one another isolate put in the shared cache, 35 s before
    // the end of its stale window. The grace (30 s) then ends before the window does.
    const signer = await stack.addAlbSigner();
    stack.modes.alb = '500';
    const TTL = 600, WINDOW = 300, LEFT = 35;
    const t0 = now();
    const caches = await stack.mf.getCaches();
    await caches.default.put(`${stack.albServer.url}/${signer.kid}`, new MiniflareResponse(signer.pem, {
      headers: {
        'x-entra-edge-auth-fetched-at': String(t0 - (TTL + WINDOW - LEFT)),
        'cache-control': 'public, max-age=100000',
      },
    }));
    const alb = async (sub) => ({ headers: { 'x-amzn-oidc-data': await mintAlb(signer, { claims: { roles: ['viewer'], sub } }) } });
    const status = async (sub) => { const r = await stack.request('/itsm/x', await alb(sub)); await r.text(); return r.status; };

    assert.equal(await status('first'), 200, 'the stale shared key serves');
    await waitFor(() => stack.albServer.requests.length >= 1, 'the background revalidation');
    let stats = await stack.stats();
    assert.equal(stats.key_stale_served, 1);

    // Past the grace (and the negative TTL of the failed revalidation), inside the window:
    // the isolate no longer holds the key; it goes back to the shared copy and revalidates.
    await clockReaches(t0 + 32);
    assert.equal(await status('after-grace'), 200);
    await waitFor(() => stack.albServer.requests.length >= 2, 'a second revalidation');
    stats = await stack.stats();
    assert.equal(stats.key_stale_served, 2, 'the stale key was held past the grace');

    // Past the window: no stale key at all while the key server keeps failing.
    await clockReaches(t0 + LEFT + 1);
    const { status: denied, body, headers } = await readDeny(await stack.request('/itsm/x', await alb('after-window')));
    assert.equal(denied, 503);
    assert.equal(body.error, 'key_fetch_failed');
    assert.equal(headers.get('cache-control'), 'no-store');
    assert.equal(stack.origin.requests.length, 2);
  }));
});

describe('a gate that throws inside the wasm denies', () => {
  test('500 internal_error, no-store, nothing forwarded; the next request is served', () => withStack({ script: 'test/trap-worker.js' }, async (stack) => {
    const signer = await stack.addAlbSigner();
    const token = await mintAlb(signer, { claims: { roles: ['viewer'] } });
    const init = (extra = {}) => ({ headers: { 'x-amzn-oidc-data': token, ...extra } });
    // A verified request first, so a forwarding `catch` would have a working origin path.
    assert.equal((await stack.request('/itsm/x', init())).status, 200);
    const { status, body, headers } = await readDeny(await stack.request('/itsm/x', init({ 'x-test-trap': '1' })));
    assert.equal(status, 500);
    assert.equal(body.error, 'internal_error');
    assert.equal(headers.get('cache-control'), 'no-store');
    assert.equal(stack.origin.requests.length, 1, 'nothing forwarded after the throw');
    assert.equal((await stack.request('/itsm/x', init())).status, 200, 'a fresh gate serves on');
    assert.equal(stack.origin.requests.length, 2);
  }));
});

describe('every deny is not cacheable', () => {
  let stack, alb, cog;
  before(async () => {
    stack = await startStack();
    alb = await stack.addAlbSigner();
    cog = await stack.addCognitoSigner();
  });
  after(() => stack?.close());

  test('401, 403, 400 and a 500 configuration error all carry cache-control: no-store', async () => {
    const viewer = await mintAlb(alb, { claims: { roles: ['viewer'] } });
    const expired = await mintCognito(cog, cognitoClaims(stack.issuer, 'access', { exp: now() - 3600 }));
    const cases = [
      ['/itsm/x', {}, 401],
      ['/itsm/x', { headers: { authorization: `Bearer ${expired}` } }, 401],
      ['/itsm/x', { headers: { 'x-amzn-oidc-data': 'a.b.c' } }, 401],
      ['/admin/x', { headers: { 'x-amzn-oidc-data': viewer } }, 403],
      ['/nowhere', { headers: { 'x-amzn-oidc-data': viewer } }, 403],
      ['/itsm%2fx', { headers: { 'x-amzn-oidc-data': viewer } }, 400],
    ];
    for (const [path, init, want] of cases) {
      const { status, headers } = await readDeny(await stack.request(path, init));
      assert.equal(status, want, path);
      assert.equal(headers.get('cache-control'), 'no-store', `${path} ${status}`);
    }
    assert.equal(stack.origin.requests.length, 0);
    const broken = await startStack({ bindings: { ALB_ARNS: 'not-an-arn' } });
    try {
      const { status, body, headers } = await readDeny(await broken.request('/itsm/x'));
      assert.equal(status, 500);
      assert.equal(body.error, 'invalid_config');
      assert.equal(headers.get('cache-control'), 'no-store');
    } finally {
      await broken.close();
    }
  });
});
