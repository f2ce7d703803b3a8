// The comparison: the same checks as the Rust gate, written the usual way with jose
// (bundled by bench/run.sh). Key cache per isolate, no verified-token cache (jose has none).
import { createRemoteJWKSet, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const albKeys = new Map();
let jwks;

const deny = (status, error) =>
  new Response(JSON.stringify({ error, message: error }), { status, headers: { 'content-type': 'application/json' } });

async function albKey(env, kid) {
  let key = albKeys.get(kid);
  if (!key) {
    const res = await fetch(`${env.ALB_KEYS_URL}/${kid}`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error('key fetch failed');
    key = await importSPKI(await res.text(), 'ES256');
    albKeys.set(kid, key);
  }
  return key;
}

async function verifyAlb(env, token) {
  const header = decodeProtectedHeader(token);
  if (header.alg !== 'ES256' || typeof header.kid !== 'string' || !UUID.test(header.kid)) throw new Error('bad header');
  if (!env.ALB_ARNS.split(',').includes(header.signer)) throw new Error('signer');
  if (env.ALB_CLIENT_IDS && !env.ALB_CLIENT_IDS.split(',').includes(header.client)) throw new Error('client');
  const { payload } = await jwtVerify(token, await albKey(env, header.kid), {
    algorithms: ['ES256'], clockTolerance: 60, requiredClaims: ['exp', 'sub'],
  });
  return { source: 'alb', payload };
}

async function verifyCognito(env, token) {
  jwks ??= createRemoteJWKSet(new URL(env.COGNITO_JWKS_URL), { timeoutDuration: 3000 });
  const { payload } = await jwtVerify(token, jwks, {
    algorithms: ['RS256'], issuer: env.COGNITO_ISSUER, clockTolerance: 60, requiredClaims: ['exp', 'sub', 'token_use'],
  });
  const clients = env.COGNITO_CLIENT_IDS.split(',');
  if (payload.token_use === 'access' ? !clients.includes(payload.client_id) : payload.token_use === 'id' ? !clients.includes(payload.aud) : true) {
    throw new Error('client');
  }
  return { source: 'cognito', payload };
}

// Same sources as the core's roles module: roles and cognito:groups verbatim, groups
// through the GROUP_ROLES table.
function roles(env, payload) {
  const table = JSON.parse(env.GROUP_ROLES);
  const out = new Set(Array.isArray(payload.roles) ? payload.roles : []);
  for (const g of payload['cognito:groups'] ?? []) out.add(g);
  for (const g of payload.groups ?? []) if (table[g]) out.add(table[g]);
  return [...out];
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const alb = request.headers.get('x-amzn-oidc-data');
    const auth = request.headers.get('authorization');
    let identity;
    try {
      if (alb) identity = await verifyAlb(env, alb);
      else if (auth?.toLowerCase().startsWith('bearer ')) identity = await verifyCognito(env, auth.slice(7));
      else return deny(401, 'missing_credential');
    } catch {
      return deny(401, 'invalid_token');
    }
    const r = roles(env, identity.payload);
    const read = request.method === 'GET' || request.method === 'HEAD';
    const allowed = url.pathname.startsWith('/itsm/') &&
      r.some((role) => (read ? ['viewer', 'itsm_agent', 'itsm_manager', 'super_admin'] : ['itsm_agent', 'itsm_manager', 'super_admin']).includes(role));
    if (!allowed) return deny(403, 'role_denied');
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
