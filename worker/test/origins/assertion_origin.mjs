// An origin that trusts only requests carrying a valid gate assertion, with jose: the check
// worker/README.md shows for Node, run for real in the worker tests. The gate's JWKS from
// its public path (createRemoteJWKSet caches it and refetches on an unknown kid), ES256
// only, `iss`, `aud`, `exp`/`iat` required, and with ASSERTION_BIND=request the method and
// path (`htm`, `htu`). Anything else answers 401.
//
//   node assertion_origin.mjs JWKS_URL AUDIENCE ISSUER [request]
//
// Prints its port (127.0.0.1, chosen by the system) on the first line, then serves until
// killed. Answers 200 with the verified claims as JSON, and the assertion itself (so a test
// can replay what the gate made; a real origin has no reason to echo it).
import http from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUrl, audience, issuer, binding] = process.argv.slice(2);
const jwks = createRemoteJWKSet(new URL(jwksUrl));

async function verifiedClaims(assertion, method, path) {
  const { payload } = await jwtVerify(assertion, jwks, {
    algorithms: ['ES256'], issuer, audience, requiredClaims: ['exp', 'iat', 'sub'],
  });
  if (binding === 'request' && (payload.htm !== method || payload.htu !== path)) {
    throw new Error('made for another method or path');
  }
  return payload;
}

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, 'http://origin').pathname;
  let status = 200;
  const assertion = req.headers['x-auth-assertion'] ?? '';
  let body;
  try {
    body = { ok: true, claims: await verifiedClaims(assertion, req.method, path), assertion };
  } catch (e) {
    status = 401;
    body = { error: 'invalid_assertion', why: e.code ?? e.message };
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
