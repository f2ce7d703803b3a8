// A/B of two builds of the core, side by side in ONE workerd: bench/micro-worker.js run
// against bench/.build/ab/A/pkg and bench/.build/ab/B/pkg (copy a pkg/ there before and after
// a change), interleaved rounds (A B, then B A, ...), µs per request of the gate with fetch
// stubbed (unique tokens: every request a verification; repeated: cache hits).
// `node bench/variants/ab.mjs` from worker/. AB_N (default 2000) requests per round,
// AB_ROUNDS (default 11), AB_CASES (default ours,ours_repeated).
import fs from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import {
  WORKER_DIR,
  albSigner, mintAlb, cognitoSigner, mintCognito, cognitoClaims,
} from '../../test/helpers.mjs';
import { STUB_ISSUER, stubSettings } from '../stub-settings.mjs';

const N = Number(process.env.AB_N ?? 2000);
const ROUNDS = Number(process.env.AB_ROUNDS ?? 11);
const CASES = (process.env.AB_CASES ?? 'ours,ours_repeated').split(',');
const AB = path.join(WORKER_DIR, 'bench/.build/ab');
const source = fs.readFileSync(path.join(WORKER_DIR, 'bench/micro-worker.js'), 'utf8')
  .replaceAll("'../pkg/", "'./pkg/").replace("'./.build/jose-worker.js'", "'../../jose-worker.js'")
  .replace("'./passthrough-worker.js'", "'../../../passthrough-worker.js'")
  .replace("'./headers-worker.js'", "'../../../headers-worker.js'");
for (const side of ['A', 'B']) fs.writeFileSync(path.join(AB, side, 'micro-worker.js'), source);
const rules = [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }];
const mf = new Miniflare({
  host: '127.0.0.1',
  // The decision log's lines are read and dropped (as in micro.mjs).
  handleRuntimeStdio: (stdout, stderr) => { stdout.resume(); stderr.pipe(process.stderr); },
  workers: ['A', 'B'].map((side) => ({
    name: side, modules: true, modulesRoot: WORKER_DIR, modulesRules: rules, compatibilityDate: '2026-04-01',
    scriptPath: path.join(AB, side, 'micro-worker.js'),
  })),
});
await mf.ready;
const workers = { A: await mf.getWorker('A'), B: await mf.getWorker('B') };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const alb = await albSigner();
const cog = await cognitoSigner();
const issuer = STUB_ISSUER;
const env = stubSettings();
const total = N * ROUNDS + N;
const out = [];
for (const [alg, header, mint] of [
  ['ES256', 'x-amzn-oidc-data', (n) => mintAlb(alb, { claims: { sub: `user-${n}`, roles: ['viewer'] } })],
  ['RS256', 'authorization', (n) => mintCognito(cog, cognitoClaims(issuer, 'access', { sub: `user-${n}` }))],
]) {
  const tokens = await Promise.all(Array.from({ length: total }, (_, i) => mint(i)));
  const setup = JSON.stringify({ env, header, tokens, albPem: alb.pem, jwks: { keys: [cog.jwk] } });
  for (const w of Object.values(workers)) await (await w.fetch('http://x/setup', { method: 'POST', body: setup })).text();
  for (const c of CASES) {
    const [name, repeat] = c.endsWith('_repeated') ? [c.slice(0, -'_repeated'.length), 20] : [c, 1];
    const times = { A: [], B: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const offset = repeat === 1 ? N * (r + 1) : 0;
      for (const side of r % 2 ? ['B', 'A'] : ['A', 'B']) {
        const t0 = process.hrtime.bigint();
        await (await workers[side].fetch(`http://x/run?case=${name}&n=${N}&offset=${offset}&repeat=${repeat}`)).text();
        times[side].push(Number(process.hrtime.bigint() - t0) / 1000 / N);
      }
    }
    const ratio = times.B.map((b, i) => b / times.A[i]);
    out.push(`| ${alg} | ${c} | ${median(times.A).toFixed(2)} (${Math.min(...times.A).toFixed(2)}-${Math.max(...times.A).toFixed(2)}) | ${median(times.B).toFixed(2)} (${Math.min(...times.B).toFixed(2)}-${Math.max(...times.B).toFixed(2)}) | ${median(ratio).toFixed(3)} (${Math.min(...ratio).toFixed(3)}-${Math.max(...ratio).toFixed(3)}) | ${ratio.filter((q) => q < 1).length}/${ratio.length} |`);
  }
}
await mf.dispose();
console.log(`A/B, ${ROUNDS} interleaved rounds of ${N} requests, µs per request median (min-max), one workerd`);
console.log('| alg | case | A | B | B/A per round: median (min-max) | rounds B faster |\n|---|---|---|---|---|---|');
console.log(out.join('\n'));
