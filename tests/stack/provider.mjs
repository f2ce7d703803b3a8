// An OpenID provider shaped like Microsoft Entra ID v2, on 127.0.0.1, built on npm
// `oidc-provider` (OpenID Certified) so the browser package meets a real, strict provider.
//
// Entra's shapes: issuer `http://127.0.0.1:PORT/<tenant>/v2.0`, endpoints under
// `/<tenant>/oauth2/v2.0/…`, keys at `/<tenant>/discovery/v2.0/keys`, discovery at
// `/<tenant>/v2.0/.well-known/openid-configuration`; ID and access tokens carry `tid`,
// `oid`, `preferred_username`, `name`, `email`, `groups`; access tokens for the API are
// RS256 JWTs with `aud` = the API's application id and `scp`.
//
// Where oidc-provider and Entra differ, the stack adapts on purpose (each is commented).

import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

import { API_APP_ID, API_SCOPE, DEMO_PASSWORD, GRAPH_RESOURCE, GRAPH_SCOPE, SPA_CLIENT_ID, TENANT_ID, USERS } from './config.mjs';
import { loginPage, logoutPage, errorPage, signedOutPage } from './pages.mjs';
import { GRAPH_USERINFO_PATH } from './alb-app.mjs';

const SCP = 'access_as_user';

function findUser(id) {
  return USERS.find((u) => u.oid === id || u.username.toLowerCase() === String(id).toLowerCase());
}

/** The claims Entra puts in both ID and access tokens for a user. */
function userClaims(user) {
  return {
    tid: TENANT_ID,
    oid: user.oid,
    preferred_username: user.username,
    name: user.name,
    email: user.username,
    groups: user.groups,
    ver: '2.0',
  };
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * Starts the provider. `webOrigin` is the SPA's origin: its redirect URIs and
 * post-logout URIs are the demo page's (`${webOrigin}/demo/`) and the Vite example's
 * (`${webOrigin}/app/`, tests/bundler).
 */
/** `extraRedirectPaths`: more redirect (and post-logout) paths on `webOrigin` to register,
 *  e.g. the MSAL.js comparison's two apps (tests/compare). `albApp`: the ALB's app
 *  registration (seed 000, alb-app.mjs), when the stack has an ALB. */
export async function startProvider({ port, webOrigin, accessTokenTtl = 3600, extraRedirectPaths = [], albApp = null, log = () => {} }) {
  const origin = `http://127.0.0.1:${port}`;
  const issuer = `${origin}/${TENANT_ID}/v2.0`;
  const t = `/${TENANT_ID}`;
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };
  // Test settings and counters (tests/browser): see the functions after startProvider.
  const settings = { discoveryIssuer: undefined };
  const counts = { refresh: 0, resource: 0 };
  const stepUp = authenticationContexts();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: SPA_CLIENT_ID,
        client_name: 'StackFlow demo (SPA)',
        // A public client: no secret, so PKCE is required (S256 is the only method v9 offers).
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${webOrigin}/demo/`, `${webOrigin}/demo/index.html`, `${webOrigin}/app/`,
          ...extraRedirectPaths.map((p) => `${webOrigin}${p}`)],
        post_logout_redirect_uris: [`${webOrigin}/demo/`, `${webOrigin}/demo/index.html`, `${webOrigin}/app/`,
          ...extraRedirectPaths.map((p) => `${webOrigin}${p}`)],
      },
      // The ALB's app registration (seed 000, alb-app.mjs), when the stack has an ALB.
      ...(albApp ? [albApp.client] : []),
    ],
    ...albAppSubjects(albApp),
    jwks: { keys: [signingKey] },
    routes: {
      authorization: `${t}/oauth2/v2.0/authorize`,
      token: `${t}/oauth2/v2.0/token`,
      end_session: `${t}/oauth2/v2.0/logout`,
      jwks: `${t}/discovery/v2.0/keys`,
      userinfo: `${t}/openid/userinfo`,
      revocation: `${t}/oauth2/v2.0/revoke`,
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      openid: ['sub', 'tid', 'oid', 'ver'],
      profile: ['name', 'preferred_username', 'groups', 'login_hint'],
      email: ['email'],
    },
    // Entra puts the profile claims in the ID token itself, not only behind userinfo.
    conformIdTokenClaims: false,
    async findAccount(_ctx, id) {
      const user = findUser(id);
      if (!user) return undefined;
      return {
        accountId: user.oid,
        async claims() {
          // Entra's optional `login_hint` claim is what its end-session `logout_hint` takes.
          return { sub: user.oid, ...userClaims(user), login_hint: user.username };
        },
      };
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => { ctx.body = logoutPage(form); },
        postLogoutSuccessSource: async (ctx) => { ctx.body = signedOutPage(); },
      },
      resourceIndicators: {
        enabled: true,
        // Entra picks the audience from the scope (`api://<app id>/access_as_user`), not a
        // `resource` parameter, so every request gets the API as its resource.
        defaultResource: async (ctx, client) => albAppResource(albApp, ctx, client) ?? `api://${API_APP_ID}`,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => albApp?.resourceServerInfo(resource, accessTokenTtl) ?? ({
          scope: `${API_SCOPE} ${SCP}`,
          audience: API_APP_ID,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken') return undefined;
      const user = findUser(token.accountId);
      // Entra's delegated access tokens name the client in `azp` and the scope in `scp`.
      return user ? { ...userClaims(user), ...albAppGroups(albApp, token.clientId, user), scp: SCP, azp: token.clientId, ...stepUp.claimsFor(token.grantId) } : undefined;
    },
    formats: { customizers: { jwt: async (_ctx, token, jwt) => { albApp?.customizeJwt(token, jwt); return jwt; } } },
    // First-party app: consent is granted with the login, as an admin would have granted it.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      return undefined;
    },
    interactions: { url: (_ctx, interaction) => `${t}/login/${interaction.uid}` },
    ttl: {
      AccessToken: accessTokenTtl,
      IdToken: 3600,
      // Entra's SPA refresh tokens live 24 hours whatever the activity.
      RefreshToken: 24 * 3600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
    },
    // The token endpoint answers the SPA's cross-origin requests (Entra does for SPA
    // redirect URIs); nothing else may call it from a browser.
    clientBasedCORS: (_ctx, origin) => origin === webOrigin,
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
  });

  provider.use(async (ctx, next) => {
    // Entra serves discovery under the tenant; oidc-provider under its mount (the root).
    if (ctx.path === `${t}/v2.0/.well-known/openid-configuration`) {
      ctx.path = '/.well-known/openid-configuration';
    }
    // oidc-provider drops `offline_access` unless `prompt=consent` is asked for (OIDC Core
    // §11); Entra issues SPA refresh tokens without it. Ask on the app's behalf.
    if (ctx.method === 'GET' && ctx.path === `${t}/oauth2/v2.0/authorize`) {
      const query = new URLSearchParams(ctx.querystring);
      const scopes = (query.get('scope') ?? '').split(' ');
      const prompts = (query.get('prompt') ?? '').split(' ').filter(Boolean);
      if (scopes.includes('offline_access') && !prompts.includes('consent') && !prompts.includes('none')) {
        query.set('prompt', [...prompts, 'consent'].join(' '));
        ctx.querystring = query.toString();
      }
    }
    if (albApp && ctx.path === `${t}/oauth2/v2.0/logout`) albAppEndSession(albApp, ctx);
    if (albApp && ctx.path === GRAPH_USERINFO_PATH) {
      await albApp.userinfo(ctx, { issuer, publicJwks: publicJwks(signingKey), findUser });
      return;
    }
    if (ctx.path.startsWith(`${t}/login/`)) {
      await interaction(ctx);
      return;
    }
    await next();
  });

  async function interaction(ctx) {
    const [uid, action] = ctx.path.slice(`${t}/login/`.length).split('/');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
    const client = await provider.Client.find(details.params.client_id);
    if (ctx.method === 'GET' && !action) {
      ctx.type = 'html';
      ctx.body = loginPage({ action: `${t}/login/${uid}`, users: USERS, password: DEMO_PASSWORD, client, hint: details.params.login_hint });
      return;
    }
    if (ctx.method !== 'POST') ctx.throw(405);
    if (action === 'cancel') {
      // What Entra answers when the user closes the consent or sign-in prompt.
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'AADSTS65004: User declined to consent to access the app.',
      }, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }
    const form = await readForm(ctx.req);
    const user = findUser(form.get('username') ?? '');
    if (!user || form.get('password') !== DEMO_PASSWORD) {
      ctx.type = 'html';
      ctx.status = 200;
      ctx.body = loginPage({ action: `${t}/login/${uid}`, users: USERS, password: DEMO_PASSWORD, client, error: 'Unknown user name or wrong password.', hint: form.get('username') });
      return;
    }
    const refusal = albApp?.owns(details.params.client_id) ? albApp.assignmentRefusal(user) : null;
    if (refusal) {
      log(`login refused (not assigned): ${user.username}`);
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, refusal, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }
    log(`login: ${user.username}`);
    // A new grant every time: an earlier one may belong to another user of this browser.
    const grant = new provider.Grant({ accountId: user.oid, clientId: details.params.client_id });
    grant.addOIDCScope('openid offline_access profile email');
    grant.addOIDCClaims(['sub', 'tid', 'oid', 'ver', 'name', 'preferred_username', 'groups', 'login_hint', 'email']);
    grant.addResourceScope(`api://${API_APP_ID}`, `${API_SCOPE} ${SCP}`);
    addAlbAppResourceScopes(albApp, grant, details.params.client_id);
    const grantId = await grant.save();
    stepUp.satisfied(grantId, details.params.state);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: user.oid },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  const forgery = idTokenForgery(`${t}/oauth2/v2.0/token`);
  provider.use(forgery.middleware);
  provider.use(stepUp.middleware(`${t}/oauth2/v2.0/authorize`));
  provider.use(otherResources({ provider, tokenPath: `${t}/oauth2/v2.0/token`, issuer, signingKey, privateKey, webOrigin, accessTokenTtl, counts, stepUp, log }));
  provider.use(discoveryOverride(settings));

  const server = http.createServer(provider.callback());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    issuer, origin, server, settings, counts, close: () => new Promise((r) => server.close(r)),
    signNextIdTokenWithAnotherKey: forgery.arm,
  };
}

// ---------------------------------------------------------------------------------------
// What the browser package's "whole working day" tests need (issue 13), each on its own.

/**
 * Claims challenges answered by a step-up: an authorize request with a `claims` parameter
 * asking for `access_token.acrs` (Conditional Access authentication context) is satisfied
 * by the sign-in, and the access tokens of that grant carry the satisfied `acrs`, as
 * Entra's do. oidc-provider does not read `claims` here (its claims parameter feature is
 * off), so the request's contexts are remembered by `state` until the sign-in makes a grant.
 */
function authenticationContexts() {
  const byState = new Map();
  const byGrant = new Map();
  const requested = (claims) => {
    try {
      const acrs = JSON.parse(claims)?.access_token?.acrs;
      const values = acrs?.values ?? (acrs?.value !== undefined ? [acrs.value] : []);
      return values.filter((v) => typeof v === 'string');
    } catch {
      return [];
    }
  };
  return {
    middleware: (authorizePath) => async (ctx, next) => {
      if (ctx.method === 'GET' && ctx.path === authorizePath) {
        const query = new URLSearchParams(ctx.querystring);
        const claims = query.get('claims');
        if (claims !== null) {
          const acrs = requested(claims);
          if (acrs.length && query.get('state')) byState.set(query.get('state'), acrs);
          query.delete('claims');
          ctx.querystring = query.toString();
        }
      }
      await next();
    },
    satisfied(grantId, state) {
      const acrs = state && byState.get(state);
      if (acrs) {
        byGrant.set(grantId, acrs);
        byState.delete(state);
      }
    },
    claimsFor(grantId) {
      const acrs = byGrant.get(grantId);
      return acrs ? { acrs } : {};
    },
  };
}

/**
 * A test switch: once armed, the next ID token the token endpoint (`tokenPath`) answers
 * with is signed again with a key that is not the provider's, under the published `kid`,
 * header and claims unchanged: what a forger without the provider's key can make. A client
 * that does not check the signature would accept it.
 */
function idTokenForgery(tokenPath) {
  const { privateKey: otherKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  let armed = 0;
  const resign = (idToken) => {
    const [header, claims] = idToken.split('.');
    const signature = crypto.sign('sha256', Buffer.from(`${header}.${claims}`), otherKey);
    return `${header}.${claims}.${signature.toString('base64url')}`;
  };
  return {
    arm: () => { armed += 1; },
    async middleware(ctx, next) {
      await next();
      if (armed > 0 && ctx.path === tokenPath && typeof ctx.body?.id_token === 'string') {
        armed -= 1;
        ctx.body = { ...ctx.body, id_token: resign(ctx.body.id_token) };
      }
    },
  };
}

/**
 * The refresh token redeemed for another resource, as Entra allows for resources the app
 * has consent for: scopes of the Graph-shaped resource get an access token with
 * `aud` `https://graph.microsoft.com` and `scp` `User.Read`; a scope of any other resource
 * (not the sign-in's API) is refused with AADSTS65001, in Entra's error shape. Refresh
 * requests for the sign-in scopes go on to oidc-provider (and are counted).
 */
function otherResources({ provider, tokenPath, issuer, signingKey, privateKey, webOrigin, accessTokenTtl, counts, stepUp, log }) {
  const signIn = new Set(['openid', 'profile', 'email', 'offline_access', API_SCOPE, SCP]);
  const graph = new Set([GRAPH_SCOPE, `${GRAPH_RESOURCE}/${GRAPH_SCOPE}`]);
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const sign = (claims) => {
    const input = `${b64({ alg: 'RS256', kid: signingKey.kid, typ: 'JWT' })}.${b64(claims)}`;
    return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  const answer = (ctx, status, body) => {
    ctx.status = status;
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'no-store');
    if (ctx.get('origin') === webOrigin) ctx.set('Access-Control-Allow-Origin', webOrigin);
    ctx.body = body;
  };
  /** Entra's AADSTS65001 answer: invalid_grant, error_codes [65001], suberror consent_required. */
  const noConsent = (ctx) => {
    const trace = crypto.randomUUID();
    const correlation = crypto.randomUUID();
    const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    answer(ctx, 400, {
      error: 'invalid_grant',
      error_description: `AADSTS65001: The user or administrator has not consented to use the application with ID '${SPA_CLIENT_ID}' named 'StackFlow demo (SPA)'. Send an interactive authorization request for this user and resource.\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
      error_codes: [65001],
      timestamp,
      trace_id: trace,
      correlation_id: correlation,
      suberror: 'consent_required',
    });
  };
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== tokenPath || !ctx.is('application/x-www-form-urlencoded')) return next();
    let raw = '';
    for await (const chunk of ctx.req) {
      raw += chunk;
      if (raw.length > 56 * 1024) ctx.throw(413);
    }
    // oidc-provider reads an already-read body from here.
    ctx.req.body = raw;
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'refresh_token') return next();
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const other = scopes.filter((s) => !signIn.has(s));
    if (!other.length) {
      counts.refresh += 1;
      log(`token: refresh (${counts.refresh})`);
      return next();
    }
    if (!other.every((s) => graph.has(s))) {
      log(`token: no consent for ${other.join(' ')}`);
      return noConsent(ctx);
    }
    const refreshToken = await provider.RefreshToken.find(form.get('refresh_token') ?? '');
    if (!refreshToken || refreshToken.clientId !== form.get('client_id') || refreshToken.isExpired) {
      return answer(ctx, 400, { error: 'invalid_grant', error_description: 'AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime.', error_codes: [700084] });
    }
    const user = findUser(refreshToken.accountId);
    const now = Math.floor(Date.now() / 1000);
    counts.resource += 1;
    log(`token: ${GRAPH_RESOURCE} for ${user.username}`);
    answer(ctx, 200, {
      token_type: 'Bearer',
      scope: `${GRAPH_RESOURCE}/${GRAPH_SCOPE}`,
      expires_in: accessTokenTtl,
      ext_expires_in: accessTokenTtl,
      access_token: sign({
        aud: GRAPH_RESOURCE,
        iss: issuer,
        iat: now,
        nbf: now,
        exp: now + accessTokenTtl,
        sub: user.oid,
        azp: refreshToken.clientId,
        scp: GRAPH_SCOPE,
        ...userClaims(user),
        ...stepUp.claimsFor(refreshToken.grantId),
      }),
      // Entra rotates SPA refresh tokens; this stand-in hands the same one back.
      refresh_token: form.get('refresh_token'),
    });
  };
}

/** A discovery document that names another issuer when a test sets
 * `settings.discoveryIssuer` (the browser must refuse it: OIDC Discovery 1.0 §4.3). */
function discoveryOverride(settings) {
  return async (ctx, next) => {
    await next();
    if (settings.discoveryIssuer && ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
      ctx.body = { ...ctx.body, issuer: settings.discoveryIssuer };
    }
  };
}

// ---- The ALB's app registration (seed 000): hooks, each a no-op without `albApp` ----

/** Pairwise `sub` for the ALB's app (Entra's per-application subject); public for others. */
function albAppSubjects(albApp) {
  if (!albApp) return {};
  return {
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) => (albApp.owns(client.clientId) ? albApp.pairwiseSubject(accountId) : accountId),
  };
}

/** The ALB app's resource: its own API when the scope asks for it, else Graph. */
function albAppResource(albApp, ctx, client) {
  if (!albApp?.owns(client?.clientId)) return undefined;
  const scope = ctx.oidc?.params?.scope ?? [...(ctx.oidc?.entities?.AuthorizationCode?.scopes ?? [])].join(' ');
  return albApp.resourceFor(scope);
}

function albAppGroups(albApp, clientId, user) {
  return albApp?.owns(clientId) ? { groups: albApp.groupsOf(user) } : {};
}

function addAlbAppResourceScopes(albApp, grant, clientId) {
  if (!albApp?.owns(clientId)) return;
  grant.addResourceScope(`api://${albApp.clientId}`, `${albApp.apiScope} access_as_user`);
  grant.addResourceScope(GRAPH_RESOURCE, 'openid profile email User.Read');
}

function publicJwks(signingKey) {
  const { kty, n, e, kid, alg, use } = signingKey;
  return { keys: [{ kty, n, e, kid, alg, use }] };
}

/** Entra honours a registered `post_logout_redirect_uri` without `client_id` (the edge
 * gate's /logout sends none); oidc-provider wants the client named: name the ALB's app when
 * the URI is one of its own. */
function albAppEndSession(albApp, ctx) {
  const query = new URLSearchParams(ctx.querystring);
  const uri = query.get('post_logout_redirect_uri');
  if (ctx.method !== 'GET' || !uri || query.has('client_id') || query.has('id_token_hint')) return;
  if (!albApp.client.post_logout_redirect_uris.includes(uri)) return;
  query.set('client_id', albApp.clientId);
  ctx.querystring = query.toString();
}
