// Load benchmark (a script, not a test): pass-through vs a jose worker vs ours, side by side
// in ONE workerd process (Miniflare, three workers, each on its own 127.0.0.1 socket), under
// autocannon. ES256 (ALB) and RS256 (Cognito); all-unique tokens, and each token repeated
// 20 times. Prints req/s, p99 and the ratios ours/jose and ours/pass-through.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import autocannon from 'autocannon';
import { Miniflare } from 'miniflare';
import {
  WORKER_DIR, ALB_ARN, ALB_CLIENT, COGNITO_CLIENT, GROUP_ROLES, POLICY,
  albSigner, mintAlb, cognitoSigner, mintCognito, cognitoClaims,
} from '../test/helpers.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const REPEAT = 20;
// Enough distinct tokens that none is sent twice at up to this rate.
const UNIQUE_POOL = Number(process.env.BENCH_UNIQUE_TOKENS ?? SECONDS * 7000);

const log = (...a) => console.error('[bench]', ...a);

// ---- keys and tokens (generated per run) ----
const alb = await albSigner();
const cog = await cognitoSigner();

async function mintMany(n, mint) {
  const out = new Array(n);
  const BATCH = 512;
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => mint(i + j).then((t) => { out[i + j] = t; })));
  }
  return out;
}

// ---- servers (own process) ----
const servers = spawn(process.execPath, [path.join(WORKER_DIR, 'bench/servers.mjs'),
  JSON.stringify({ albKeys: { [alb.kid]: alb.pem }, jwks: { keys: [cog.jwk] } })], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await once(servers.stdout, 'data');
const urls = JSON.parse(line.toString());
const issuer = `${urls.cognito}/pool`;

const common = {
  ORIGIN_URL: urls.origin,
  ALB_ARNS: ALB_ARN, ALB_CLIENT_IDS: ALB_CLIENT, ALB_KEYS_URL: urls.alb,
  COGNITO_ISSUER: issuer, COGNITO_JWKS_URL: `${urls.cognito}/pool/.well-known/jwks.json`, COGNITO_CLIENT_IDS: COGNITO_CLIENT,
  GROUP_ROLES: JSON.stringify(GROUP_ROLES), POLICY: JSON.stringify(POLICY),
};
const rules = [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }];
const socket = [{ host: '127.0.0.1', port: 0 }];
const mf = new Miniflare({
  host: '127.0.0.1',
  workers: [
    { name: 'passthrough', modules: true, scriptPath: path.join(WORKER_DIR, 'bench/passthrough-worker.js'), compatibilityDate: '2026-04-01', bindings: common, unsafeDirectSockets: socket },
    { name: 'jose', modules: true, scriptPath: path.join(WORKER_DIR, 'bench/.build/jose-worker.js'), compatibilityDate: '2026-04-01', bindings: common, unsafeDirectSockets: socket },
    { name: 'ours', modules: true, modulesRoot: WORKER_DIR, modulesRules: rules, scriptPath: path.join(WORKER_DIR, 'src/index.js'), compatibilityDate: '2026-04-01', bindings: common, unsafeDirectSockets: socket },
  ],
});
await mf.ready;
const workerUrls = {};
for (const name of ['passthrough', 'jose', 'ours']) workerUrls[name] = (await mf.unsafeGetDirectURL(name)).toString().replace(/\/$/, '');

async function run(name, header, tokens, repeat, seconds) {
  let i = 0;
  const result = await autocannon({
    url: `${workerUrls[name]}/itsm/tickets`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{
      setupRequest(req) {
        const token = tokens[Math.floor(i++ / repeat) % tokens.length];
        req.headers = { ...req.headers, [header]: header === 'authorization' ? `Bearer ${token}` : token };
        return req;
      },
    }],
  });
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts, sent: i };
}

const rows = [];
try {
  for (const [alg, header, mint] of [
    ['ES256 (ALB)', 'x-amzn-oidc-data', (n) => mintAlb(alb, { claims: { sub: `user-${n}`, roles: ['viewer'] } })],
    ['RS256 (Cognito)', 'authorization', (n) => mintCognito(cog, cognitoClaims(issuer, 'access', { sub: `user-${n}` }))],
  ]) {
    log(`minting ${UNIQUE_POOL} ${alg} tokens`);
    const tokens = await mintMany(UNIQUE_POOL, mint);
    // Sanity: every worker accepts the token before it is measured.
    for (const name of Object.keys(workerUrls)) {
      const r = await fetch(`${workerUrls[name]}/itsm/tickets`, { headers: { [header]: header === 'authorization' ? `Bearer ${tokens[0]}` : tokens[0] } });
      if (r.status !== 200) throw new Error(`${name} answered ${r.status} for a valid ${alg} token: ${await r.text()}`);
      await run(name, header, tokens.slice(-2000), 1, WARMUP);
    }
    for (const [mode, repeat] of [['unique', 1], [`repeated x${REPEAT}`, REPEAT]]) {
      const row = { alg, mode };
      for (const name of ['passthrough', 'jose', 'ours']) {
        log(`${alg} ${mode}: ${name}`);
        row[name] = await run(name, header, tokens, repeat, SECONDS);
        if (repeat === 1 && row[name].sent > tokens.length) log(`note: ${name} sent ${row[name].sent} requests, more than ${tokens.length} unique tokens`);
      }
      rows.push(row);
    }
  }
} finally {
  await mf.dispose();
  servers.kill();
}

const fmt = (n, d = 0) => n.toFixed(d);
const lines = [
  `autocannon: ${CONNECTIONS} connections, ${SECONDS} s per case, one workerd (Miniflare) running all three workers, 127.0.0.1`,
  '',
  '| alg | tokens | pass-through req/s (p99 ms) | jose req/s (p99 ms) | ours req/s (p99 ms) | ours/jose | ours/pass-through | non-2xx (pt/jose/ours) |',
  '|---|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  const cell = (x) => `${fmt(x.rps)} (${fmt(x.p99)})`;
  lines.push(`| ${r.alg} | ${r.mode} | ${cell(r.passthrough)} | ${cell(r.jose)} | ${cell(r.ours)} | ${fmt(r.ours.rps / r.jose.rps, 2)} | ${fmt(r.ours.rps / r.passthrough.rps, 2)} | ${r.passthrough.non2xx}/${r.jose.non2xx}/${r.ours.non2xx} |`);
}
console.log(lines.join('\n'));
