// The comparison's app on this package: sign in (redirect), handle the callback, then a
// silent access token. The same steps as ../msal/main.js; window.__bench is what
// tests/compare/bench.mjs reads.
import { EntraAuth } from 'entra-edge-auth';

const env = import.meta.env;
const auth = new EntraAuth({
  tenantId: env.VITE_TENANT_ID,
  clientId: env.VITE_CLIENT_ID,
  redirectUri: `${location.origin}${env.BASE_URL}`,
  scopes: env.VITE_SCOPES,
  authorityHost: env.VITE_AUTHORITY_HOST,
  // The discovery document inline, as the MSAL app has it (authorityMetadata).
  authorityMetadata: env.VITE_AUTHORITY_METADATA,
});

try {
  const account = (await auth.handleRedirect()) ?? auth.account();
  if (!account) {
    auth.login({ prompt: 'login' });
  } else {
    const accountAt = performance.now();
    document.getElementById('user').textContent = account.username;
    window.__bench = { accountAt, username: account.username, silentToken: () => auth.accessToken() };
    document.body.dataset.ready = '';
  }
} catch (error) {
  const box = document.getElementById('error');
  box.hidden = false;
  box.textContent = `${error.code}: ${error.message}`;
  document.body.dataset.ready = '';
}
