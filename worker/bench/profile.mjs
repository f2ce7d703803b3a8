// CPU profile of one worker under load (a script, not a test): V8's sampling profiler over
// workerd's inspector while autocannon drives the worker, then self time per function.
// `node bench/profile.mjs [ours|jose|passthrough|floor] [es256|rs256] [unique|repeated|single]`
// (single: one token throughout, so every request after the first is a cache hit), after
// bench/run.sh has built pkg/ and the jose bundle. PROFILE_SECONDS (default 5); PROFILE_TOP
// (default 30) functions listed. For Rust function names, point PROFILE_SCRIPT at an entry
// that imports a build run through `wasm-bindgen --keep-debug` (the release pkg is stripped).
// PROFILE_BINDINGS: extra settings as JSON, e.g. '{"LOG_ALLOW_SAMPLE":"0"}': with the
// inspector attached every console.log is also sent to it, so the decision log's share is
// far larger here than without one.
import { once } from 'node:events';
import path from 'node:path';
import autocannon from 'autocannon';
import { Miniflare } from 'miniflare';
import WebSocket from 'ws';
import {
  WORKER_DIR,
  albSigner, mintAlb, cognitoSigner, mintCognito, cognitoClaims,
} from '../test/helpers.mjs';
import { startServers } from './setup.mjs';

const [which = 'ours', alg = 'es256', mode = 'repeated'] = process.argv.slice(2);
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 5);
const INSPECTOR = 9331;

const alb = await albSigner();
const cog = await cognitoSigner();
const { servers, bindings: started } = await startServers(alb, cog);
const bindings = { ...started, ...JSON.parse(process.env.PROFILE_BINDINGS ?? '{}') };
const issuer = bindings.COGNITO_ISSUER;
// PROFILE_SCRIPT: another entry (say one importing a build with function names kept).
const script = process.env.PROFILE_SCRIPT ?? { ours: 'src/index.js', jose: 'bench/.build/jose-worker.js', passthrough: 'bench/passthrough-worker.js', floor: 'bench/headers-worker.js' }[which];
const mf = new Miniflare({
  host: '127.0.0.1', inspectorPort: INSPECTOR,
  workers: [{
    name: which, modules: true, modulesRoot: WORKER_DIR, scriptPath: path.join(WORKER_DIR, script), compatibilityDate: '2026-04-01', bindings,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
  }],
});
await mf.ready;
const url = `${(await mf.unsafeGetDirectURL(which)).toString().replace(/\/$/, '')}/itsm/tickets`;

const es = alg === 'es256';
const header = es ? 'x-amzn-oidc-data' : 'authorization';
const count = { unique: 40000, single: 1 }[mode] ?? 2000;
const tokens = [];
for (let i = 0; i < count; i += 500) {
  tokens.push(...await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => (es
    ? mintAlb(alb, { claims: { sub: `user-${i + j}`, roles: ['viewer'] } })
    : mintCognito(cog, cognitoClaims(issuer, 'access', { sub: `user-${i + j}` }))))));
}
const repeat = mode === 'unique' ? 1 : 20;
let i = 0;
const load = (seconds) => autocannon({
  url, connections: 10, duration: seconds,
  requests: [{ setupRequest(req) {
    const t = tokens[Math.floor(i++ / repeat) % tokens.length];
    req.headers = { ...req.headers, [header]: es ? t : `Bearer ${t}` };
    return req;
  } }],
});
await load(2);

const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR}/json`)).json();
const target = targets.find((t) => t.title?.includes(which)) ?? targets[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
await once(ws, 'open');
let id = 0;
const pending = new Map();
ws.on('message', (m) => { const msg = JSON.parse(m); pending.get(msg.id)?.(msg); });
const send = (method, params = {}) => new Promise((resolve) => { const n = ++id; pending.set(n, resolve); ws.send(JSON.stringify({ id: n, method, params })); });
await send('Profiler.enable');
await send('Profiler.setSamplingInterval', { interval: 50 });
await send('Profiler.start');
const result = await load(SECONDS);
const { result: { profile } } = await send('Profiler.stop');
ws.close();
await mf.dispose();
servers.kill();

const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map();
for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
let total = 0;
for (const [nodeId, c] of counts) {
  const n = byId.get(nodeId);
  const f = n.callFrame;
  const name = `${f.functionName || '(anon)'} ${f.url ? path.basename(f.url) : ''}:${f.lineNumber}`;
  self.set(name, (self.get(name) ?? 0) + c);
  total += c;
}
const perReq = (profile.endTime - profile.startTime) / result.requests.total;
console.log(`${which} ${alg} ${mode}: ${result.requests.average.toFixed(0)} req/s; isolate wall µs/request ${perReq.toFixed(1)}; samples ${total}`);
const idle = (self.get('(idle) :-1') ?? 0) / total;
console.log(`busy ${(100 * (1 - idle)).toFixed(1)}% => busy µs/request ${(perReq * (1 - idle)).toFixed(1)}`);
for (const [name, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP ?? 30))) {
  console.log(`${(100 * c / total).toFixed(1).padStart(5)}%  ${(perReq * c / total).toFixed(2).padStart(6)} µs  ${name}`);
}
