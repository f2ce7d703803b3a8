// Micro-benchmark driver: per-request CPU cost of each piece inside workerd (µs/op, median
// of ROUNDS interleaved rounds), and the JS<->wasm crossings per request. `node bench/micro.mjs`
// after bench/run.sh has built pkg/ and the jose bundle.
import path from 'node:path';
import { Miniflare } from 'miniflare';
import {
  WORKER_DIR,
  albSigner, mintAlb, cognitoSigner, mintCognito, cognitoClaims,
} from '../test/helpers.mjs';
import { STUB_ISSUER, stubSettings } from './stub-settings.mjs';

const N = Number(process.env.MICRO_N ?? 2000);
const ROUNDS = Number(process.env.MICRO_ROUNDS ?? 5);
const mf = new Miniflare({
  modules: true, modulesRoot: WORKER_DIR, scriptPath: path.join(WORKER_DIR, 'bench/micro-worker.js'),
  modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2026-04-01', host: '127.0.0.1',
  // The decision log's lines are read and dropped (as in bench.mjs): printed, the terminal's
  // pace would be measured with them.
  handleRuntimeStdio: (stdout, stderr) => { stdout.resume(); stderr.pipe(process.stderr); },
});
const base = (await mf.ready).toString().replace(/\/$/, '');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const alb = await albSigner();
const cog = await cognitoSigner();
const issuer = STUB_ISSUER;
const env = stubSettings();
const cases = (process.env.MICRO_CASES ?? 'empty,passthrough,new_request,floor,ours_public,subtle_verify,jose,ours,ours_repeated').split(',');
const total = N * ROUNDS + N;
for (const [alg, header, mint] of [
  ['ES256', 'x-amzn-oidc-data', (n) => mintAlb(alb, { claims: { sub: `user-${n}`, roles: ['viewer'] } })],
  ['RS256', 'authorization', (n) => mintCognito(cog, cognitoClaims(issuer, 'access', { sub: `user-${n}` }))],
]) {
  const tokens = await Promise.all(Array.from({ length: total }, (_, i) => mint(i)));
  await (await mf.dispatchFetch(`${base}/setup`, { method: 'POST', body: JSON.stringify({ env, header, tokens, albPem: alb.pem, jwks: { keys: [cog.jwk] } }) })).text();
  const times = Object.fromEntries(cases.map((c) => [c, []]));
  const crossings = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) {
      // `<case>_repeated`: each token 20 times in a row, so all but the first are cache hits.
      const [name, repeat] = c.endsWith('_repeated') ? [c.slice(0, -'_repeated'.length), 20] : [c, 1];
      // unique cases use fresh tokens every round (offset), so nothing is a cache hit
      const offset = repeat === 1 ? N * (r + 1) : 0;
      const t0 = process.hrtime.bigint();
      const res = await mf.dispatchFetch(`${base}/run?case=${name}&n=${N}&offset=${offset}&repeat=${repeat}`);
      const counts = await res.json();
      times[c].push(Number(process.hrtime.bigint() - t0) / 1000 / N);
      crossings[c] = counts;
    }
  }
  const empty = median(times.empty);
  console.log(`\n${alg}: µs per op (median of ${ROUNDS} rounds of ${N}, minus the empty loop ${empty.toFixed(1)} µs)`);
  for (const c of cases) {
    if (c === 'empty') continue;
    const calls = Object.values(crossings[c]).reduce((a, b) => a + b, 0) / N;
    console.log(`  ${c.padEnd(16)} ${(median(times[c]) - empty).toFixed(1).padStart(7)} µs   wasm->JS calls/op ${calls.toFixed(1)}`);
  }
  if (process.env.MICRO_DETAIL) for (const c of ['ours', 'ours_repeated']) console.log(c, JSON.stringify(Object.fromEntries(Object.entries(crossings[c] ?? {}).map(([k, v]) => [k, +(v / N).toFixed(2)]))));
}
await mf.dispose();
