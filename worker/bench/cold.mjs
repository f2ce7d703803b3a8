// Cold start (a benchmark, not a test): the first request a fresh isolate answers, ours
// against the jose worker, each isolate new. `node bench/cold.mjs` after bench/run.sh (or
// test/run.sh) built pkg/ and bench/run.sh bundled the jose worker.
//
// Each sample starts one workerd process (Miniflare) holding one worker, ours or jose in
// turn (interleaved: load from elsewhere hits both alike), and times
//   - start: from the process's launch to workerd answering (loading the worker: for ours
//     the wasm compile, instantiate and the module's top level),
//   - first request: the first protected request with a valid token, which for ours builds
//     the gate (settings and policy read), fetches the key and verifies; for jose imports the
//     key and verifies,
// for COLD_SAMPLES (default 20) fresh isolates of each, ES256 (ALB) and RS256 (Cognito), and
// prints the medians and the ratios ours / jose. The key servers and origin run in their
// own process (bench/servers.mjs), as in bench.mjs.
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { WORKER_DIR, albSigner, mintAlb, cognitoSigner, mintCognito, cognitoClaims } from '../test/helpers.mjs';
import { startServers } from './setup.mjs';

const SAMPLES = Number(process.env.COLD_SAMPLES ?? 20);
const rules = [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }];
const WORKERS = {
  ours: { modules: true, modulesRoot: WORKER_DIR, modulesRules: rules, scriptPath: path.join(WORKER_DIR, 'src/index.js') },
  jose: { modules: true, scriptPath: path.join(WORKER_DIR, 'bench/.build/jose-worker.js') },
};

const alb = await albSigner();
const cog = await cognitoSigner();
const { servers, bindings } = await startServers(alb, cog);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;

async function sample(name, header, token) {
  const launched = process.hrtime.bigint();
  const mf = new Miniflare({
    ...WORKERS[name], compatibilityDate: '2026-04-01', bindings, host: '127.0.0.1', port: 0,
    // The decision log's line per request is read and dropped.
    handleRuntimeStdio: (stdout, stderr) => { stdout.resume(); stderr.pipe(process.stderr); },
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, '');
    const start = ms(launched);
    const sent = process.hrtime.bigint();
    const response = await fetch(`${url}/itsm/tickets`, { headers: { [header]: header === 'authorization' ? `Bearer ${token}` : token } });
    await response.arrayBuffer();
    const first = ms(sent);
    if (response.status !== 200) throw new Error(`${name} answered ${response.status} to a valid token`);
    return { start, first };
  } finally {
    await mf.dispose();
  }
}

const rows = [];
try {
  for (const [alg, header, token] of [
    ['ES256 (ALB)', 'x-amzn-oidc-data', await mintAlb(alb, { claims: { sub: 'cold-user', roles: ['viewer'] } })],
    ['RS256 (Cognito)', 'authorization', await mintCognito(cog, cognitoClaims(bindings.COGNITO_ISSUER, 'access', { sub: 'cold-user' }))],
  ]) {
    const runs = { ours: [], jose: [] };
    for (let i = 0; i < SAMPLES; i++) {
      for (const name of i % 2 ? ['jose', 'ours'] : ['ours', 'jose']) runs[name].push(await sample(name, header, token));
      process.stderr.write(`[cold] ${alg} ${i + 1}/${SAMPLES}\n`);
    }
    const m = (name, field) => median(runs[name].map((r) => r[field]));
    rows.push({ alg, ours: { start: m('ours', 'start'), first: m('ours', 'first') }, jose: { start: m('jose', 'start'), first: m('jose', 'first') } });
  }
} finally {
  servers.kill();
}

console.log(`\nCold start, median of ${SAMPLES} fresh isolates each (one workerd process per sample, ours and jose interleaved)\n`);
console.log('| alg | start: ours / jose (ms) | ratio | first request: ours / jose (ms) | ratio | start + first: ours / jose (ms) | ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const { alg, ours, jose } of rows) {
  const f = (x) => x.toFixed(1);
  const both = (x) => x.start + x.first;
  console.log(`| ${alg} | ${f(ours.start)} / ${f(jose.start)} | ${(ours.start / jose.start).toFixed(2)} | ${f(ours.first)} / ${f(jose.first)} | ${(ours.first / jose.first).toFixed(2)} | ${f(both(ours))} / ${f(both(jose))} | ${(both(ours) / both(jose)).toFixed(2)} |`);
}
