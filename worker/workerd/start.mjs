// Starts the self-hosted edge gate: the same worker as `wrangler deploy`, run by the workerd
// binary (npm `workerd`) with workerd/config.capnp (written first by generate.mjs).
//
//   node workerd/start.mjs [--env-file FILE] [--listen ADDR]
//
// Settings come from the environment; `--env-file` (or GATE_ENV_FILE) adds `NAME=value`
// lines for the names the environment does not set (systemd's EnvironmentFile syntax:
// `#` comments, optional single or double quotes). The listen address is `--listen` or
// GATE_LISTEN, default 0.0.0.0:8080 (the ALB target group's port).
//
// Before workerd starts, the settings are checked by the gate's own configuration code (the
// core's wasm, run here in Node): a missing or malformed setting stops the start with its
// name (exit 2) instead of a gate that answers 500 to everything; so does an ASSERTION_KEY
// that WebCrypto refuses. Once workerd listens this
// prints one line `listening on http://HOST:PORT pid PID`; SIGTERM/SIGINT are passed on.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import workerd from 'workerd';
import { readWranglerToml, writeConfig } from './generate.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.resolve(HERE, '..');

const fail = (message) => {
  console.error(`entra-edge-auth gate: not starting: ${message}`);
  process.exit(2);
};

/** `NAME=value` lines → object (blank lines and `#` comments skipped, quotes removed). */
export function parseEnvFile(text) {
  const out = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 1) throw new Error(`line ${i + 1} is not NAME=value`);
    const name = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.at(-1) === q) value = value.slice(1, -1);
    out[name] = value;
  });
  return out;
}

function option(name, envName, fallback) {
  const i = process.argv.indexOf(name);
  if (i >= 0) {
    if (!process.argv[i + 1]) fail(`${name} needs a value`);
    return process.argv[i + 1];
  }
  return process.env[envName] || fallback;
}

const envFile = option('--env-file', 'GATE_ENV_FILE', undefined);
const listen = option('--listen', 'GATE_LISTEN', '0.0.0.0:8080');

const env = { ...process.env };
if (envFile) {
  let parsed;
  try {
    parsed = parseEnvFile(fs.readFileSync(envFile, 'utf8'));
  } catch (e) {
    fail(`settings file ${envFile}: ${e.message}`);
  }
  for (const [k, v] of Object.entries(parsed)) if (env[k] === undefined) env[k] = v;
}

// The config follows wrangler.toml (the settings, written once there) and the build.
let CONFIG;
try {
  CONFIG = writeConfig();
} catch (e) {
  fail(e.message);
}
const wasmPath = path.join(WORKER, 'pkg/entra_edge_auth_bg.wasm');

// The settings check: the same parser the gate runs in workerd, over the same names.
const { settings } = readWranglerToml(fs.readFileSync(path.join(WORKER, 'wrangler.toml'), 'utf8'));
const { initSync, EdgeGate } = await import(path.join(WORKER, 'pkg/entra_edge_auth.js'));
initSync({ module: new WebAssembly.Module(fs.readFileSync(wasmPath)) });
const bindings = Object.fromEntries(settings.filter((n) => env[n] !== undefined).map((n) => [n, env[n]]));
const quiet = console.error;
console.error = () => {}; // the gate logs the same error itself; say it once, below
const checked = new EdgeGate(bindings);
// A key that reads but WebCrypto refuses (ASSERTION_KEY's x/y not its d's) is found by
// importing it and signing once, as the gate would on its first verified request.
const problem = checked.configError() ?? (await checked.checkAssertionKey());
console.error = quiet;
if (problem) fail(problem);

const child = spawn(workerd.default ?? workerd, ['serve', CONFIG, '--socket-addr', `http=${listen}`, '--control-fd=3'], {
  env,
  stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// workerd reports each socket it listens on as a JSON line on the control fd.
createInterface({ input: child.stdio[3] }).on('line', (line) => {
  let event;
  try { event = JSON.parse(line); } catch { return; }
  if (event.event === 'listen' && event.socket === 'http') {
    const host = listen.slice(0, listen.lastIndexOf(':'));
    const shown = host === '*' || host === '0.0.0.0' ? '127.0.0.1' : host;
    console.log(`listening on http://${shown}:${event.port} pid ${child.pid}`);
  }
});
