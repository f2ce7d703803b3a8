// The comparison's app on @azure/msal-browser: loginRedirect, handleRedirectPromise, then
// acquireTokenSilent; the same steps as ../ours/main.js. MSAL refuses http authorities, so
// the local provider's discovery document is given inline (authorityMetadata, as an app
// may ship it to skip the discovery request) under an https authority of the same host.
import { PublicClientApplication } from '@azure/msal-browser';

const env = import.meta.env;
const scopes = env.VITE_SCOPES.split(' ').filter((s) => !['openid', 'profile', 'email', 'offline_access'].includes(s));
const pca = new PublicClientApplication({
  auth: {
    clientId: env.VITE_CLIENT_ID,
    authority: env.VITE_MSAL_AUTHORITY,
    knownAuthorities: [new URL(env.VITE_MSAL_AUTHORITY).host],
    authorityMetadata: env.VITE_AUTHORITY_METADATA,
    protocolMode: 'OIDC',
    redirectUri: `${location.origin}${env.BASE_URL}`,
  },
  cache: { cacheLocation: 'sessionStorage' },
});
await pca.initialize();

try {
  const result = await pca.handleRedirectPromise();
  const account = result?.account ?? pca.getAllAccounts()[0];
  if (!account) {
    await pca.loginRedirect({ scopes, prompt: 'login' });
  } else {
    const accountAt = performance.now();
    pca.setActiveAccount(account);
    document.getElementById('user').textContent = account.username;
    window.__bench = {
      accountAt,
      username: account.username,
      silentToken: async () => (await pca.acquireTokenSilent({ scopes, account })).accessToken,
    };
    document.body.dataset.ready = '';
  }
} catch (error) {
  const box = document.getElementById('error');
  box.hidden = false;
  box.textContent = `${error.errorCode ?? error.name}: ${error.message}`;
  document.body.dataset.ready = '';
}
