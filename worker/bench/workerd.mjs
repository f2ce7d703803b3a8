// The self-hosted gate under load (a script, not a test): `workerd serve` started by
// workerd/start.mjs, next to the same worker under Miniflare, measured in the same run.
//
//   node bench/workerd.mjs        (after bash test/run.sh or npm run build: needs pkg/)
//
// Prints the workerd process's RSS (from /proc, Linux) when idle (started, one health check
// and one verified request)
// and after 10,000 requests with ALB tokens (ES256, a pool of 1,000 distinct tokens, so the
// verified-token cache hits most of them), then req/s of the same ALB traffic through both
// runtimes: BENCH_ROUNDS (default 5) interleaved rounds of BENCH_SECONDS (default 5), medians
// and the ratio self-hosted / Miniflare. Miniflare runs workerd too (in its own process, with
// its loopback proxy in front of the worker), so the ratio says what the self-hosted config
// costs or saves, not how the runtimes differ.
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Miniflare } from 'miniflare';
import { WORKER_DIR, albSigner, mintAlb, cognitoSigner } from '../test/helpers.mjs';
import { startWorkerdGate } from '../test/workerd-process.mjs';
import { startServers } from './setup.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const POOL = 1000;
const log = (...a) => console.error('[workerd-bench]', ...a);

const rssKiB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
};
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const alb = await albSigner();
const cog = await cognitoSigner();
const { servers, bindings } = await startServers(alb, cog);
const tokens = await Promise.all(Array.from({ length: POOL }, (_, i) => mintAlb(alb, { padded: true, claims: { sub: `user-${i}`, groups: ['SG-StackFlow-ReadOnly'] } })));

const gate = await startWorkerdGate(bindings);
const mf = new Miniflare({
  host: '127.0.0.1',
  port: 0,
  modules: true,
  modulesRoot: WORKER_DIR,
  modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  scriptPath: path.join(WORKER_DIR, 'src/index.js'),
  compatibilityDate: '2026-04-01',
  bindings,
});
const urls = { 'self-hosted workerd': gate.url, Miniflare: (await mf.ready).toString().replace(/\/$/, '') };

let next = 0;
function load(url, opts) {
  return autocannon({
    url: `${url}/itsm/tickets`,
    connections: CONNECTIONS,
    ...opts,
    requests: [{
      setupRequest(req) {
        req.headers = { ...req.headers, 'x-amzn-oidc-data': tokens[next++ % POOL] };
        return req;
      },
    }],
  });
}

try {
  const health = await fetch(`${gate.url}/health`);
  if (health.status !== 200) throw new Error(`health check answered ${health.status}`);
  // One request first, so the ALB key is in the isolate before concurrent load: concurrent
  // first requests for a kid not yet fetched are refused with unknown_kid (all but one; see
  // the notes), which would count as errors here.
  for (const url of Object.values(urls)) {
    const warm = await fetch(`${url}/itsm/tickets`, { headers: { 'x-amzn-oidc-data': tokens[0] } });
    if (warm.status !== 200) throw new Error(`warm-up answered ${warm.status}`);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const idle = rssKiB(gate.pid);
  const loaded = await load(gate.url, { amount: 10_000 });
  if (loaded.non2xx || loaded.errors) throw new Error(`${loaded.non2xx} non-2xx, ${loaded.errors} errors in the 10,000 requests`);
  const after = rssKiB(gate.pid);

  const rps = Object.fromEntries(Object.keys(urls).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? Object.keys(urls).reverse() : Object.keys(urls);
    for (const name of order) {
      const r = await load(urls[name], { duration: SECONDS });
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      rps[name].push(r.requests.average);
      log(`round ${round + 1} ${name}: ${r.requests.average.toFixed(0)} req/s`);
    }
  }
  const after2 = rssKiB(gate.pid);
  const self = median(rps['self-hosted workerd']);
  const mini = median(rps.Miniflare);
  console.log(`self-hosted gate (workerd serve, workerd/config.capnp), ALB ES256 tokens, ${CONNECTIONS} connections, 127.0.0.1
RSS of the workerd process: idle ${mib(idle)}, after 10,000 requests ${mib(after)}, after the req/s rounds ${mib(after2)}
req/s (median of ${ROUNDS} interleaved rounds of ${SECONDS} s; min-max):
  self-hosted workerd  ${self.toFixed(0)}  (${Math.min(...rps['self-hosted workerd']).toFixed(0)}-${Math.max(...rps['self-hosted workerd']).toFixed(0)})
  Miniflare            ${mini.toFixed(0)}  (${Math.min(...rps.Miniflare).toFixed(0)}-${Math.max(...rps.Miniflare).toFixed(0)})
  ratio self-hosted / Miniflare: ${(self / mini).toFixed(2)}x`);
} finally {
  await gate.stop();
  await mf.dispose();
  servers.kill();
}
