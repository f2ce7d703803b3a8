// The origin behind the edge worker: an API under /api that checks no token (the worker did)
// and reports what it received, so the demo page and the tests can see the identity the
// worker vouched for, and, on every other path, seed 000's app pages (`pages`). The API
// answers CORS for the demo page's origin on every response, preflights included (the
// worker's policy lets `OPTIONS` through to it without a credential).

import http from 'node:http';

/** The headers the report echoes: the worker's verified identity. */
const IDENTITY = ['x-auth-sub', 'x-auth-roles', 'x-auth-source'];

/** What the demo page may send cross-origin. `X-Auth-Roles` is allowed only so the page
 * (and the tests) can show that a spoofed one never arrives: the worker strips it. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Auth-Roles';

const TICKETS = [
  { id: 'INC-1042', title: 'VPN drops every 20 minutes', state: 'in_progress' },
  { id: 'CHG-311', title: 'Rotate the ALB certificate', state: 'scheduled' },
];

/** The API's paths: `/api` and below. */
const isApiPath = (pathname) => pathname === '/api' || pathname.startsWith('/api/');

/**
 * Starts the origin on `127.0.0.1:port`. `corsOrigin` is the demo page's origin. Every
 * request to the API is kept in `requests` (method, path, headers) for the tests; `pages`,
 * when given, answers every path outside the API (seed 000's app, seed000.mjs giftApp).
 */
export async function startOrigin({ port, corsOrigin, pages, log = () => {} }) {
  const requests = [];
  // `requireAcrs`: a test makes the API answer a claims challenge (see claimsChallenge).
  const settings = { requireAcrs: undefined };
  const server = http.createServer((req, res) => {
    if (pages && !isApiPath(new URL(req.url, 'http://127.0.0.1').pathname)) {
      pages.handle(req, res);
      return;
    }
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      requests.push({ method: req.method, path: url.pathname, headers: { ...req.headers }, at: Date.now() });
      const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Vary: 'Origin' };
      if (req.headers.origin === corsOrigin) {
        Object.assign(headers, {
          'Access-Control-Allow-Origin': corsOrigin,
          'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
          'Access-Control-Allow-Headers': ALLOWED_HEADERS,
          'Access-Control-Max-Age': '600',
          'Access-Control-Expose-Headers': 'WWW-Authenticate',
        });
      }
      if (req.method === 'OPTIONS') {
        log(`[origin] OPTIONS ${url.pathname} -> 204`);
        res.writeHead(204, headers).end();
        return;
      }
      const challenge = claimsChallenge(settings.requireAcrs, req.headers.authorization);
      if (challenge) {
        log(`[origin] ${req.method} ${url.pathname} -> 401 insufficient_claims`);
        res.writeHead(401, { ...headers, 'WWW-Authenticate': challenge }).end(JSON.stringify({ error: 'insufficient_claims' }));
        return;
      }
      const received = Object.fromEntries(IDENTITY.map((name) => [name, req.headers[name] ?? null]));
      // Any other `x-auth-*` header would be one the worker failed to strip: report it.
      const otherAuthHeaders = Object.keys(req.headers).filter((n) => n.startsWith('x-auth-') && !IDENTITY.includes(n));
      const report = {
        origin: 'demo origin API (checks no token: the edge worker did)',
        method: req.method,
        path: url.pathname,
        received,
        otherAuthHeaders,
        ...(url.pathname === '/api/tickets' && req.method === 'GET' ? { tickets: TICKETS } : {}),
        ...(url.pathname === '/api/tickets' && req.method === 'POST' ? { created: { id: 'INC-1043', state: 'new' } } : {}),
      };
      log(`[origin] ${req.method} ${url.pathname} sub=${received['x-auth-sub']} roles=${received['x-auth-roles']} source=${received['x-auth-source']}`);
      res.writeHead(200, headers).end(JSON.stringify(report));
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    settings,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/**
 * A claims challenge (Microsoft's format: `Bearer realm="", error="insufficient_claims",
 * claims="<base64 of a claims request>"`) when `acrs` is required and the app token does
 * not carry it. The edge worker verified the token; origin only reads its claims.
 */
function claimsChallenge(acrs, authorization) {
  if (!acrs) return undefined;
  let claims = {};
  try {
    claims = JSON.parse(Buffer.from(String(authorization).split('.')[1], 'base64url'));
  } catch { /* no token: challenged like any other */ }
  if (Array.isArray(claims.acrs) && claims.acrs.includes(acrs)) return undefined;
  const request = Buffer.from(JSON.stringify({ access_token: { acrs: { essential: true, value: acrs } } })).toString('base64');
  return `Bearer realm="", error="insufficient_claims", claims="${request}"`;
}
