// The security review's findings (issue 16), each against the worker under workerd: header
// spellings a CGI/WSGI origin merges, ALB's unverified side headers, the unknown-kid
// refetch under a flood, the ALB header `exp` in the verified-token cache, settings that
// must not fail open, denies that must not disclose configuration, hop-by-hop headers,
// logout from another site, and case-insensitive paths.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  startStack, mintAlb, mintCognito, cognitoClaims, readDeny, plainRequest, now, WORKER_DIR, ALB_ISSUER, COGNITO_CLIENT, withStack,
} from './helpers.mjs';

const viewer = (signer, opts = {}) => mintAlb(signer, { ...opts, claims: { roles: ['viewer'], ...(opts.claims ?? {}) } });
const withAlb = (token, extra = {}) => ({ headers: { 'x-amzn-oidc-data': token, ...extra } });


/** Python's wsgiref serving the app in origins/wsgi_origin.py; resolves to its base URL. */
async function startWsgiOrigin() {
  const child = spawn('python3', [path.join(WORKER_DIR, 'test/origins/wsgi_origin.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = await once(child.stdout, 'data');
  const port = Number(String(chunk).split('\n')[0]);
  assert.ok(port > 0, 'the WSGI origin printed its port');
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

describe('identity headers spelled with underscores (CGI/WSGI origins merge - and _)', () => {
  let wsgi;
  before(async () => { wsgi = await startWsgiOrigin(); });
  after(() => wsgi?.stop());

  test('the WSGI origin really merges the two spellings (so the next test can fail)', async () => {
    const r = await fetch(`${wsgi.url}/itsm/x`, { headers: { 'x-auth-roles': 'viewer', X_Auth_Roles: 'super_admin' } });
    const { environ } = await r.json();
    assert.equal(environ.HTTP_X_AUTH_ROLES, 'viewer,super_admin');
  });

  test('through the gate, HTTP_X_AUTH_* carry only what the gate set', () => withStack({ bindings: { ORIGIN_URL: wsgi.url } }, async (stack) => {
    const signer = await stack.addAlbSigner();
    const forged = {
      X_Auth_Roles: 'super_admin',
      x_auth_sub: 'victim',
      'x-auth_roles': 'itsm_manager',
      'X_AUTH-SOURCE': 'cognito',
      x_auth_anything: 'forged',
      x_amzn_oidc_identity: 'victim',
      x_amzn_oidc_accesstoken: 'forged',
    };
    const r = await stack.request('/itsm/tickets', withAlb(await viewer(signer), forged));
    assert.equal(r.status, 200, await r.clone().text());
    const { environ } = await r.json();
    assert.equal(environ.HTTP_X_AUTH_ROLES, 'viewer');
    assert.equal(environ.HTTP_X_AUTH_SUB, 'alb-user-1');
    assert.equal(environ.HTTP_X_AUTH_SOURCE, 'alb');
    assert.equal(environ.HTTP_X_AUTH_ANYTHING, undefined);
    assert.equal(environ.HTTP_X_AMZN_OIDC_IDENTITY, undefined);
    assert.equal(environ.HTTP_X_AMZN_OIDC_ACCESSTOKEN, undefined);
    // A public route carries no identity, and none of the client's.
    const open = await (await stack.request('/health', { headers: forged })).json();
    assert.deepEqual(Object.keys(open.environ).filter((k) => k.startsWith('HTTP_X_AUTH') || k.startsWith('HTTP_X_AMZN')), []);
  }));
});

describe("ALB's side headers travel only when the gate can vouch for them", () => {
  test('x-amzn-oidc-identity reaches origin only when it is the verified sub', () => withStack({}, async (stack) => {
    const signer = await stack.addAlbSigner();
    const token = await viewer(signer);
    await stack.request('/itsm/x', withAlb(token, { 'x-amzn-oidc-identity': 'alb-user-1' }));
    assert.equal(stack.origin.requests.at(-1).headers['x-amzn-oidc-identity'], 'alb-user-1');
    await stack.request('/itsm/x', withAlb(token, { 'x-amzn-oidc-identity': 'victim-sub' }));
    assert.equal(stack.origin.requests.at(-1).headers['x-amzn-oidc-identity'], undefined);
    // Cached or not, the same rule (the second request above was a cache hit).
    assert.equal((await stack.stats()).token_cache_hits >= 1, true);
  }));

  test('x-amzn-oidc-accesstoken is dropped unless ALB_FORWARD_ACCESS_TOKEN=true', async () => {
    for (const [flag, expected] of [[undefined, undefined], ['false', undefined], ['true', 'entra-access']]) {
      await withStack({ bindings: { ALB_FORWARD_ACCESS_TOKEN: flag } }, async (stack) => {
        const signer = await stack.addAlbSigner();
        const r = await stack.request('/itsm/x', withAlb(await viewer(signer), { 'x-amzn-oidc-accesstoken': 'entra-access' }));
        assert.equal(r.status, 200);
        assert.equal(stack.origin.requests.at(-1).headers['x-amzn-oidc-accesstoken'], expected, `flag ${flag}`);
      });
    }
  });

  test('ALB_FORWARD_ACCESS_TOKEN must be true or false', () => withStack({ bindings: { ALB_FORWARD_ACCESS_TOKEN: 'yes' } }, async (stack) => {
    const { status, body } = await readDeny(await stack.request('/health'));
    assert.equal(status, 500);
    assert.match(body.message, /ALB_FORWARD_ACCESS_TOKEN/);
  }));
});

describe('a flood of made-up kids cannot keep a rotated ALB key unfetched', () => {
  const COOLDOWN = 3;
  test(`rotated kid verifies within two cooldowns under a 100x flood from three addresses (cooldown ${COOLDOWN}s)`, () => withStack({
    bindings: { KEY_REFETCH_COOLDOWN_SECONDS: String(COOLDOWN), CLIENT_ADDRESS_HEADER: 'x-forwarded-for' },
  }, async (stack) => {
    const old = await stack.addAlbSigner();
    assert.equal((await stack.request('/itsm/x', withAlb(await viewer(old)))).status, 200);

    // The rotated key exists at the key server, but no token has named it yet.
    const rotated = await stack.addAlbSigner();
    const realTokens = await Promise.all(Array.from({ length: 50 }, (_, i) => viewer(rotated, { claims: { sub: `user-${i}` } })));
    // The attacker's tokens: well-formed, the right signer, made-up kids, one repeated
    // 60 times before the next (so each made-up kid is asked for far more than the real one).
    const ghostKid = () => randomUUID();
    let ghost = ghostKid();
    const attackTokens = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 60 === 0) ghost = ghostKid();
      attackTokens.push(await mintAlb(old, { header: { kid: ghost } }));
    }
    const fetchesBefore = stack.albServer.requests.length;
    const start = Date.now();
    let verifiedAt = null;
    let attack = 0;
    let real = 0;
    // Batches of 100 attack requests (3 addresses, each behind a forged X-Forwarded-For
    // entry) and 1 real request (one of 50 addresses) until the rotated kid verifies.
    while (Date.now() - start < 4 * COOLDOWN * 1000 && verifiedAt === null) {
      const batch = [];
      for (let i = 0; i < 100; i++, attack++) {
        const token = attackTokens[attack % attackTokens.length];
        batch.push(stack.request('/itsm/x', withAlb(token, { 'x-forwarded-for': `10.9.9.${attack % 250}, 203.0.113.${attack % 3}` })).then((r) => r.arrayBuffer()));
      }
      const userToken = realTokens[real % realTokens.length];
      const userAddress = `198.51.100.${real % 50}`;
      real++;
      batch.push(stack.request('/itsm/x', withAlb(userToken, { 'x-forwarded-for': userAddress })).then(async (r) => {
        await r.arrayBuffer();
        if (r.status === 200 && verifiedAt === null) verifiedAt = Date.now();
      }));
      await Promise.all(batch);
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = (Date.now() - start) / 1000;
    const fetches = stack.albServer.requests.length - fetchesBefore;
    console.log(`# flood: ${attack} attack and ${real} real requests in ${elapsed.toFixed(1)}s; rotated kid verified after ${verifiedAt && ((verifiedAt - start) / 1000).toFixed(1)}s; ${fetches} key fetches`);
    assert.ok(verifiedAt !== null, 'the rotated kid verified');
    assert.ok((verifiedAt - start) / 1000 <= 2 * COOLDOWN + 1, 'within two cooldowns of its first appearance');
    // The bound: one unknown-kid fetch per cooldown, plus the one that found the key.
    assert.ok(fetches <= Math.ceil(elapsed / COOLDOWN) + 2, `${fetches} key fetches in ${elapsed}s`);
    assert.ok(stack.albServer.requests.some((r) => r.url === `/${rotated.kid}`));
  }));
});

describe("the verified-token cache honours ALB's header exp", () => {
  test('a token whose header exp passed is not served from the cache', () => withStack({ bindings: { CLOCK_SKEW_SECONDS: '0' } }, async (stack) => {
    const signer = await stack.addAlbSigner();
    const token = await viewer(signer, { header: { exp: now() + 2 }, claims: { exp: now() + 600 } });
    assert.equal((await stack.request('/itsm/x', withAlb(token))).status, 200);
    assert.equal((await stack.request('/itsm/x', withAlb(token))).status, 200);
    assert.ok((await stack.stats()).token_cache_hits >= 1, 'the second request was a cache hit');
    await new Promise((r) => setTimeout(r, 3000));
    const { status, body } = await readDeny(await stack.request('/itsm/x', withAlb(token)));
    assert.equal(status, 401);
    assert.equal(body.error, 'token_expired');
  }));
});

describe('settings that must not fail open', () => {
  for (const value of [',', ' , ', ' ', '']) {
    test(`ALB_CLIENT_IDS = ${JSON.stringify(value)} is refused, not "any client"`, () => withStack({ bindings: { ALB_CLIENT_IDS: value } }, async (stack) => {
      const signer = await stack.addAlbSigner();
      const { status, body } = await readDeny(await stack.request('/itsm/x', withAlb(await viewer(signer, { header: { client: 'any-other-client' } }))));
      assert.equal(status, 500);
      assert.equal(body.error, 'invalid_config');
      assert.match(body.message, /^ALB_CLIENT_IDS /);
      assert.equal(stack.origin.requests.length, 0);
    }));
  }
  for (const name of ['ALB_ARNS', 'COGNITO_CLIENT_IDS']) {
    test(`${name} = "," is refused`, () => withStack({ bindings: { [name]: ',' } }, async (stack) => {
      const { status, body } = await readDeny(await stack.request('/health'));
      assert.equal(status, 500);
      assert.match(body.message, new RegExp(`^${name} `));
    }));
  }

  test('with ALB_ISSUER set, a token naming no issuer is refused (missing_claim)', () => withStack({}, async (stack) => {
    const signer = await stack.addAlbSigner();
    const noIss = await mintAlb(signer, { header: { iss: undefined }, claims: { iss: undefined, roles: ['viewer'] } });
    const { status, body } = await readDeny(await stack.request('/itsm/x', withAlb(noIss)));
    assert.equal(status, 401);
    assert.equal(body.error, 'missing_claim');
    // Either place is enough.
    for (const where of ['header', 'claims']) {
      const t = await mintAlb(signer, where === 'header'
        ? { header: {}, claims: { iss: undefined, roles: ['viewer'] } }
        : { header: { iss: undefined }, claims: { roles: ['viewer'] } });
      assert.equal((await stack.request('/itsm/x', withAlb(t))).status, 200, where);
    }
    assert.equal(stack.origin.requests.length, 2);
  }));

  test('ALB client: a token without "client" is refused when ALB_CLIENT_IDS is set, accepted when unset', async () => {
    await withStack({}, async (stack) => {
      const signer = await stack.addAlbSigner();
      const { status, body } = await readDeny(await stack.request('/itsm/x', withAlb(await viewer(signer, { header: { client: undefined } }))));
      assert.equal(status, 401);
      assert.equal(body.error, 'client_mismatch');
    });
    await withStack({ bindings: { ALB_CLIENT_IDS: undefined } }, async (stack) => {
      const signer = await stack.addAlbSigner();
      assert.equal((await stack.request('/itsm/x', withAlb(await viewer(signer, { header: { client: undefined } })))).status, 200);
    });
  });

  const outOfRange = [
    ['CLOCK_SKEW_SECONDS', ['999999999', '601', '-1', '1e3'], '600'],
    ['KEY_TTL_SECONDS', ['0', '86401'], '86400'],
    ['KEY_STALE_SECONDS', ['86401', '-5'], '0'],
    ['KEY_FETCH_TIMEOUT_MS', ['99', '30001'], '100'],
    ['KEY_REFETCH_COOLDOWN_SECONDS', ['0', '3601'], '3600'],
  ];
  for (const [name, bad, edge] of outOfRange) {
    test(`${name}: out of range is invalid_config, the bound itself is accepted`, async () => {
      for (const value of bad) {
        await withStack({ bindings: { [name]: value } }, async (stack) => {
          const { status, body } = await readDeny(await stack.request('/health'));
          assert.equal(status, 500, `${name}=${value}`);
          assert.equal(body.error, 'invalid_config');
          // The rule, never the value.
          assert.match(body.message, new RegExp(`^${name} must be a whole number from \\d+ to \\d+$`));
        });
      }
      await withStack({ bindings: { [name]: edge } }, async (stack) => {
        assert.equal((await stack.request('/health')).status, 200, `${name}=${edge}`);
      });
    });
  }
});

describe('denies do not disclose configuration', () => {
  test('an ALB header iss mismatch does not quote ALB_ISSUER; a Cognito token for another client does not list COGNITO_CLIENT_IDS', () => withStack({}, async (stack) => {
    const signer = await stack.addAlbSigner();
    const cog = await stack.addCognitoSigner();
    const denies = [
      await stack.request('/itsm/x', withAlb(await viewer(signer, { header: { iss: 'https://evil.example/' + 'x'.repeat(200) } }))),
      await stack.request('/itsm/x', { headers: { authorization: `Bearer ${await mintCognito(cog, cognitoClaims(stack.issuer, 'id', { aud: 'another-client-of-the-pool' }))}` } }),
      await stack.request('/itsm/x', { headers: { authorization: `Bearer ${await mintCognito(cog, cognitoClaims(stack.issuer, 'access', { client_id: 'another-client' }))}` } }),
      await stack.request('/itsm/x', { headers: { authorization: `Bearer ${await mintCognito(cog, cognitoClaims('https://other.example/pool', 'access'))}` } }),
    ];
    for (const r of denies) {
      const text = await r.text();
      const challenge = r.headers.get('www-authenticate') ?? '';
      assert.equal(r.status, 401, text);
      for (const secret of [ALB_ISSUER, COGNITO_CLIENT, stack.issuer, stack.albServer.url, stack.cognitoServer.url]) {
        assert.ok(!text.includes(secret), `body quotes ${secret}: ${text}`);
        assert.ok(!challenge.includes(secret), `challenge quotes ${secret}: ${challenge}`);
      }
      assert.ok(!text.includes('x'.repeat(40)), 'no long excerpt of the token');
    }
  }));
});

/** One raw HTTP/1.1 request (exact header names and values, nothing normalised). */
async function rawRequest(base, lines) {
  const { hostname, port } = new URL(base);
  const socket = net.connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(lines.join('\r\n') + '\r\n\r\n');
  const chunks = [];
  socket.on('data', (c) => chunks.push(c));
  await Promise.race([once(socket, 'end'), new Promise((r) => setTimeout(r, 5000))]);
  socket.destroy();
  return Buffer.concat(chunks).toString('latin1');
}

describe('hop-by-hop headers', () => {
  test("a client's Connection header cannot nominate the identity headers, and hop-by-hop headers stay here", () => withStack({}, async (stack) => {
    const signer = await stack.addAlbSigner();
    const { host } = new URL(stack.base);
    const answer = await rawRequest(stack.base, [
      'GET /itsm/x HTTP/1.1',
      `Host: ${host}`,
      `x-amzn-oidc-data: ${await viewer(signer)}`,
      'Connection: close, x-auth-roles, x-auth-sub, X-Custom',
      'X-Custom: hop',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Trailer: x-late',
      'Proxy-Authorization: Basic eDp5',
      'Proxy-Connection: keep-alive',
      'X-Kept: yes',
    ]);
    assert.match(answer, /^HTTP\/1\.1 200/);
    const seen = stack.origin.requests.at(-1).headers;
    assert.equal(seen['x-auth-roles'], 'viewer');
    assert.equal(seen['x-auth-sub'], 'alb-user-1');
    assert.equal(seen['x-kept'], 'yes');
    for (const name of ['x-custom', 'keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection']) {
      assert.equal(seen[name], undefined, `${name} reached origin: ${JSON.stringify(seen)}`);
    }
    assert.ok(!String(seen.connection ?? '').toLowerCase().includes('x-auth'), `connection: ${seen.connection}`);
  }));
});

describe('/logout from another site', () => {
  // node:http, not fetch: undici would add `sec-fetch-mode: cors` to every request.
  const fetchMeta = (mode, dest, site) => ({ 'sec-fetch-mode': mode, 'sec-fetch-dest': dest, 'sec-fetch-site': site });
  const errorOf = (r) => JSON.parse(r.body).error;
  test('a top-level navigation logs out; an image, frame or fetch from another site does not', () => withStack({}, async (stack) => {
    const nav = await plainRequest(stack.base, '/logout', { headers: fetchMeta('navigate', 'document', 'cross-site') });
    assert.equal(nav.status, 302);
    assert.ok(nav.headers['set-cookie'].length >= 4);
    for (const headers of [fetchMeta('no-cors', 'image', 'cross-site'), fetchMeta('navigate', 'iframe', 'cross-site'), fetchMeta('cors', 'empty', 'cross-site')]) {
      const r = await plainRequest(stack.base, '/logout', { headers });
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(errorOf(r), 'cross_site_request');
      assert.equal(r.headers['set-cookie'], undefined, 'no cookie cleared');
    }
  }));
  test('POST logs out from the same origin only', () => withStack({}, async (stack) => {
    const own = new URL(stack.base).origin;
    const post = (headers) => plainRequest(stack.base, '/logout', { method: 'POST', headers });
    assert.equal((await post({ 'sec-fetch-site': 'same-origin', origin: own })).status, 302);
    assert.equal((await post({ origin: own })).status, 302);
    for (const headers of [{ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, { origin: 'https://evil.example' }, {}, { 'sec-fetch-site': 'same-site' }]) {
      const r = await post(headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(errorOf(r), 'cross_site_request');
    }
    assert.equal((await plainRequest(stack.base, '/logout', { method: 'DELETE' })).status, 403);
  }));
});

describe('PATH_CASE', () => {
  test('default: /ADMIN is no rule of /admin (denied); insensitive: it meets the /admin rule', async () => {
    await withStack({}, async (stack) => {
      const signer = await stack.addAlbSigner();
      const { status, body } = await readDeny(await stack.request('/ADMIN/users', withAlb(await viewer(signer))));
      assert.equal(status, 403);
      assert.equal(body.error, 'no_matching_route');
    });
    await withStack({ bindings: { PATH_CASE: 'insensitive' } }, async (stack) => {
      const signer = await stack.addAlbSigner();
      const { status, body } = await readDeny(await stack.request('/ADMIN/users', withAlb(await viewer(signer))));
      assert.equal(status, 403);
      assert.equal(body.error, 'role_denied');
      const admin = await mintAlb(signer, { claims: { roles: ['super_admin'] } });
      const r = await stack.request('/Admin/Users', withAlb(admin));
      assert.equal(r.status, 200);
      assert.equal(stack.origin.requests.at(-1).url, '/Admin/Users', 'origin gets the path as sent');
    });
    await withStack({ bindings: { PATH_CASE: 'maybe' } }, async (stack) => {
      const { status, body } = await readDeny(await stack.request('/health'));
      assert.equal(status, 500);
      assert.match(body.message, /^PATH_CASE /);
    });
  });
});

describe('ALB key PEM read laxly (RFC 7468 §3)', () => {
  test('a key served with its base64 on one line, CRLF line ends or another wrap width verifies', () => withStack({}, async (stack) => {
    const body = (pem) => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const forms = [
      (pem) => `-----BEGIN PUBLIC KEY-----\n${body(pem)}\n-----END PUBLIC KEY-----`,
      (pem) => pem.replace(/\n/g, '\r\n'),
      (pem) => `-----BEGIN PUBLIC KEY-----\n${body(pem).match(/.{1,40}/g).join('  \n')}\n-----END PUBLIC KEY-----\n`,
    ];
    for (const form of forms) {
      const signer = await stack.addAlbSigner();
      stack.albKeys.set(signer.kid, form(signer.pem));
      const r = await stack.request('/itsm/x', withAlb(await viewer(signer)));
      assert.equal(r.status, 200, await r.text());
    }
    // Still refused: two blocks.
    const signer = await stack.addAlbSigner();
    stack.albKeys.set(signer.kid, signer.pem + signer.pem);
    const { status, body: deny } = await readDeny(await stack.request('/itsm/x', withAlb(await viewer(signer))));
    assert.equal(status, 503);
    assert.equal(deny.error, 'malformed_key');
  }));
});

describe('concurrent first requests for a new kid', () => {
  test('requests that arrive while the first fetch of a kid is under way wait for it instead of being refused', () => withStack({}, async (stack) => {
    const signer = await stack.addAlbSigner();
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => viewer(signer, { claims: { sub: `user-${i}` } })));
    const statuses = await Promise.all(tokens.map(async (t) => {
      const r = await stack.request('/itsm/x', withAlb(t));
      await r.arrayBuffer();
      return r.status;
    }));
    assert.deepEqual(statuses, Array(10).fill(200));
    assert.equal(stack.albServer.requests.filter((r) => r.url === `/${signer.kid}`).length, 1, 'one fetch');
  }));
});
