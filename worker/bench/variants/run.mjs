// Forward variants vs pass-through, in ONE workerd (Miniflare, one socket per worker), under
// autocannon: VARIANT_ROUNDS (default 7) interleaved rounds (order rotated each round) of
// VARIANT_SECONDS (default 5) per worker and case; median and min-max of req/s and of the
// workerd process's CPU µs per request (from /proc, as bench.mjs). `node bench/variants/run.mjs`
// from worker/. VARIANTS: comma-separated file stems (default: every *.js here).
// Cases: "bench" sends only an ALB token (as bench.mjs); "browser" adds the dozen headers a
// browser sends plus a forged x-auth-roles and x-amzn-oidc-identity.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Miniflare } from 'miniflare';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.VARIANT_SECONDS ?? 5);
const ROUNDS = Number(process.env.VARIANT_ROUNDS ?? 7);
const CASES = (process.env.VARIANT_CASES ?? 'bench,browser').split(',');
const stems = process.env.VARIANTS?.split(',') ?? fs.readdirSync(HERE).filter((f) => /^[a-z0-9]+-.*\.js$/.test(f)).map((f) => f.slice(0, -3)).sort();
const log = (...a) => console.error('[variants]', ...a);

const origin = spawn(process.execPath, [path.join(HERE, 'origin.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await once(origin.stdout, 'data');
const ORIGIN_URL = line.toString().trim();
process.on('exit', () => origin.kill());

const socket = [{ host: '127.0.0.1', port: 0 }];
const worker = (name, file) => ({ name, modules: true, scriptPath: file, compatibilityDate: '2026-04-01', bindings: { ORIGIN_URL }, unsafeDirectSockets: socket });
const names = ['pass', ...stems];
const mf = new Miniflare({
  host: '127.0.0.1',
  workers: [worker('pass', path.join(HERE, '../passthrough-worker.js')), ...stems.map((s) => worker(s, path.join(HERE, `${s}.js`)))],
});
await mf.ready;
const urls = {};
for (const n of names) urls[n] = (await mf.unsafeGetDirectURL(n)).toString().replace(/\/$/, '');

// A token-sized value (an ALB token is ~ 800 characters).
const token = `${randomBytes(40).toString('base64url')}.${randomBytes(500).toString('base64url')}.${randomBytes(64).toString('base64url')}`;
const browser = {
  accept: 'application/json, text/plain, */*', 'accept-encoding': 'gzip, deflate, br', 'accept-language': 'en-GB,en;q=0.9',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  referer: 'https://app.example.com/itsm', origin: 'https://app.example.com', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'empty', cookie: `AWSELBAuthSessionCookie-0=${randomBytes(300).toString('base64url')}`,
  'x-auth-roles': 'super_admin', 'x-amzn-oidc-identity': 'someone', 'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678',
};
const headersFor = { bench: { 'x-amzn-oidc-data': token }, browser: { ...browser, 'x-amzn-oidc-data': token } };

// Correctness first: every variant (but y and z, which do no header work) must send origin the
// same thing, and a POST body must arrive.
const expectOf = {};
for (const n of stems.filter((s) => !/^[yz]/.test(s))) {
  for (const [label, init] of [
    ['alb', { headers: { ...browser, 'x-amzn-oidc-data': token, 'X-Auth-Sub': 'forged' } }],
    ['bearer', { method: 'POST', body: 'hello', headers: { ...browser, authorization: 'Bearer t', 'x-amzn-oidc-data-extra': 'x' } }],
  ]) {
    const r = await fetch(`${urls[n]}/echo/a?b=1`, init);
    const got = await r.json();
    for (const k of ['content-length', 'transfer-encoding', 'cf-worker']) delete got.headers[k];
    const seen = JSON.stringify([got.method, got.url, got.body, Object.entries(got.headers).sort()]);
    expectOf[label] ??= { n, seen };
    if (expectOf[label].seen !== seen) throw new Error(`${n} forwards ${label} differently from ${expectOf[label].n}:\n${seen}\n${expectOf[label].seen}`);
    const bad = Object.keys(got.headers).filter((k) => k.startsWith('x-auth-') && !['x-auth-sub', 'x-auth-roles', 'x-auth-source'].includes(k));
    if (got.headers['x-auth-roles'] !== 'viewer' || bad.length || (label === 'bearer' && Object.keys(got.headers).some((k) => k.startsWith('x-amzn-oidc-')))) {
      throw new Error(`${n} ${label}: wrong headers ${JSON.stringify(got.headers)}`);
    }
  }
}
log('every variant forwards the same request; origin saw:', expectOf.alb?.seen);

const workerdPid = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).find((d) => {
  try {
    const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    return stat.includes('(workerd)') && stat.split(') ')[1].split(' ')[1] === String(process.pid);
  } catch { return false; }
});
const cpuMicros = () => {
  const f = fs.readFileSync(`/proc/${workerdPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e4;
};

async function run(name, headers, seconds) {
  const before = cpuMicros();
  const r = await autocannon({ url: `${urls[name]}/itsm/tickets?page=2`, connections: 10, duration: seconds, headers });
  if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, cpu: (cpuMicros() - before) / r.requests.total };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const out = [`${ROUNDS} interleaved rounds of ${SECONDS} s, 10 connections, one workerd; median (min-max)`];
for (const c of CASES) {
  for (const n of names) await run(n, headersFor[c], 1);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(round + k) % names.length];
      log(`${c} round ${round + 1}/${ROUNDS}: ${n}`);
      runs[n].push(await run(n, headersFor[c], SECONDS));
    }
  }
  // Per round, each variant's CPU over pass-through's in the same round: the ratio's spread
  // is what says whether a difference is beyond noise.
  const ratio = (n) => runs[n].map((r, i) => r.cpu / runs.pass[i].cpu);
  out.push('', `case ${c} (${Object.keys(headersFor[c]).length} client headers)`,
    '| worker | req/s | /pass | CPU µs/req | CPU /pass per round: median (min-max) |', '|---|---|---|---|---|');
  for (const n of names) {
    const rps = runs[n].map((r) => r.rps); const cpu = runs[n].map((r) => r.cpu); const q = ratio(n);
    out.push(`| ${n} | ${median(rps).toFixed(0)} (${Math.min(...rps).toFixed(0)}-${Math.max(...rps).toFixed(0)}) | ${(median(rps) / median(runs.pass.map((r) => r.rps))).toFixed(3)} | ${median(cpu).toFixed(1)} (${Math.min(...cpu).toFixed(1)}-${Math.max(...cpu).toFixed(1)}) | ${median(q).toFixed(3)} (${Math.min(...q).toFixed(3)}-${Math.max(...q).toFixed(3)}) |`);
  }
}
await mf.dispose();
origin.kill();
console.log(out.join('\n'));
