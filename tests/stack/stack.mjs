// The whole local stack on 127.0.0.1: the Entra-shaped provider, the OBO service (the Rust
// binary in tests/obo-service), one edge gate (the worker, self-hosted under the workerd
// binary) in front of one origin (the API under /api, seed 000's app elsewhere), seed 000's
// ALB listener signing users in, ALB's key endpoint, and a static server for www/ (demo
// page + built package).
//
//   browser ──login──▶ provider          browser ──OBO──▶ OBO service (Cognito-shaped tokens)
//   browser ──Bearer──▶ edge gate ──verified x-auth-* headers──▶ origin (/api)
//   browser ──▶ ALB listener ──x-amzn-oidc-data──▶ the same edge gate ──▶ origin (the app)
//
// `node stack.mjs` runs it in the foreground (www/demo.sh does); tests import
// `startStack()` and get handles to stop and restart the parts.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { API_APP_ID, COGNITO, DEFAULT_PORTS, DEMO_SCOPES, GROUP_ROLES, SPA_CLIENT_ID, TENANT_ID } from './config.mjs';
import { startAlb } from './alb.mjs';
import { API_POLICY_RULES, startEdge } from './edge.mjs';
import { startOrigin } from './origin.mjs';
import { startProvider } from './provider.mjs';
import { gateSettings, giftApp, POLICY_RULES as SEED000_POLICY_RULES, seed000App, startSeed000 } from './seed000.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** Serves `root` read-only, and each `mounts` prefix from its own folder (the Vite example's
 * build under `/app/`); `/demo/config.json` is the local stack's demo configuration;
 * `redirects` maps paths to other URLs (the demo page's link to seed 000's ALB). */
function startStatic({ port, root, mounts = {}, demoConfig, redirects = {} }) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(302, { Location: '/demo/' }).end();
      return;
    }
    if (Object.hasOwn(redirects, url.pathname)) {
      res.writeHead(302, { Location: redirects[url.pathname] }).end();
      return;
    }
    if (url.pathname === '/demo/config.json') {
      res.writeHead(200, { 'Content-Type': MIME['.json'], 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(demoConfig, null, 2));
      return;
    }
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    let base = root;
    for (const [prefix, folder] of Object.entries(mounts)) {
      if (pathname.startsWith(prefix)) {
        base = folder;
        pathname = pathname.slice(prefix.length - 1);
        break;
      }
    }
    const file = path.resolve(base, `.${pathname}`);
    if (!file.startsWith(base + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    // The demo's deep links (`/demo/tickets/42`) are the demo page, as a SPA host serves them.
    const spaRoute = pathname.startsWith('/demo/') && !path.extname(pathname);
    fs.readFile(spaRoute ? path.join(root, 'demo/index.html') : file, (err, data) => {
      if (err) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, {
        'Content-Type': spaRoute ? MIME['.html'] : MIME[path.extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        // The callback URL carries the code until the page replaces it: never send it on.
        'Referrer-Policy': 'no-referrer',
      });
      // A deep link's page resolves the demo's relative URLs from the demo's folder.
      if (spaRoute) data = Buffer.from(String(data).replace('<head>', '<head><base href="/demo/">'));
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, close: () => new Promise((r) => server.close(r)) }));
  });
}

/** Runs the OBO binary with a generated config; resolves once it listens. */
function oboService({ bin, configPath, log }) {
  let child = null;
  // OBO exchanges answered, from the service's request log (the tests count them).
  const counts = { exchanges: 0 };
  const start = () => new Promise((resolve, reject) => {
    child = spawn(bin, [configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Whatever ends this process (a failed test, Ctrl-C), the service ends with it.
    const own = child;
    process.once('exit', () => own.kill('SIGTERM'));
    let ready = false;
    const timer = setTimeout(() => reject(new Error('the OBO service did not start within 60 s')), 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        log(`[obo] ${line}`);
        if (line.startsWith('POST /obo/exchange -> 200')) counts.exchanges += 1;
        if (!ready && line.includes('listening on')) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => log(`[obo] ${chunk.trimEnd()}`));
    child.once('exit', (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`the OBO service exited with ${code} before listening`));
      }
      child = null;
    });
  });
  const stop = () => new Promise((resolve) => {
    if (!child) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { start, stop, counts };
}

/**
 * Starts every part. Options: `ports` ({provider, obo, web, edge, origin, alb}),
 * `accessTokenTtl` (seconds, the provider's access tokens), `appTokenTtl` (seconds, the
 * OBO service's app tokens), `oboBin`, `workerDir`, `log`.
 */
export async function startStack({
  ports = DEFAULT_PORTS,
  accessTokenTtl = 3600,
  appTokenTtl = 3600,
  oboBin = process.env.OBO_BIN ?? path.join(repo, 'target/debug/local-obo-service'),
  workerDir = path.join(repo, 'worker'),
  log = () => {},
} = {}) {
  const webOrigin = `http://127.0.0.1:${ports.web}`;
  const oboOrigin = `http://127.0.0.1:${ports.obo}`;
  // Whatever started is stopped again if a later part fails to start.
  const closers = [];
  const closeAll = () => Promise.allSettled(closers.reverse().map((close) => close()));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entra-edge-auth-stack-'));
  closers.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    // Seed 000: the ALB's app registration, signed in through the ALB listener stand-in.
    const albListenerPort = ports.albListener ?? 27070;
    const albApp = seed000App({ listenerPort: albListenerPort });
    const provider = await startProvider({ port: ports.provider, webOrigin, accessTokenTtl, albApp, log });
    closers.push(() => provider.close());

    const configPath = path.join(dir, 'obo-config.json');
    fs.writeFileSync(configPath, JSON.stringify({
      listen: `127.0.0.1:${ports.obo}`,
      entra: { authority_host: provider.origin, tenant_id: TENANT_ID, audiences: [API_APP_ID] },
      group_roles: GROUP_ROLES,
      cognito: { region: COGNITO.region, user_pool_id: COGNITO.userPoolId, app_client_id: COGNITO.appClientId },
      token_ttl_secs: appTokenTtl,
      cors_origins: [webOrigin],
      // POST /test/rotate-key: the browser tests rotate the app tokens' signing key.
      test_controls: true,
    }, null, 2));
    const obo = oboService({ bin: oboBin, configPath, log });
    await obo.start();
    closers.push(() => obo.stop());

    const app = giftApp({ log });
    const origin = await startOrigin({ port: ports.origin, corsOrigin: webOrigin, pages: app, log });
    closers.push(() => origin.close());
    // ALB authenticates against the same Entra tenant, with the SPA's client.
    const alb = await startAlb({ port: ports.alb, issuer: provider.issuer, clientId: SPA_CLIENT_ID, log });
    closers.push(() => alb.close());

    // One gate for both paths: the SPA's app tokens (Cognito-shaped, from the OBO service),
    // the stand-in's and the listener's ALB tokens, the ALB app's Entra API tokens.
    const seedGate = gateSettings({ provider, alb, albApp, listenerPort: albListenerPort });
    const edge = await startEdge({
      port: ports.edge,
      workerDir,
      log,
      settings: {
        ...seedGate,
        ORIGIN_URL: origin.url,
        POLICY: JSON.stringify({ rules: [...API_POLICY_RULES, ...SEED000_POLICY_RULES] }),
        GROUP_ROLES: JSON.stringify(Object.fromEntries(GROUP_ROLES.map((r) => [r.group, r.role]))),
        // The OBO service's tokens: Cognito's issuer string, keys from the service itself.
        COGNITO_ISSUER: `https://cognito-idp.${COGNITO.region}.amazonaws.com/${COGNITO.userPoolId}`,
        COGNITO_JWKS_URL: `${oboOrigin}/.well-known/jwks.json`,
        COGNITO_CLIENT_IDS: COGNITO.appClientId,
        // The stand-in's /sign tokens name the SPA's client; the listener's, the ALB app's.
        ALB_CLIENT_IDS: `${SPA_CLIENT_ID},${seedGate.ALB_CLIENT_IDS}`,
        // The demo shows why a request was refused (deny bodies carry the detailed reason).
        EXPOSE_DENY_DETAIL: 'true',
      },
    });
    closers.push(() => edge.close());

    const seed000 = await startSeed000({ provider, alb, albApp, listenerPort: albListenerPort, gate: edge, app, log });
    closers.push(() => seed000.close());

    const demoConfig = {
      name: 'Local stack',
      tenantId: TENANT_ID,
      clientId: SPA_CLIENT_ID,
      authorityHost: provider.origin,
      redirectUri: `${webOrigin}/demo/`,
      postLogoutRedirectUri: `${webOrigin}/demo/`,
      scopes: DEMO_SCOPES,
      oboEndpoint: `${oboOrigin}/obo/exchange`,
      // Through the edge worker; the page derives the other demo routes from this URL.
      apiUrl: `${edge.url}/api/tickets`,
      // auth.fetch gives the app token to the edge worker only.
      apiOrigins: [edge.url],
      // Declared to the provider as Entra expects (`xms_cc` in the claims parameter).
      clientCapabilities: ['CP1'],
      groupRoles: GROUP_ROLES,
    };
    const web = await startStatic({
      port: ports.web,
      root: path.join(repo, 'www'),
      // Built by tests/browser/bundler.test.mjs (not by the demo): 404 until then.
      mounts: { '/app/': path.join(repo, 'tests/bundler/dist') },
      demoConfig,
      redirects: { '/seed000': `${seed000.url}/` },
    });
    closers.push(() => web.close());

    return {
      urls: {
        demo: `${webOrigin}/demo/`,
        app: `${webOrigin}/app/`,
        provider: provider.origin,
        issuer: provider.issuer,
        obo: oboOrigin,
        edge: edge.url,
        origin: origin.url,
        alb: alb.url,
        seed000: `${seed000.url}/`,
      },
      seed000,
      demoConfig,
      provider,
      obo,
      provider,
      origin,
      alb,
      edge,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

// `node stack.mjs`: run until Ctrl-C.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = (name, fallback) => Number(process.env[name] ?? fallback);
  const stack = await startStack({
    ports: Object.fromEntries(Object.entries(DEFAULT_PORTS).map(([name, fallback]) => [name, port(`${name.toUpperCase()}_PORT`, fallback)])),
    accessTokenTtl: port('ACCESS_TOKEN_TTL', 3600),
    appTokenTtl: port('APP_TOKEN_TTL', 3600),
    log: (line) => console.log(line),
  });
  // REQUIRE_ACRS=c1: the origin API answers a claims challenge until the sign-in satisfied
  // that authentication context (the demo's step-up).
  stack.origin.settings.requireAcrs = process.env.REQUIRE_ACRS || undefined;
  console.log(`
  Local Entra (OpenID provider): ${stack.urls.issuer}
  OBO exchange service:          ${stack.urls.obo}/obo/exchange
  Edge gate (workerd binary):    ${stack.urls.edge}   (in front of the origin; both paths below)
  Protected API route:           ${stack.urls.edge}/api/tickets
  Origin API (behind the edge):  ${stack.urls.origin}
  ALB stand-in (keys, signer):   ${stack.urls.alb}/${stack.alb.kid}

  An ALB-style request through the worker:
    curl -s -H "x-amzn-oidc-data: $(curl -s -d '{"sub":"alb-user","groups":["SG-StackFlow-Agents"]}' ${stack.urls.alb}/sign)" ${stack.urls.edge}/api/tickets

  Seed 000 (sign in through the ALB listener, then the same gate): ${stack.urls.seed000}

  Demo: ${stack.urls.demo}

  Press Ctrl-C to stop.`);
  const shutdown = async () => {
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
