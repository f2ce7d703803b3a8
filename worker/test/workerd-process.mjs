// The self-hosted gate as a real process: `node workerd/start.mjs`, which checks the settings
// and runs `workerd serve workerd/config.capnp` (the npm `workerd` binary, not Miniflare).
// Used by workerd.test.mjs, bench/workerd.mjs and the browser tests of seed 000.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const START = path.join(WORKER_DIR, 'workerd/start.mjs');

/**
 * Runs start.mjs with only `settings` (plus PATH) as its environment and `args`; resolves
 * when it exits, with its code and output. For the "refuses to start" cases.
 */
export function runStart(settings, args = [], { timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [START, ...args], {
      env: { PATH: process.env.PATH, ...settings },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`start.mjs still running after ${timeoutMs} ms: ${stderr}`)); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Calls `onLine` with each whole, non-empty line of `stream`: a chunk need not end at a
 * line's end (a decision-log line split across two chunks is one line, not two bad ones). */
function eachLine(stream, onLine) {
  let partial = '';
  stream.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) if (line) onLine(line);
  });
  stream.on('end', () => { if (partial) onLine(partial); });
}

/**
 * Starts the gate on 127.0.0.1 (an ephemeral port unless `listen` says otherwise) with
 * `settings` as its environment. Resolves to `{ url, pid, stop }` once workerd listens;
 * `pid` is workerd's own (for RSS), not the launcher's.
 */
export function startWorkerdGate(settings, { listen = '127.0.0.1:0', args = [], log = () => {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [START, '--listen', listen, ...args], {
      env: { PATH: process.env.PATH, ...settings },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Whatever ends the test process, the gate ends with it.
    const killOnExit = () => child.kill('SIGTERM');
    process.once('exit', killOnExit);
    let stderr = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`workerd did not listen within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c) => { stderr += c; });
    eachLine(child.stderr, log);
    child.stdout.setEncoding('utf8');
    eachLine(child.stdout, (line) => {
      log(line);
      const m = /^listening on (http:\/\/\S+) pid (\d+)$/.exec(line);
      if (m && !ready) {
        ready = true;
        clearTimeout(timer);
        resolve({
          url: m[1],
          pid: Number(m[2]),
          launcherPid: child.pid,
          stderr: () => stderr,
          stop: () => new Promise((done) => {
            process.removeListener('exit', killOnExit);
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.on('exit', (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`start.mjs exited with ${code} before listening: ${stderr}`));
      }
    });
  });
}
