// The package README's Vite example (src/auth.js), plus `authorityHost` so that it signs in
// against the local stack's provider instead of login.microsoftonline.com.
import { EntraAuth } from 'entra-edge-auth'; // the bundler build: no init() needed

export const auth = new EntraAuth({
  tenantId: import.meta.env.VITE_TENANT_ID,
  clientId: import.meta.env.VITE_CLIENT_ID,
  redirectUri: `${location.origin}/app/`,
  scopes: import.meta.env.VITE_SCOPES,
  oboEndpoint: import.meta.env.VITE_OBO_ENDPOINT,
  authorityHost: import.meta.env.VITE_AUTHORITY_HOST,
  postLogoutRedirectUri: `${location.origin}/app/`,
});
