// Fails when a tracked test, script or manifest names a path outside the checkout, so a
// clone alone runs README's commands (issue 15, part 2: the Wycheproof vectors used to be
// read from the shared folder next to the repository).
//
// Static and conservative: every run of `..` segments in a tracked *.rs *.mjs *.js *.sh
// *.toml *.json file is resolved against the folder it is relative to in practice (Rust:
// the package root, CARGO_MANIFEST_DIR, which cargo test's working directory and
// concat!(env!("CARGO_MANIFEST_DIR"), …) use, but the file's own folder for a bare
// include_str!/include_bytes!; a shell path after `$ROOT/`: the repository root; everything
// else: the file's own folder, which scripts cd into or resolve from) and must stay inside
// the repository. Absolute paths into this machine's shared
// folders are refused outright. tests/standalone.sh also runs the vectors from a copy.
//
//   node tests/standalone/paths.mjs            check the checkout it lives in
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHECKED = /\.(rs|mjs|js|sh|toml|json)$/;
// Paths that exist only on the machine the project was first built on.
const FORBIDDEN = [/\.\.\/shared\b/, /(^|[^\w.])\/work\//];
// A run of `..` segments: `..`, `../..`, `/../../x` (the leading slash of a concat! part too).
const DOTS = /(?<![\w.])\.\.(?:[/\\]\.\.)*(?=[/\\'"`\s),;]|$)/g;

function packageRoot(file) {
  if (!file.endsWith('.rs')) return path.dirname(file);
  for (let dir = path.dirname(file); dir !== '.'; dir = path.dirname(dir)) {
    if (existsSync(path.join(ROOT, dir, 'Cargo.toml'))) return dir;
  }
  return '.';
}

const depth = (dir) => (dir === '.' ? 0 : dir.split('/').length);

const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => CHECKED.test(f) && !f.endsWith('package-lock.json'));

const problems = [];
for (const file of files) {
  // These two name the patterns they look for.
  if (file === 'tests/standalone/paths.mjs' || file === 'tests/standalone.sh') continue;
  const crateBase = packageRoot(file);
  readFileSync(path.join(ROOT, file), 'utf8').split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    for (const pattern of FORBIDDEN) {
      if (pattern.test(line)) problems.push(`${where}: names a path outside the checkout: ${line.trim()}`);
    }
    const base = /include_(str|bytes)!\(\s*"/.test(line) ? path.dirname(file) : crateBase;
    for (const match of line.matchAll(DOTS)) {
      const before = line.slice(0, match.index);
      const from = /\$\{?ROOT\}?"?\/$/.test(before) ? '.' : base;
      const ups = match[0].split(/[/\\]/).filter((s) => s === '..').length;
      if (ups > depth(from)) {
        problems.push(`${where}: ${ups}× '..' from ${from}/ leaves the repository: ${line.trim()}`);
      }
    }
  });
}

if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`${problems.length} path(s) outside the checkout in ${files.length} tracked files`);
  process.exit(1);
}
console.log(`no path outside the checkout in ${files.length} tracked files`);
