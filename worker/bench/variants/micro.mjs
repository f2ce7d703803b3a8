// µs per built request for each variant in micro-worker.js (median of MICRO_ROUNDS interleaved
// rounds of MICRO_N, minus an empty call), for the "bench" and "browser" header sets.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.MICRO_N ?? 5000);
const ROUNDS = Number(process.env.MICRO_ROUNDS ?? 9);
const NAMES = process.env.MICRO_VARIANTS?.split(',') ?? ['pass', 'a_floor', 'b_array', 'c_headers', 'd_object', 'e_headers_copy', 'f_slice', 'g_append', 'g2_headers_once', 'g3_no_iteration', 'g4_keys_iter', 'g5_foreach', 'keys_only', 'entries_only', 'ours_inline'];
const mf = new Miniflare({ modules: true, scriptPath: path.join(HERE, 'micro-worker.js'), compatibilityDate: '2026-04-01' });
const base = (await mf.ready).toString().replace(/\/$/, '');
const token = `${randomBytes(40).toString('base64url')}.${randomBytes(500).toString('base64url')}.${randomBytes(64).toString('base64url')}`;
const browser = {
  accept: 'application/json, text/plain, */*', 'accept-encoding': 'gzip, deflate, br', 'accept-language': 'en-GB,en;q=0.9',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  referer: 'https://app.example.com/itsm', origin: 'https://app.example.com', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'empty', cookie: `AWSELBAuthSessionCookie-0=${randomBytes(300).toString('base64url')}`,
  'x-auth-roles': 'super_admin', 'x-amzn-oidc-identity': 'someone', 'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678',
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[(s.length - 1) >> 1]; };
const time = async (v, n, body) => {
  const t0 = process.hrtime.bigint();
  await (await mf.dispatchFetch(`${base}/?v=${v}&n=${n}`, { method: 'POST', body })).text();
  return Number(process.hrtime.bigint() - t0) / 1000;
};
for (const [label, fields] of [['bench (1 client header)', { 'x-amzn-oidc-data': token }], ['browser (14 client headers)', { ...browser, 'x-amzn-oidc-data': token }]]) {
  const body = JSON.stringify(fields);
  for (const v of NAMES) await time(v, N, body); // warm up
  const per = Object.fromEntries(NAMES.map((v) => [v, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < NAMES.length; k++) {
      const v = NAMES[(r + k) % NAMES.length];
      const empty = await time('empty', 0, body);
      per[v].push((await time(v, N, body) - empty) / N);
    }
  }
  // Each round's figure over pass-through's in the same round, and over a_floor's.
  console.log(`\n${label}: µs per built request, median (min-max) of ${ROUNDS} rounds of ${N}`);
  console.log('| variant | µs | minus pass | vs a_floor per round: median (min-max) |\n|---|---|---|---|');
  for (const v of NAMES) {
    const q = per[v].map((x, i) => x / per.a_floor[i]);
    console.log(`| ${v} | ${median(per[v]).toFixed(2)} (${Math.min(...per[v]).toFixed(2)}-${Math.max(...per[v]).toFixed(2)}) | ${(median(per[v]) - median(per.pass)).toFixed(2)} | ${median(q).toFixed(3)} (${Math.min(...q).toFixed(3)}-${Math.max(...q).toFixed(3)}) |`);
  }
}
await mf.dispose();
