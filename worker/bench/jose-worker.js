// The comparison: the same checks as the Rust gate, written the usual way with jose
// (bundled by bench/run.sh), so the benchmark compares like with like:
// - ALB: alg ES256 only, UUID kid, signer in ALB_ARNS, client in ALB_CLIENT_IDS, header
//   iss/exp when present, signature, exp (required), nbf, iat not in the future, claim iss
//   when ALB_ISSUER is set, sub;
// - Cognito: RS256 only, signature against the JWKS, exp/nbf/iat, iss, token_use and its
//   client (client_id or aud), sub;
// - roles from roles, cognito:groups, custom:role and groups (through GROUP_ROLES);
// - the route policy of the bench (GET /itsm/... needs a reader role), unsafe paths refused;
// - identity headers stripped, verified ones added, forwarded without following redirects.
// Key cache per isolate, no verified-token cache (jose has none). Settings parsed once.
import { createRemoteJWKSet, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNSAFE_PATH = /\/\.\.?(\/|$)|%2e|%2f|%5c|\\|\/\/|;|%00/i;
const SKEW = 60;
const albKeys = new Map();
let settings;

function load(env) {
  return settings ??= {
    arns: env.ALB_ARNS.split(','),
    albClients: env.ALB_CLIENT_IDS ? env.ALB_CLIENT_IDS.split(',') : null,
    cognitoClients: env.COGNITO_CLIENT_IDS.split(','),
    groupRoles: JSON.parse(env.GROUP_ROLES ?? '{}'),
    jwks: createRemoteJWKSet(new URL(env.COGNITO_JWKS_URL), { timeoutDuration: 3000 }),
  };
}

const deny = (status, error) =>
  new Response(JSON.stringify({ error, message: error }), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });

async function albKey(env, kid) {
  let key = albKeys.get(kid);
  if (!key) {
    const res = await fetch(`${env.ALB_KEYS_URL}/${kid}`, { signal: AbortSignal.timeout(3000), redirect: 'manual' });
    if (!res.ok) throw new Error('key fetch failed');
    key = await importSPKI(await res.text(), 'ES256');
    albKeys.set(kid, key);
  }
  return key;
}

function checkIat(payload) {
  if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + SKEW) throw new Error('iat');
}

async function verifyAlb(env, s, token) {
  const header = decodeProtectedHeader(token);
  if (header.alg !== 'ES256' || header.crit || typeof header.kid !== 'string' || !UUID.test(header.kid)) throw new Error('bad header');
  if (!s.arns.includes(header.signer)) throw new Error('signer');
  if (s.albClients && !s.albClients.includes(header.client)) throw new Error('client');
  if (env.ALB_ISSUER && header.iss !== undefined && header.iss !== env.ALB_ISSUER) throw new Error('iss');
  if (header.exp !== undefined && !(typeof header.exp === 'number' && Date.now() / 1000 < header.exp + SKEW)) throw new Error('exp');
  const { payload } = await jwtVerify(token, await albKey(env, header.kid), {
    algorithms: ['ES256'], clockTolerance: SKEW, requiredClaims: ['exp', 'sub'],
  });
  checkIat(payload);
  if (env.ALB_ISSUER && payload.iss !== undefined && payload.iss !== env.ALB_ISSUER) throw new Error('iss');
  return { source: 'alb', payload };
}

async function verifyCognito(env, s, token) {
  const { payload } = await jwtVerify(token, s.jwks, {
    algorithms: ['RS256'], issuer: env.COGNITO_ISSUER, clockTolerance: SKEW, requiredClaims: ['exp', 'sub', 'token_use'],
  });
  checkIat(payload);
  const ok = payload.token_use === 'access' ? s.cognitoClients.includes(payload.client_id)
    : payload.token_use === 'id' ? [payload.aud].flat().some((a) => s.cognitoClients.includes(a)) : false;
  if (!ok) throw new Error('client');
  return { source: 'cognito', payload };
}

// Same sources as the core's roles module.
function roles(s, payload) {
  const out = new Set(Array.isArray(payload.roles) ? payload.roles : typeof payload.roles === 'string' ? [payload.roles] : []);
  for (const g of Array.isArray(payload['cognito:groups']) ? payload['cognito:groups'] : []) out.add(g);
  if (typeof payload['custom:role'] === 'string') for (const r of payload['custom:role'].split(',')) out.add(r.trim());
  for (const g of Array.isArray(payload.groups) ? payload.groups : []) if (s.groupRoles[g]) out.add(s.groupRoles[g]);
  return [...out];
}

const READERS = ['viewer', 'itsm_agent', 'itsm_manager', 'super_admin'];
const WRITERS = ['itsm_agent', 'itsm_manager', 'super_admin'];

export default {
  async fetch(request, env) {
    const s = load(env);
    const url = new URL(request.url);
    if (UNSAFE_PATH.test(url.pathname)) return deny(400, 'invalid_path');
    const alb = request.headers.get('x-amzn-oidc-data');
    const auth = request.headers.get('authorization');
    let identity;
    try {
      if (alb) identity = await verifyAlb(env, s, alb);
      else if (auth?.toLowerCase().startsWith('bearer ')) identity = await verifyCognito(env, s, auth.slice(7).trim());
      else return deny(401, 'missing_credential');
    } catch {
      return deny(401, 'invalid_token');
    }
    const r = roles(s, identity.payload);
    const read = request.method === 'GET' || request.method === 'HEAD';
    const onItsm = url.pathname === '/itsm' || url.pathname.startsWith('/itsm/');
    if (!onItsm) return deny(403, 'no_matching_route');
    if (!r.some((role) => (read ? READERS : WRITERS).includes(role))) return deny(403, 'role_denied');
    const headers = new Headers();
    for (const [name, value] of request.headers) {
      if (name.startsWith('x-auth-') || (name.startsWith('x-amzn-oidc-') && identity.source !== 'alb') || name === 'host') continue;
      headers.append(name, value);
    }
    headers.set('x-auth-sub', identity.payload.sub);
    headers.set('x-auth-roles', r.join(','));
    headers.set('x-auth-source', identity.source);
    return fetch(env.ORIGIN_URL + url.pathname + url.search, {
      method: request.method, headers, body: request.body, redirect: 'manual',
    });
  },
};
