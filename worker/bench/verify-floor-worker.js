// The floor for a token seen for the first time (BENCH_VERIFY_FLOOR=1): the headers-only
// floor (bench/headers-worker.js) plus the least any verifier must do with a new token, and
// nothing else: split it, base64url-decode the signature, hand the signing input and the
// signature to WebCrypto with a key imported once per isolate, and read the payload (JSON)
// for `exp`. No header checks, no claim checks past `exp`, no roles, no policy.
//
// No verifier can spend less per unique token, so req/s here over jose's is the most any
// verifier can be ahead of jose: if this is under 1.1×, "≥ 1.1× jose" cannot be met.
const keys = new Map();

async function albKey(env, kid) {
  const pem = await (await fetch(`${env.ALB_KEYS_URL}/${kid}`)).text();
  const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, '')), (c) => c.charCodeAt(0));
  return crypto.subtle.importKey('spki', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
}

async function cognitoKey(env, kid) {
  const { keys: jwks } = await (await fetch(env.COGNITO_JWKS_URL)).json();
  const jwk = jwks.find((k) => k.kid === kid);
  return crypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
}

const ALGORITHMS = { alb: { name: 'ECDSA', hash: 'SHA-256' }, cognito: { name: 'RSASSA-PKCS1-v1_5' } };
const encoder = new TextEncoder();
const fromB64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '')), (c) => c.charCodeAt(0));
const deny = () => new Response('{"error":"invalid_token"}', { status: 401 });

export default {
  async fetch(request, env) {
    const h = request.headers;
    const alb = h.get('x-amzn-oidc-data');
    const authorization = h.get('authorization');
    const source = alb !== null ? 'alb' : 'cognito';
    const token = alb ?? authorization?.slice(7);
    if (!token) return deny();
    const [header, payload, signature] = token.split('.');
    const { kid } = JSON.parse(atob(header.replace(/-/g, '+').replace(/_/g, '/')));
    const cacheKey = `${source}/${kid}`;
    let key = keys.get(cacheKey);
    if (!key) {
      key = await (source === 'alb' ? albKey(env, kid) : cognitoKey(env, kid));
      keys.set(cacheKey, key);
    }
    const input = encoder.encode(token.slice(0, header.length + payload.length + 1));
    if (!(await crypto.subtle.verify(ALGORITHMS[source], key, fromB64url(signature), input))) return deny();
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    if (!(claims.exp > Date.now() / 1000)) return deny();

    // From here on, exactly the headers-only floor's work.
    const url = new URL(request.url);
    const out = new Request(env.ORIGIN_URL + url.pathname + url.search, request);
    for (const name of [...h.keys()]) {
      if (name.startsWith('x-auth-') || name === 'host' || (alb === null && name.startsWith('x-amzn-oidc-'))) {
        out.headers.delete(name);
      }
    }
    out.headers.set('x-auth-sub', 'user');
    out.headers.set('x-auth-roles', 'viewer');
    out.headers.set('x-auth-source', source);
    return fetch(out).catch(() => new Response('{"error":"network_error"}', { status: 503 }));
  },
};
