// What bench.mjs and profile.mjs share: the key servers and origin (bench/servers.mjs, in
// their own process so their work is not counted as the worker's) and the worker settings
// that point at them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { WORKER_DIR, ALB_ARN, ALB_CLIENT, COGNITO_CLIENT, GROUP_ROLES, POLICY } from '../test/helpers.mjs';

/// Starts the servers for the ALB signer `alb` and Cognito signer `cog`; returns the child
/// process (kill it when done) and the worker bindings.
export async function startServers(alb, cog) {
  const servers = spawn(process.execPath, [path.join(WORKER_DIR, 'bench/servers.mjs'),
    JSON.stringify({ albKeys: { [alb.kid]: alb.pem }, jwks: { keys: [cog.jwk] } })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(servers.stdout, 'data');
  const urls = JSON.parse(line.toString());
  const bindings = {
    ORIGIN_URL: urls.origin,
    ALB_ARNS: ALB_ARN, ALB_CLIENT_IDS: ALB_CLIENT, ALB_KEYS_URL: urls.alb,
    COGNITO_ISSUER: `${urls.cognito}/pool`, COGNITO_JWKS_URL: `${urls.cognito}/pool/.well-known/jwks.json`, COGNITO_CLIENT_IDS: COGNITO_CLIENT,
    GROUP_ROLES: JSON.stringify(GROUP_ROLES), POLICY: JSON.stringify(POLICY),
  };
  return { servers, bindings };
}
