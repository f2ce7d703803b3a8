// Project Wycheproof through the WebCrypto backend INSIDE workerd: every `valid` vector is
// accepted and every `invalid` one rejected (ES256 P1363; RS256 with 2048/3072/4096-bit
// keys). `acceptable` vectors are reported and must be rejected, as in the core's native run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { WORKER_DIR } from './helpers.mjs';

// The vectors live in the repository; a missing folder or file fails the test (it used to
// skip, which hid the whole WebCrypto check on a clone without the files).
const VECTORS = process.env.WYCHEPROOF_DIR ?? path.resolve(WORKER_DIR, '../crate/tests/vectors/wycheproof');
const FILES = [
  ['ecdsa_secp256r1_sha256_p1363_test.json', 'ES256'],
  ['rsa_signature_2048_sha256_test.json', 'RS256'],
  ['rsa_signature_3072_sha256_test.json', 'RS256'],
  ['rsa_signature_4096_sha256_test.json', 'RS256'],
];

let mf;
before(async () => {
  mf = new Miniflare({
    modules: true,
    scriptPath: path.join(WORKER_DIR, 'test/vectors-worker.js'),
    modulesRoot: WORKER_DIR,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-01',
    host: '127.0.0.1',
  });
  await mf.ready;
});
after(() => mf?.dispose());

for (const [file, alg] of FILES) {
  test(`Wycheproof ${file} in workerd`, async () => {
    assert.ok(existsSync(path.join(VECTORS, file)), `missing vector file ${path.join(VECTORS, file)}`);
    const doc = JSON.parse(readFileSync(path.join(VECTORS, file), 'utf8'));
    const counts = { valid: 0, invalid: 0, acceptable: 0 };
    for (const group of doc.testGroups) {
      const key = alg === 'ES256' ? group.publicKeyPem : JSON.stringify(group.keyJwk ?? group.publicKeyJwk);
      const response = await mf.dispatchFetch('http://vectors.test/', {
        method: 'POST',
        body: JSON.stringify({ alg, key, tests: group.tests }),
      });
      assert.equal(response.status, 200);
      const results = new Map((await response.json()).map((r) => [r.tcId, r]));
      for (const t of group.tests) {
        const got = results.get(t.tcId);
        counts[t.result]++;
        const label = `tcId ${t.tcId} (${t.result}: ${t.comment}) → ${JSON.stringify(got)}`;
        if (t.result === 'valid') assert.equal(got.valid, true, label);
        else assert.equal(got.valid, false, label);
      }
    }
    assert.equal(counts.valid + counts.invalid + counts.acceptable, doc.numberOfTests);
    console.log(`${file}: ${counts.valid} valid accepted, ${counts.invalid} invalid rejected, ${counts.acceptable} acceptable rejected`);
  });
}
