// `npm start`: the console on the built-in demo. The bundle is rebuilt only when a source is newer
// than it (a fresh `npm ci` has already built it), so on a built tree the first screen is the
// bundle's own start-up and nothing else: tsc and esbuild take 10-20 s on a small machine.
//
// The bundle then runs in this very process (one Node start, not two): it sees itself as the
// entry point because argv[1] names it, exactly as `node dist/rollcall/rollcall.mjs demo …` would.

import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'rollcall', 'rollcall.mjs');
/** What the bundle is built from: a change to any of these means a rebuild. */
const INPUTS = ['src', 'profiles/demo.yaml', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function newest(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

function built() {
  try {
    return statSync(bundle).mtimeMs;
  } catch {
    return 0;
  }
}

if (Math.max(...INPUTS.map((p) => newest(join(root, p)))) > built()) {
  process.stderr.write('rollcall: sources changed since the last build; building the bundle (10-20 s)…\n');
  const result = spawnSync('npm', ['run', 'bundle', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

process.argv = [process.argv[0], bundle, 'demo', ...process.argv.slice(2)];
await import(pathToFileURL(bundle).href);
