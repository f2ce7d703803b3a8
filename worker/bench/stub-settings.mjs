// Worker settings for the benchmarks that run the gate with fetch stubbed (micro.mjs,
// variants/ab.mjs): every URL is a placeholder that is never fetched.
import { ALB_ARN, ALB_CLIENT, COGNITO_CLIENT, GROUP_ROLES, POLICY } from '../test/helpers.mjs';

export const STUB_ISSUER = 'https://cognito.example/pool';

export const stubSettings = () => ({
  ORIGIN_URL: 'https://origin.example', ALB_ARNS: ALB_ARN, ALB_CLIENT_IDS: ALB_CLIENT, ALB_KEYS_URL: 'https://alb-keys.example',
  COGNITO_ISSUER: STUB_ISSUER, COGNITO_JWKS_URL: `${STUB_ISSUER}/.well-known/jwks.json`, COGNITO_CLIENT_IDS: COGNITO_CLIENT,
  GROUP_ROLES: JSON.stringify(GROUP_ROLES), POLICY: JSON.stringify(POLICY),
});
