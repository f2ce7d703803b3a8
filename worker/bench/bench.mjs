// Load benchmark (a script, not a test): pass-through vs a jose worker vs ours, side by side
// in ONE workerd process (Miniflare, three workers, each on its own 127.0.0.1 socket), under
// autocannon. ES256 (ALB) and RS256 (Cognito); all-unique tokens, and each token repeated
// 20 times. Prints req/s, p99 and the ratios ours/jose and ours/pass-through.
//
// Built for a small, shared, noisy machine: each case runs the three workers interleaved
// (A B C, then B C A, C A B, ...) for BENCH_ROUNDS rounds of BENCH_SECONDS each, and the
// table shows the median per worker, so load from elsewhere hits all three alike. The
// spread (min-max req/s over the rounds) is printed too, and the workerd process's CPU time per
// request (median), which moves far less with outside load than req/s does.
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair } from 'jose';
import { Miniflare } from 'miniflare';
import {
  WORKER_DIR,
  albSigner, mintAlb, cognitoSigner, mintCognito, cognitoClaims,
} from '../test/helpers.mjs';
import { startServers } from './setup.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const REPEAT = 20;
// Distinct tokens for the unique case, sent in order and cycled per worker. The pool is 4x
// our verified-token cache (4096 entries, LRU), so a token comes back only after 16k others
// pushed it out: every request of the unique case is a cache miss (jose has no cache).
const UNIQUE_POOL = Number(process.env.BENCH_UNIQUE_TOKENS ?? 16384);
// BENCH_FLOOR=1 adds a fourth worker (bench/headers-worker.js): pass-through plus only the
// header work every forward needs (strip, three x-auth-* headers), the floor for a cache hit.
const FLOOR = process.env.BENCH_FLOOR === '1';
// BENCH_ASSERTION=1 adds our worker twice more with the identity assertion on (a P-256 key
// generated per run): `assert` with the default binding (one signature per token, reused),
// `assert-bound` with ASSERTION_BIND=request (one signature per request).
const ASSERTION = process.env.BENCH_ASSERTION === '1';
// BENCH_LOG_BATCH=N adds our worker once more with LOG_BATCH_LINES=N (`batched`): allow lines
// written N per console.log, as a self-hosted gate would run (worker/README.md).
const LOG_BATCH = process.env.BENCH_LOG_BATCH ?? '';
// BENCH_VERIFY_FLOOR=1 adds bench/verify-floor-worker.js: the headers-only floor plus the
// least a verifier must do with a new token (signature through WebCrypto, `exp`), the floor
// for unique tokens: its req/s over jose's bounds how far any verifier can be ahead of jose.
const VERIFY_FLOOR = process.env.BENCH_VERIFY_FLOOR === '1';
const NAMES = ['passthrough', 'jose', 'ours', ...(FLOOR ? ['headers'] : []), ...(VERIFY_FLOOR ? ['verifyfloor'] : []), ...(ASSERTION ? ['assert', 'assert-bound'] : []), ...(LOG_BATCH ? ['batched'] : [])];

// BENCH_MODES: which token cases to run (default both): unique (every request a new token)
// and/or repeated (each token 20 times: cache hits).
const MODES = (process.env.BENCH_MODES ?? 'unique,repeated').split(',');
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
const { servers, bindings: common } = await startServers(alb, cog);
const issuer = common.COGNITO_ISSUER;
const rules = [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }];
const socket = [{ host: '127.0.0.1', port: 0 }];
// BENCH_BINDINGS: extra settings (JSON) for our worker, e.g. '{"LOG_ALLOW_SAMPLE":"0"}'.
const ours = { ...common, ...JSON.parse(process.env.BENCH_BINDINGS ?? '{}') };
const assertionKey = ASSERTION ? JSON.stringify(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)) : '';
const asserting = { ...ours, ASSERTION_KEY: assertionKey, ASSERTION_ISSUER: 'https://gate.bench', ASSERTION_AUDIENCE: 'https://origin.bench' };
const mf = new Miniflare({
  host: '127.0.0.1',
  // The worker's decision log (a line per request by default) is read and dropped: its cost
  // inside workerd is measured, the terminal is not flooded. stderr (errors) still shows.
  handleRuntimeStdio: (stdout, stderr) => { stdout.resume(); stderr.pipe(process.stderr); },
  workers: [
    { name: 'passthrough', modules: true, scriptPath: path.join(WORKER_DIR, 'bench/passthrough-worker.js'), compatibilityDate: '2026-04-01', bindings: common, unsafeDirectSockets: socket },
    { name: 'jose', modules: true, scriptPath: path.join(WORKER_DIR, 'bench/.build/jose-worker.js'), compatibilityDate: '2026-04-01', bindings: common, unsafeDirectSockets: socket },
    { name: 'ours', modules: true, modulesRoot: WORKER_DIR, modulesRules: rules, scriptPath: path.join(WORKER_DIR, 'src/index.js'), compatibilityDate: '2026-04-01', bindings: ours, unsafeDirectSockets: socket },
    ...(FLOOR ? [{ name: 'headers', modules: true, scriptPath: path.join(WORKER_DIR, 'bench/headers-worker.js'), compatibilityDate: '2026-04-01', bindings: common, unsafeDirectSockets: socket }] : []),
    ...(VERIFY_FLOOR ? [{ name: 'verifyfloor', modules: true, scriptPath: path.join(WORKER_DIR, 'bench/verify-floor-worker.js'), compatibilityDate: '2026-04-01', bindings: common, unsafeDirectSockets: socket }] : []),
    ...(LOG_BATCH ? [
      { name: 'batched', modules: true, modulesRoot: WORKER_DIR, modulesRules: rules, scriptPath: path.join(WORKER_DIR, 'src/index.js'), compatibilityDate: '2026-04-01', bindings: { ...ours, LOG_BATCH_LINES: LOG_BATCH }, unsafeDirectSockets: socket },
    ] : []),
    ...(ASSERTION ? [
      { name: 'assert', modules: true, modulesRoot: WORKER_DIR, modulesRules: rules, scriptPath: path.join(WORKER_DIR, 'src/index.js'), compatibilityDate: '2026-04-01', bindings: asserting, unsafeDirectSockets: socket },
      { name: 'assert-bound', modules: true, modulesRoot: WORKER_DIR, modulesRules: rules, scriptPath: path.join(WORKER_DIR, 'src/index.js'), compatibilityDate: '2026-04-01', bindings: { ...asserting, ASSERTION_BIND: 'request' }, unsafeDirectSockets: socket },
    ] : []),
  ],
});
await mf.ready;
const workerUrls = {};
for (const name of NAMES) workerUrls[name] = (await mf.unsafeGetDirectURL(name)).toString().replace(/\/$/, '');

// workerd's CPU time (user + system, µs), from /proc: the CPU a request costs the worker
// process is far less noisy than req/s on a shared machine (the load generator and origin
// compete for the same cores). Linux only; elsewhere the column is left out.
const workerdPid = (() => {
  try {
    return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).find((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        return stat.includes('(workerd)') && stat.split(') ')[1].split(' ')[1] === String(process.pid);
      } catch { return false; }
    });
  } catch { return undefined; }
})();
const ticksToMicros = 1e6 / 100; // USER_HZ is 100 on Linux
function workerdCpuMicros() {
  if (!workerdPid) return NaN;
  const fields = fs.readFileSync(`/proc/${workerdPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * ticksToMicros;
}

// Where each worker is in the token pool (so a worker never restarts the pool at a token
// it saw in its previous round).
const cursor = {};
async function run(name, header, tokens, repeat, seconds) {
  const key = `${name}/${header}/${repeat}`;
  let i = cursor[key] ?? 0;
  const start = i;
  const cpuBefore = workerdCpuMicros();
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
  cursor[key] = i;
  const cpu = (workerdCpuMicros() - cpuBefore) / result.requests.total;
  return { rps: result.requests.average, p99: result.latency.p99, cpu, non2xx: result.non2xx, errors: result.errors + result.timeouts, sent: i - start };
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
    for (const [mode, repeat] of [['unique', 1], [`repeated x${REPEAT}`, REPEAT]].filter(([m]) => MODES.includes(m.split(' ')[0]))) {
      const names = NAMES;
      const runs = Object.fromEntries(names.map((n) => [n, []]));
      for (let round = 0; round < ROUNDS; round++) {
        // Rotate the order each round: nobody always runs first (or right after another).
        for (let k = 0; k < names.length; k++) {
          const name = names[(round + k) % names.length];
          log(`${alg} ${mode} round ${round + 1}/${ROUNDS}: ${name}`);
          runs[name].push(await run(name, header, tokens, repeat, SECONDS));
        }
      }
      const row = { alg, mode };
      for (const name of names) row[name] = summarize(runs[name]);
      rows.push(row);
    }
  }
} finally {
  await mf.dispose();
  servers.kill();
}

function summarize(runs) {
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
  const rps = runs.map((r) => r.rps);
  return {
    rps: median(rps), p99: median(runs.map((r) => r.p99)), cpu: median(runs.map((r) => r.cpu)), min: Math.min(...rps), max: Math.max(...rps),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0), errors: runs.reduce((a, r) => a + r.errors, 0),
  };
}

const fmt = (n, d = 0) => n.toFixed(d);
const lines = [
  `autocannon: ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per worker and case (median shown), one workerd (Miniflare) running all the workers, 127.0.0.1`,
  '',
  '| alg | tokens | pass-through req/s (p99 ms) | jose req/s (p99 ms) | ours req/s (p99 ms) | ours/jose | ours/pass-through | non-2xx (pt/jose/ours) | spread req/s (pt; jose; ours) | workerd CPU µs/req (pt; jose; ours) |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  const cell = (x) => `${fmt(x.rps)} (${fmt(x.p99)})`;
  lines.push(`| ${r.alg} | ${r.mode} | ${cell(r.passthrough)} | ${cell(r.jose)} | ${cell(r.ours)} | ${fmt(r.ours.rps / r.jose.rps, 2)} | ${fmt(r.ours.rps / r.passthrough.rps, 2)} | ${r.passthrough.non2xx}/${r.jose.non2xx}/${r.ours.non2xx} | ${[r.passthrough, r.jose, r.ours].map((x) => `${fmt(x.min)}-${fmt(x.max)}`).join('; ')} | ${[r.passthrough, r.jose, r.ours].map((x) => fmt(x.cpu)).join('; ')} |`);
}
if (FLOOR) {
  lines.push('', '| alg | tokens | headers-only floor req/s (p99 ms) | ours/floor | workerd CPU µs/req (floor; ours) |', '|---|---|---|---|---|');
  for (const r of rows) {
    lines.push(`| ${r.alg} | ${r.mode} | ${fmt(r.headers.rps)} (${fmt(r.headers.p99)}) | ${fmt(r.ours.rps / r.headers.rps, 2)} | ${fmt(r.headers.cpu)}; ${fmt(r.ours.cpu)} |`);
  }
}
if (VERIFY_FLOOR) {
  // Unique tokens: every request a signature check. floor/jose is the most any verifier can
  // be ahead of jose here.
  lines.push('', '| alg | tokens | verify floor req/s (p99 ms) | floor/jose req/s | ours/floor req/s | CPU jose/floor | CPU ours/floor | workerd CPU µs/req (floor; jose; ours) |', '|---|---|---|---|---|---|---|---|');
  for (const r of rows.filter((x) => x.mode === 'unique')) {
    const f = r.verifyfloor;
    lines.push(`| ${r.alg} | ${r.mode} | ${fmt(f.rps)} (${fmt(f.p99)}) | ${fmt(f.rps / r.jose.rps, 2)} | ${fmt(r.ours.rps / f.rps, 2)} | ${fmt(r.jose.cpu / f.cpu, 2)} | ${fmt(r.ours.cpu / f.cpu, 2)} | ${fmt(f.cpu)}; ${fmt(r.jose.cpu)}; ${fmt(r.ours.cpu)} |`);
  }
}
if (ASSERTION) {
  // The signature's cost is the CPU difference to `ours` where every request signs: every
  // unique token (both bindings), every request when bound.
  const vs = (x, y) => (y ? fmt(x.rps / y.rps, 2) : '-');
  lines.push('', `| alg | tokens | assert req/s (p99 ms) | assert-bound req/s (p99 ms) | assert/ours | assert-bound/ours | assert/floor | assert-bound/floor | workerd CPU µs/req (ours; assert; assert-bound) |`, '|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const a = r.assert;
    const b = r['assert-bound'];
    lines.push(`| ${r.alg} | ${r.mode} | ${fmt(a.rps)} (${fmt(a.p99)}) | ${fmt(b.rps)} (${fmt(b.p99)}) | ${vs(a, r.ours)} | ${vs(b, r.ours)} | ${vs(a, r.headers)} | ${vs(b, r.headers)} | ${fmt(r.ours.cpu)}; ${fmt(a.cpu)}; ${fmt(b.cpu)} |`);
  }
}
if (LOG_BATCH) {
  // CPU per request is the figure that moves least with outside load; req/s beside it.
  const cpu = (x, y) => (y ? fmt(x.cpu / y.cpu, 2) : '-');
  lines.push('', `| alg | tokens | batched (LOG_BATCH_LINES=${LOG_BATCH}) req/s (p99 ms) | batched/jose req/s | CPU ours/floor | CPU batched/floor | workerd CPU µs/req (ours; batched; floor) |`, '|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const b = r.batched;
    lines.push(`| ${r.alg} | ${r.mode} | ${fmt(b.rps)} (${fmt(b.p99)}) | ${fmt(b.rps / r.jose.rps, 2)} | ${cpu(r.ours, r.headers)} | ${cpu(b, r.headers)} | ${fmt(r.ours.cpu)}; ${fmt(b.cpu)}; ${r.headers ? fmt(r.headers.cpu) : '-'} |`);
  }
}
console.log(lines.join('\n'));
