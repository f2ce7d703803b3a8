// The browser package's WebCrypto step (www/src/webcrypto.js) on its own, under Node's
// WebCrypto (the same API as the browser's): the core fixes the algorithm per verifier and
// never hands out another, so the step's own refusal of an algorithm it has no check for
// is reached only from here. No browser needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webcrypto } from 'node:crypto';

import { verifySignature } from '../../www/src/webcrypto.js';

const data = new TextEncoder().encode('header.payload');

async function es256() {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = JSON.stringify(await webcrypto.subtle.exportKey('jwk', pair.publicKey));
  const signature = new Uint8Array(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data));
  return { jwk, signature };
}

test('an ES256 signature verifies; a changed signing input does not', async () => {
  const { jwk, signature } = await es256();
  assert.equal(await verifySignature('ES256', jwk, data, signature), true);
  assert.equal(await verifySignature('ES256', jwk, new TextEncoder().encode('header.payloaD'), signature), false);
});

test('an algorithm without a WebCrypto check is refused with unsupported_algorithm, never answered', async () => {
  const { jwk, signature } = await es256();
  for (const alg of ['HS256', 'none', 'ES384', 'PS256', '', 'es256', 'constructor', '__proto__']) {
    await assert.rejects(verifySignature(alg, jwk, data, signature), (error) => error.code === 'unsupported_algorithm', alg);
  }
});

test('a key WebCrypto refuses is malformed_key, not false', async () => {
  const { signature } = await es256();
  const offCurve = JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' });
  await assert.rejects(verifySignature('ES256', offCurve, data, signature), (error) => error.code === 'malformed_key');
});
