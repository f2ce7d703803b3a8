// Shared test fixtures: local key servers and a recording origin on 127.0.0.1, token
// minting (keys generated per run), and the worker under Miniflare (workerd in process).
import http from 'node:http';
import { once } from 'node:events';
import { randomUUID, webcrypto } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';

const subtle = webcrypto.subtle;
export const WORKER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ALB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/edge-test/50dc6c495c0c9188';
export const OTHER_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/0000000000000000';
export const ALB_CLIENT = 'entra-app-client';
export const ALB_ISSUER = 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0';
export const COGNITO_CLIENT = 'cognito-app-client';
export const TENANT = '11111111-2222-3333-4444-555555555555';

export const GROUP_ROLES = {
  'SG-StackFlow-Admins': 'super_admin',
  'SG-StackFlow-ITSM-Managers': 'itsm_manager',
  'SG-StackFlow-Agents': 'itsm_agent',
  'SG-StackFlow-ReadOnly': 'viewer',
};

export const POLICY = {
  rules: [
    { path: '/health', public: true },
    { path: '/admin', match: 'prefix', roles: ['super_admin'] },
    { path: '/itsm', match: 'prefix', methods: ['GET', 'HEAD'], roles: ['viewer', 'itsm_agent', 'itsm_manager', 'super_admin'] },
    { path: '/itsm', match: 'prefix', roles: ['itsm_agent', 'itsm_manager', 'super_admin'] },
  ],
};

export const now = () => Math.floor(Date.now() / 1000);

/** A small HTTP server on 127.0.0.1 with a swappable handler; records every request. */
export async function startServer(handler) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const record = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() };
      server.requests.push(record);
      server.handler(req, res, record);
    });
  });
  server.requests = [];
  server.handler = handler;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  server.url = `http://127.0.0.1:${server.address().port}`;
  server.hanging = new Set();
  server.on('connection', (socket) => {
    server.hanging.add(socket);
    socket.on('close', () => server.hanging.delete(socket));
  });
  server.stop = async () => {
    for (const s of server.hanging) s.destroy();
    server.close();
  };
  return server;
}

// ---------- token minting ----------

const b64url = (bytes, padded = false) => {
  const s = Buffer.from(bytes).toString('base64url');
  return padded ? s + '='.repeat((4 - (s.length % 4)) % 4) : s;
};
export const b64json = (obj, padded = false) => b64url(Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj)), padded);

/** An ALB-style signer: P-256 key, UUID kid, PEM served at {keys}/{kid}. */
export async function albSigner() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid: randomUUID(), privateKey, pem: await exportSPKI(publicKey) };
}

/** Signs `header.claims` (segments as given) with ES256, P1363 signature. */
export async function es256Sign(privateKey, signingInput) {
  const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, Buffer.from(signingInput));
  return new Uint8Array(sig);
}

/** A P1363 (r‖s) ECDSA signature as ASN.1 DER, the way non-JOSE signers encode it. */
export function p1363ToDer(sig) {
  const int = (bytes) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let v = bytes.slice(i);
    if (v[0] & 0x80) v = Uint8Array.from([0, ...v]);
    return [0x02, v.length, ...v];
  };
  const body = [...int(sig.slice(0, 32)), ...int(sig.slice(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

export function albHeader(signer, overrides = {}) {
  return { typ: 'JWT', alg: 'ES256', kid: signer.kid, signer: ALB_ARN, iss: ALB_ISSUER, client: ALB_CLIENT, exp: now() + 600, ...overrides };
}

export function albClaims(overrides = {}) {
  return { sub: 'alb-user-1', email: 'user@example.com', exp: now() + 600, iss: ALB_ISSUER, ...overrides };
}

/**
 * Mints an ALB token. `padded` mimics ALB's `=`-padded segments. `header`/`claims` may be
 * objects or raw strings (for non-JSON tests); `mutate` may rewrite the signature bytes.
 */
export async function mintAlb(signer, { header = {}, claims = {}, padded = false, rawHeader, rawClaims, der = false } = {}) {
  const h = rawHeader ?? albHeader(signer, header);
  const c = rawClaims ?? albClaims(claims);
  const input = `${b64json(h, padded)}.${b64json(c, padded)}`;
  let sig = await es256Sign(signer.privateKey, input);
  if (der) sig = p1363ToDer(sig);
  return `${input}.${b64url(sig, padded)}`;
}

/** A Cognito-style signer: RSA-2048, JWKS served by the test server. */
export async function cognitoSigner(kid = randomUUID()) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, jwk };
}

export function cognitoClaims(issuer, tokenUse, overrides = {}) {
  const base = { sub: 'cognito-user-1', iss: issuer, token_use: tokenUse, exp: now() + 600, iat: now(), 'cognito:groups': ['viewer'] };
  if (tokenUse === 'access') base.client_id = COGNITO_CLIENT;
  else base.aud = COGNITO_CLIENT;
  return { ...base, ...overrides };
}

/** RS256 by hand, for headers jose refuses to produce (an unknown `crit`). */
export async function signRs256(signer, header, claims) {
  const input = `${b64json(header)}.${b64json(claims)}`;
  const sig = await subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, signer.privateKey, Buffer.from(input));
  return `${input}.${b64url(new Uint8Array(sig))}`;
}

export async function mintCognito(signer, claims, header = {}) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signer.kid, ...header }).sign(signer.privateKey);
}

// ---------- the stack: key servers, origin, worker ----------

export async function startStack({ bindings = {}, alb = true, cognito = true, script = 'test/harness-worker.js', miniflare = {} } = {}) {
  const albKeys = new Map();
  const jwks = { keys: [] };
  const modes = { alb: 'ok', cognito: 'ok' };

  const fault = (mode, res) => {
    if (mode === '500') { res.writeHead(500); res.end('boom'); return true; }
    if (mode === 'hang') return true; // never answers
    if (mode === 'garbage') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('this is not a key {{{'); return true; }
    if (mode === 'slow-body') { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('-----BEGIN'); return true; }
    return false;
  };
  const albServer = await startServer((req, res) => {
    if (fault(modes.alb, res)) return;
    const pem = albKeys.get(req.url.slice(1));
    if (!pem) { res.writeHead(404); res.end('not found'); return; }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(pem);
  });
  const cognitoServer = await startServer((req, res) => {
    if (fault(modes.cognito, res)) return;
    if (req.url !== '/pool/.well-known/jwks.json') { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  const origin = await startServer((req, res, record) => {
    if (record.url.startsWith('/itsm/redirect')) {
      res.writeHead(302, { location: '/itsm/elsewhere' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, method: record.method, url: record.url }));
  });

  const issuer = `${cognitoServer.url}/pool`;
  const env = {
    ORIGIN_URL: origin.url,
    GROUP_ROLES: JSON.stringify(GROUP_ROLES),
    POLICY: JSON.stringify(POLICY),
    KEY_FETCH_TIMEOUT_MS: '1000',
    ENTRA_TENANT_ID: TENANT,
    ENTRA_AUTHORITY: 'https://login.microsoftonline.com',
    LOGOUT_REDIRECT_URI: 'https://app.example.com/signed-out',
    ...(alb ? { ALB_ARNS: ALB_ARN, ALB_CLIENT_IDS: ALB_CLIENT, ALB_ISSUER, ALB_KEYS_URL: albServer.url } : {}),
    ...(cognito ? { COGNITO_ISSUER: issuer, COGNITO_CLIENT_IDS: COGNITO_CLIENT } : {}),
    ...bindings,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];

  const options = {
    modules: true,
    scriptPath: path.join(WORKER_DIR, script),
    modulesRoot: WORKER_DIR,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-01',
    bindings: env,
    host: '127.0.0.1',
    ...miniflare,
  };
  const mf = new Miniflare(options);
  const base = (await mf.ready).toString().replace(/\/$/, '');

  const stack = {
    mf, options, base, origin, albServer, cognitoServer, albKeys, jwks, modes, issuer, env,
    /** Request through the worker; never follows redirects. */
    async request(pathname, init = {}) {
      return mf.dispatchFetch(`${base}${pathname}`, { redirect: 'manual', ...init });
    },
    async stats() {
      return (await mf.dispatchFetch(`${base}/__test/stats`)).json();
    },
    async addAlbSigner() {
      const s = await albSigner();
      albKeys.set(s.kid, s.pem);
      return s;
    },
    async addCognitoSigner() {
      const s = await cognitoSigner();
      jwks.keys.push(s.jwk);
      return s;
    },
    async close() {
      await mf.dispose();
      await Promise.all([albServer.stop(), cognitoServer.stop(), origin.stop()]);
    },
  };
  return stack;
}

/** Reads a deny: status, parsed JSON body, headers. */
export async function readDeny(response) {
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { raw: text }; }
  return { status: response.status, body, headers: response.headers };
}

/**
 * A request through node:http, which sends exactly the headers given: `fetch` (undici, as
 * `dispatchFetch` uses) adds `sec-fetch-mode: cors` to every request, which a browser's
 * navigation never carries. Resolves to { status, headers (lower-case names; set-cookie an
 * array), body }.
 */
export async function plainRequest(base, pathname, { method = 'GET', headers = {} } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: pathname, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `body` with a stack of its own (`startStack(options)`), closed afterwards. */
export async function withStack(options, body) {
  const stack = await startStack(options);
  try {
    return await body(stack);
  } finally {
    await stack.close();
  }
}
