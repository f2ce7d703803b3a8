// A local stand-in for AWS ALB's OIDC token signing: a P-256 key generated per run under a
// UUID kid, its public key served as PEM at `/{kid}` (as
// `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}` does), and a signer that
// mints `x-amzn-oidc-data` tokens the way ALB does: ES256 with a raw r‖s signature, the
// `signer` ARN and `client` in the header, and every segment base64url **with `=` padding**.
//
// `POST /sign` (JSON claims in, token out) lets a person try it with curl; it listens on
// 127.0.0.1 only, like the rest of the stack.

import crypto from 'node:crypto';
import http from 'node:http';

/** The made-up load balancer whose tokens the worker accepts. */
export const ALB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/stackflow-local/0123456789abcdef';

/** base64url with the `=` padding ALB keeps. */
const padded = (buffer) => {
  const s = Buffer.from(buffer).toString('base64url');
  return s + '='.repeat((4 - (s.length % 4)) % 4);
};

/**
 * Starts the key server on `127.0.0.1:port`. `issuer` and `clientId` are what ALB puts in
 * the header (the IdP's issuer, the OIDC client it authenticated with).
 */
export async function startAlb({ port, issuer, clientId, log = () => {} }) {
  const kid = crypto.randomUUID();
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });

  /** An `x-amzn-oidc-data` token for `claims` (`exp` defaults to two minutes, as ALB's).
   * `client` and `iss` default to the ones given at start (alb-listener.mjs passes its rule's). */
  function mint(claims, { ttl = 120, client = clientId, issuer: iss = issuer } = {}) {
    const exp = Math.floor(Date.now() / 1000) + ttl;
    const header = { typ: 'JWT', kid, alg: 'ES256', iss, client, signer: ALB_ARN, exp };
    const input = `${padded(JSON.stringify(header))}.${padded(JSON.stringify({ exp, iss, ...claims }))}`;
    const signature = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${padded(signature)}`;
  }

  const server = http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === `/${kid}`) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(pem);
      return;
    }
    if (req.method === 'POST' && req.url === '/sign') {
      let body = '';
      for await (const chunk of req) {
        body += chunk;
        if (body.length > 16 * 1024) return res.writeHead(413).end();
      }
      let claims;
      try {
        claims = JSON.parse(body);
      } catch {
        return res.writeHead(400, { 'Content-Type': 'text/plain' }).end('the body must be JSON claims');
      }
      log(`[alb] signed a token for ${claims.sub}`);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(mint(claims));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    kid,
    arn: ALB_ARN,
    mint,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
