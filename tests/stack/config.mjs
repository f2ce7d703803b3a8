// The local identity stack's fixed facts: one tenant, one SPA, one API, five demo users,
// and the seed's group → role table (seed 003). Ports come from the caller (demo or tests).

/** A made-up directory GUID: the local stack never pretends to be a real tenant. */
export const TENANT_ID = '0d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

/** The SPA's application (client) id, a public client that must use PKCE S256. */
export const SPA_CLIENT_ID = '5fa1c0de-7e57-4b1a-9c2d-000000005ba0';

/** The API the SPA asks an access token for, and that the OBO service accepts. Entra puts
 * the API's application id in `aud` of v2 access tokens. */
export const API_APP_ID = 'a9b0c1d2-3e4f-4a5b-8c6d-0000000000a9';
export const API_SCOPE = `api://${API_APP_ID}/access_as_user`;

/** A second resource, shaped like Microsoft Graph: its audience and the delegated scope the
 * SPA has consent for (granted with the sign-in, as an admin would have). */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_SCOPE = 'User.Read';

/** A scope of an API the SPA has no consent for: the provider answers AADSTS65001. */
export const UNCONSENTED_SCOPE = 'api://c0ffee00-1111-4222-8333-444455556666/Files.Read';

/** Scopes the demo asks for: sign-in, a refresh token, and the API. */
export const DEMO_SCOPES = `openid profile email offline_access ${API_SCOPE}`;

/** Every demo user has this password; the login page says so. */
export const DEMO_PASSWORD = 'demo';

/** Seed 003's group mapping table. */
export const GROUP_ROLES = [
  { group: 'SG-StackFlow-Admins', role: 'super_admin' },
  { group: 'SG-StackFlow-ITSM-Managers', role: 'itsm_manager' },
  { group: 'SG-StackFlow-Agents', role: 'itsm_agent' },
  { group: 'SG-StackFlow-ReadOnly', role: 'viewer' },
];

/** One user per seed group and one in none. `oid` is the directory object id. Groups are
 * emitted by name, as Entra does when the app registration's group claim is set to emit
 * cloud groups' display names (by default Entra emits group object ids). */
export const USERS = [
  { username: 'alice.admin@stackflow.test', name: 'Alice Admin', oid: '1a000000-0000-4000-8000-00000000a11c', groups: ['SG-StackFlow-Admins'] },
  { username: 'mark.manager@stackflow.test', name: 'Mark Manager', oid: '2b000000-0000-4000-8000-0000000003a2', groups: ['SG-StackFlow-ITSM-Managers'] },
  { username: 'ada.agent@stackflow.test', name: 'Ada Agent', oid: '3c000000-0000-4000-8000-00000000a9e7', groups: ['SG-StackFlow-Agents'] },
  { username: 'rob.reader@stackflow.test', name: 'Rob Reader', oid: '4d000000-0000-4000-8000-0000000000ed', groups: ['SG-StackFlow-ReadOnly'] },
  { username: 'nina.nogroup@stackflow.test', name: 'Nina Nogroup', oid: '5e000000-0000-4000-8000-00000000009e', groups: [] },
];

/** The Cognito-shaped identity the OBO service issues tokens as (local, made up). */
export const COGNITO = {
  region: 'us-east-1',
  userPoolId: 'us-east-1_LocalPool1',
  appClientId: 'localstackflowclient0000',
};

/** Default ports: the demo. The tests use their own (see tests/browser/run.sh). */
export const DEFAULT_PORTS = { provider: 27010, obo: 27020, web: 27030, edge: 27040, origin: 27050, alb: 27060 };
