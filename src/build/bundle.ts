// `npm run bundle`: one self-contained dist/rollcall.mjs that runs with plain `node` (20 or later)
// and no node_modules — for a bastion where nothing can be installed. The demo profile is embedded
// so `node rollcall.mjs demo` works with no file beside it.

import { chmod, readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, formatMessages, type Message, type Plugin } from 'esbuild';
import { DEMO_PROFILE_PATH } from '../demo/profile.js';
import { isEntryPoint } from '../entry.js';

export interface BundleOptions {
  /** The repository (default: found from this file). */
  root?: string;
  /** Default: <root>/dist/rollcall.mjs */
  outfile?: string;
}

export interface BundleResult {
  outfile: string;
  bytes: number;
  warnings: string[];
}

/**
 * CommonJS dependencies (pg, commander …) call require(); an ES module has none, so the bundle
 * makes one. (esbuild keeps src/cli.ts's hashbang above it, so `./rollcall.mjs` runs directly.)
 */
const BANNER = [
  "import { createRequire as __rollcallCreateRequire } from 'node:module';",
  'const require = __rollcallCreateRequire(import.meta.url);',
].join('\n');

/**
 * Imports never taken at run time: ink loads react-devtools-core, and ws for it, only when
 * DEV=true, and pg loads pg-native only when asked for native bindings. (ws is installed, but
 * its 60 kB would be compiled at every start for nothing.) Each resolves to a module that says
 * what is missing if it is ever reached.
 */
const ABSENT_OPTIONAL = ['react-devtools-core', 'pg-native', 'ws'];

const absentOptional: Plugin = {
  name: 'absent-optional',
  setup(b) {
    const filter = new RegExp(`^(${ABSENT_OPTIONAL.map((n) => n.replace(/[-/]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'absent-optional' }));
    b.onLoad({ filter: /.*/, namespace: 'absent-optional' }, (args) => ({
      contents: `const missing = () => { throw new Error(${JSON.stringify(`${args.path} is not included in the rollcall bundle`)}); };
export default { initialize: missing, connectToDevTools: missing };`,
      loader: 'js',
    }));
  },
};

export async function buildBundle(opts: BundleOptions = {}): Promise<BundleResult> {
  const root = opts.root ?? findRoot();
  const outfile = opts.outfile ?? join(root, 'dist', 'rollcall.mjs');
  const demoProfile = await readFile(join(root, DEMO_PROFILE_PATH), 'utf8');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: BANNER },
    // Production React and a minified file: a bastion pays parse time at every start.
    define: { __ROLLCALL_DEMO_PROFILE__: JSON.stringify(demoProfile), 'process.env.NODE_ENV': '"production"' },
    minify: true,
    plugins: [absentOptional],
    legalComments: 'eof',
    logLevel: 'silent',
  });
  await chmod(outfile, 0o755);
  const warnings = await formatMessages(result.warnings, { kind: 'warning', color: false });
  return { outfile, bytes: (await stat(outfile)).size, warnings: warnings.map((w) => w.trim()) };
}

/** The repository root: the nearest directory above this file whose package.json is rollcall's. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'rollcall') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the rollcall repository (package.json) above the bundle script');
    dir = parent;
  }
}

async function main(): Promise<number> {
  try {
    const built = await buildBundle();
    for (const warning of built.warnings) process.stderr.write(`${warning}\n`);
    // `npm start` builds quietly: the demo's screen is the first thing it shows.
    if (!process.argv.includes('--quiet')) process.stdout.write(`${relative(process.cwd(), built.outfile) || built.outfile}: ${(built.bytes / 1024 / 1024).toFixed(1)} MB\n`);
    return 0;
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    const text = errors?.length ? (await formatMessages(errors, { kind: 'error', color: false })).join('').trim() : error instanceof Error ? error.message : String(error);
    process.stderr.write(`bundle: ${text}\n`);
    return 1;
  }
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main();
