// A local stand-in for an AWS ALB listener rule with `authenticate-oidc` in front of one
// target, behaving as AWS documents it ("Authenticate users using an Application Load
// Balancer", elasticloadbalancing/latest/application/listener-authenticate-users.html):
//
// - a request without a valid session: `on-unauthenticated-request` decides — `authenticate`
//   (default) answers 302 to the IdP's authorization endpoint (code flow, the rule's scope,
//   `state` and `nonce`), `deny` answers 401, `allow` forwards without the OIDC headers;
// - `/oauth2/idpresponse` (the redirect URI every IdP app registers for an ALB): `error=`
//   from the IdP ends in the ALB's 401 page; otherwise the code is redeemed at the token
//   endpoint as a confidential client (`client_secret`), the ID token is checked (issuer,
//   signature, audience, nonce), the userinfo endpoint is called with the access token, and
//   the session cookie `AWSELBAuthSessionCookie-0` is set (sharded `-1`, `-2`, … when the
//   session is over 4 KB), then 302 back to the URL first asked for;
// - with a session: the request is forwarded to the target with `x-amzn-oidc-data` (ES256,
//   `=`-padded base64url segments, `signer`/`client`/`kid`/`exp`/`iss` in the header, the
//   **userinfo** claims as payload; signed with the key alb.mjs serves as PEM at `/{kid}`),
//   `x-amzn-oidc-identity` (userinfo `sub`) and `x-amzn-oidc-accesstoken`; whatever
//   `x-amzn-oidc-*` headers the client sent are replaced (removed first, always);
// - a session past its timeout counts as none (with `authenticate`: back to the IdP).
//
// The session lives in the cookie, sealed with AES-256-GCM under a key made per run, as the
// real ALB keeps it in its (encrypted) cookie. Listens on 127.0.0.1 only. Test infrastructure.

import crypto from 'node:crypto';
import http from 'node:http';

import { createRemoteJWKSet, jwtVerify } from 'jose';

export const CALLBACK_PATH = '/oauth2/idpresponse';
/** The cookie size at which ALB starts a new shard. */
export const SHARD_BYTES = 4096;
const DEFAULT_COOKIE = 'AWSELBAuthSessionCookie';

/** ALB's own error page body (it answers 401 with a bare HTML page, not the target's). */
export const UNAUTHORIZED_PAGE = '<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n</body>\r\n</html>\r\n';

/** `value` cut into `name-0`, `name-1`, … cookies of at most SHARD_BYTES each (name included). */
export function shardCookie(name, value, attributes) {
  const room = SHARD_BYTES - `${name}-00=`.length - attributes.length - 2;
  const shards = [];
  for (let i = 0; i === 0 || i * room < value.length; i++) {
    shards.push(`${name}-${i}=${value.slice(i * room, (i + 1) * room)}; ${attributes}`);
  }
  return shards;
}

/** The shards `name-0`, `name-1`, … of a Cookie header, joined in order (stops at a gap). */
export function joinShards(name, cookieHeader) {
  const jar = new Map();
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  let value = '';
  for (let i = 0; jar.has(`${name}-${i}`); i++) value += jar.get(`${name}-${i}`);
  return { value, names: [...jar.keys()].filter((n) => n.startsWith(`${name}-`)) };
}

const seal = (key, object) => {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(object)), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
};
const unseal = (key, text) => {
  try {
    const raw = Buffer.from(text, 'base64url');
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString());
  } catch {
    return null;
  }
};

/**
 * Starts the listener on 127.0.0.1:`port` (0: any free port) in front of `target` (a base
 * URL). `signer` is alb.mjs's (its `mint` signs `x-amzn-oidc-data`); `idp` holds the
 * rule's `issuer`, `authorizationEndpoint`, `tokenEndpoint`, `userInfoEndpoint`, `jwksUri`,
 * `clientId`, `clientSecret`, `scope`. `onUnauthenticatedRequest`: authenticate | deny |
 * allow. `sessionTimeout` in seconds (ALB's default is 604800, 7 days).
 */
export async function startAlbListener({
  port = 0,
  target,
  signer,
  idp,
  onUnauthenticatedRequest = 'authenticate',
  sessionTimeout = 604800,
  sessionCookieName = DEFAULT_COOKIE,
  log = () => {},
}) {
  if (!['authenticate', 'deny', 'allow'].includes(onUnauthenticatedRequest)) {
    throw new Error(`on-unauthenticated-request must be authenticate, deny or allow, not ${onUnauthenticatedRequest}`);
  }
  const sealKey = crypto.randomBytes(32);
  /** The rule's settings tests may change while it runs (new sessions take them). */
  const settings = { sessionTimeout, scope: idp.scope };
  const jwks = createRemoteJWKSet(new URL(idp.jwksUri));
  /** state → { nonce, returnTo, expires }: logins in progress (ALB keeps them 15 minutes). */
  const pending = new Map();
  const counts = { forwarded: 0, redirectedToIdp: 0, unauthorized: 0 };
  let self;

  const unauthorized = (res, why) => {
    counts.unauthorized++;
    log(`[alb-listener] 401: ${why}`);
    res.writeHead(401, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' }).end(UNAUTHORIZED_PAGE);
  };

  function redirectToIdp(req, res) {
    const state = crypto.randomBytes(32).toString('base64url');
    const nonce = crypto.randomBytes(32).toString('base64url');
    pending.set(state, { nonce, returnTo: req.url, expires: Date.now() + 15 * 60_000 });
    const url = new URL(idp.authorizationEndpoint);
    url.search = new URLSearchParams({
      client_id: idp.clientId,
      response_type: 'code',
      scope: settings.scope,
      redirect_uri: `${self}${CALLBACK_PATH}`,
      state,
      nonce,
    }).toString();
    counts.redirectedToIdp++;
    res.writeHead(302, { Location: url.href, 'Cache-Control': 'no-store' }).end();
  }

  async function callback(req, res, url) {
    const state = url.searchParams.get('state') ?? '';
    const login = pending.get(state);
    pending.delete(state);
    if (url.searchParams.has('error')) {
      return unauthorized(res, `the IdP answered ${url.searchParams.get('error')}: ${url.searchParams.get('error_description') ?? ''}`);
    }
    if (!login || login.expires < Date.now()) return unauthorized(res, 'unknown or expired state');
    const code = url.searchParams.get('code');
    if (!code) return unauthorized(res, 'no code');
    // A confidential client: the secret goes to the token endpoint.
    const tokenResponse = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${self}${CALLBACK_PATH}`,
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
      }),
    });
    const tokens = await tokenResponse.json().catch(() => ({}));
    if (!tokenResponse.ok || !tokens.id_token || !tokens.access_token) {
      return unauthorized(res, `token endpoint: ${tokenResponse.status} ${tokens.error ?? ''}`);
    }
    let idClaims;
    try {
      ({ payload: idClaims } = await jwtVerify(tokens.id_token, jwks, { issuer: idp.issuer, audience: idp.clientId }));
    } catch (e) {
      return unauthorized(res, `ID token: ${e.code ?? e.message}`);
    }
    if (idClaims.nonce !== login.nonce) return unauthorized(res, 'ID token nonce mismatch');
    const info = await fetch(idp.userInfoEndpoint, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    const userinfo = await info.json().catch(() => null);
    if (!info.ok || !userinfo?.sub) return unauthorized(res, `userinfo: ${info.status}`);
    const session = {
      userinfo,
      accessToken: tokens.access_token,
      expires: Math.floor(Date.now() / 1000) + settings.sessionTimeout,
    };
    const attributes = `Path=/; Max-Age=${settings.sessionTimeout}; HttpOnly; SameSite=Lax`;
    const cookies = shardCookie(sessionCookieName, seal(sealKey, session), attributes);
    // Shards of an older, larger session would be joined onto the new one: expire them.
    const kept = new Set(cookies.map((c) => c.slice(0, c.indexOf('='))));
    for (const stale of joinShards(sessionCookieName, req.headers.cookie).names) {
      if (!kept.has(stale)) cookies.push(`${stale}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`);
    }
    log(`[alb-listener] signed in ${userinfo.sub} (${cookies.length} cookie shard(s))`);
    res.writeHead(302, { Location: login.returnTo, 'Set-Cookie': cookies, 'Cache-Control': 'no-store' }).end();
  }

  function forward(req, res, session) {
    const headers = { ...req.headers };
    // Client-sent OIDC headers never pass: ALB replaces them.
    for (const name of Object.keys(headers)) if (name.startsWith('x-amzn-oidc-')) delete headers[name];
    if (session) {
      headers['x-amzn-oidc-data'] = signer.mint(session.userinfo, { client: idp.clientId, issuer: idp.issuer });
      headers['x-amzn-oidc-identity'] = session.userinfo.sub;
      headers['x-amzn-oidc-accesstoken'] = session.accessToken;
    }
    // Like ALB: the client's address appended to X-Forwarded-For (earlier entries are the
    // client's own word), and the protocol and port it came in on.
    const address = req.socket.remoteAddress;
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${address}` : address;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-port'] = String(req.socket.localPort);
    const targetUrl = new URL(req.url, target);
    headers.host = targetUrl.host;
    counts.forwarded++;
    const upstream = http.request(targetUrl, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    req.pipe(upstream);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, self);
    if (url.pathname === CALLBACK_PATH) {
      callback(req, res, url).catch((e) => unauthorized(res, e.message));
      return;
    }
    const { value } = joinShards(sessionCookieName, req.headers.cookie);
    const session = value ? unseal(sealKey, value) : null;
    const live = session && session.expires > Math.floor(Date.now() / 1000) ? session : null;
    if (live) return forward(req, res, live);
    if (onUnauthenticatedRequest === 'allow') return forward(req, res, null);
    if (onUnauthenticatedRequest === 'deny') return unauthorized(res, 'no session (deny)');
    redirectToIdp(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  self = `http://127.0.0.1:${server.address().port}`;
  return {
    url: self,
    counts,
    settings,
    /** The rule's client secret, for tests that play another client of the same app. */
    secretForTests: idp.clientSecret,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
