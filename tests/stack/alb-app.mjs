// The Entra app registration an ALB signs users in with (seed 000), as the local provider
// (provider.mjs) plays it. Where the flow depends on it, it behaves as Microsoft documents:
//
// - a **confidential client** (client secret at the token endpoint) whose only redirect URI
//   is the ALB's `/oauth2/idpresponse`;
// - **user assignment required**, the assigned group given (seed 000: `GIFT_ARCHIVE_USERS`):
//   a user outside it is refused at sign-in with AADSTS50105, sent back to the redirect URI
//   as `error=access_denied` (so it ends at the ALB's callback, never at the target);
// - `sub` is **pairwise** per application (Entra: "unique to a particular application ID"),
//   here an HMAC of the app id and the user's object id; ID token, userinfo and the app's own
//   API access tokens of one app carry the same `sub`, another app sees another value;
// - **userinfo** is Microsoft Graph's `/oidc/userinfo` (learn.microsoft.com/entra/
//   identity-platform/userinfo: "a standard OAuth Bearer token API hosted by Microsoft
//   Graph", called with a token for Graph): it answers only for a Graph access token and
//   returns only `sub`, the name claims and `email`, never groups, roles or `oid`;
// - the access token follows the scope: only Graph/OIDC scopes → a Graph token (audience
//   Graph, a `nonce` in its header: not verifiable by anyone but Graph); the app's own API
//   scope (`api://<app id>/access_as_user`) → an access token for that API (audience the app
//   id, `scp`, `groups`), which Graph's userinfo refuses.
//
// Kept apart from provider.mjs so the browser SPA's client is untouched; provider.mjs calls
// these hooks only when started with `albApp`.

import crypto from 'node:crypto';

import { jwtVerify, createLocalJWKSet } from 'jose';

/** Microsoft Graph's application id: the audience of Graph access tokens. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** Where the local "Graph" serves userinfo (Entra: https://graph.microsoft.com/oidc/userinfo). */
export const GRAPH_USERINFO_PATH = '/graph/oidc/userinfo';
const API_SCOPE_NAME = 'access_as_user';

/**
 * The app registration: `clientId` (its application id, also its API's), `clientSecret`,
 * `redirectUri` (the ALB's callback), `postLogoutRedirectUris`, `assignedGroup` and
 * `members` (user object ids assigned through that group).
 */
export function albAppRegistration({ clientId, clientSecret, redirectUri, postLogoutRedirectUris = [], assignedGroup, members }) {
  const apiResource = `api://${clientId}`;
  const apiScope = `${apiResource}/${API_SCOPE_NAME}`;
  const pairwiseKey = crypto.randomBytes(32);
  return {
    clientId,
    apiScope,
    assignedGroup,

    /** The oidc-provider client: confidential, pairwise subjects. */
    client: {
      client_id: clientId,
      client_secret: clientSecret,
      client_name: 'ALB (seed 000)',
      token_endpoint_auth_method: 'client_secret_post',
      application_type: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: postLogoutRedirectUris,
      subject_type: 'pairwise',
    },

    owns: (id) => id === clientId,

    /** Entra's pairwise `sub` for this app. */
    pairwiseSubject: (accountId) => crypto.createHmac('sha256', pairwiseKey).update(`${clientId}:${accountId}`).digest('base64url'),

    /** AADSTS50105 when `user` is not assigned (not in the assigned group). */
    assignmentRefusal(user) {
      if (members.includes(user.oid)) return null;
      return {
        error: 'access_denied',
        error_description: `AADSTS50105: Your administrator has configured the application ALB (seed 000) ('${clientId}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '${user.username}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator.`,
      };
    },

    /** The groups claim of this app's tokens: the user's groups and the assigned group. */
    groupsOf: (user) => (members.includes(user.oid) ? [...user.groups, assignedGroup] : user.groups),

    /** Which resource the token is for: the app's API when its scope was asked, else Graph. */
    resourceFor(scope) {
      return String(scope ?? '').split(' ').includes(apiScope) ? apiResource : GRAPH_RESOURCE;
    },

    resourceServerInfo(resource, accessTokenTtl) {
      if (resource === apiResource) {
        return {
          scope: `${apiScope} ${API_SCOPE_NAME}`,
          audience: clientId,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      }
      if (resource === GRAPH_RESOURCE) {
        return {
          scope: 'openid profile email User.Read',
          audience: GRAPH_APP_ID,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      }
      return null;
    },

    /** Graph tokens carry a `nonce` in their header (Graph's own signing scheme). */
    customizeJwt(token, jwt) {
      if (token.aud === GRAPH_APP_ID || jwt.payload?.aud === GRAPH_APP_ID) {
        jwt.header = { ...jwt.header, nonce: crypto.randomBytes(32).toString('base64url') };
      }
    },

    /**
     * Graph's `/oidc/userinfo`: a Graph access token issued by this provider → sub, name
     * claims, email. Anything else (an API token included) → 401, as Graph answers.
     */
    async userinfo(ctx, { issuer, publicJwks, findUser }) {
      const auth = ctx.get('authorization');
      const token = /^Bearer (.+)$/i.exec(auth)?.[1];
      const refuse = (why) => {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
        ctx.body = { error: { code: 'InvalidAuthenticationToken', message: why } };
      };
      if (!token) return refuse('Access token is empty.');
      let claims;
      try {
        ({ payload: claims } = await jwtVerify(token, createLocalJWKSet(publicJwks), { issuer, audience: GRAPH_APP_ID }));
      } catch (e) {
        return refuse(`Invalid audience or token (${e.code ?? e.message}).`);
      }
      const user = findUser(claims.oid);
      if (!user) return refuse('Unknown user.');
      const [given, ...family] = user.name.split(' ');
      ctx.status = 200;
      ctx.body = {
        sub: claims.sub,
        name: user.name,
        given_name: given,
        family_name: family.join(' '),
        email: user.username,
        picture: `${GRAPH_RESOURCE}/v1.0/me/photo/$value`,
      };
    },
  };
}
