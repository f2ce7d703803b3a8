// The browser build's signature step: WebCrypto (`crypto.subtle.verify`) checks the job
// the core hands out (the algorithm fixed by the verifier, never by the token header; a
// key of that algorithm's type; the signing input; a signature of the right length).
// Self-contained, so that the wasm-bindgen tests can import it as it ships.

/** WebCrypto parameters per algorithm; each object serves both importKey and verify. */
const PARAMS = {
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
};

/** Most imported keys kept; a tenant has a handful. */
const MAX_KEYS = 64;

/** Imported keys by JWK text: importing costs about as much as a verify. */
const imported = new Map();

function codedError(code, message) {
  return Object.assign(new Error(message), { name: 'EntraEdgeAuthError', code });
}

async function importKey(jwk, params) {
  const found = imported.get(jwk);
  if (found) return found;
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw codedError('invalid_config', 'crypto.subtle is not available (it needs a secure context: https or localhost)');
  }
  let key;
  try {
    key = await subtle.importKey('jwk', JSON.parse(jwk), params, false, ['verify']);
  } catch (error) {
    throw codedError('malformed_key', `WebCrypto refused the key: ${error.message}`);
  }
  if (imported.size >= MAX_KEYS) imported.clear();
  imported.set(jwk, key);
  return key;
}

/**
 * Whether `signature` is a valid `alg` ("RS256" or "ES256") signature of `data` under the
 * key `jwk` (JWK text), according to WebCrypto. A key WebCrypto refuses (a point off the
 * curve, say) rejects with code `malformed_key` rather than answering false.
 * @param {string} alg
 * @param {string} jwk
 * @param {Uint8Array} data
 * @param {Uint8Array} signature
 * @returns {Promise<boolean>}
 */
export async function verifySignature(alg, jwk, data, signature) {
  // Own names only: `PARAMS.constructor` is Object's, not a check.
  const params = Object.hasOwn(PARAMS, alg) ? PARAMS[alg] : undefined;
  if (!params) throw codedError('unsupported_algorithm', `no WebCrypto check for ${alg}`);
  const key = await importKey(jwk, params);
  return crypto.subtle.verify(params, key, signature, data);
}
