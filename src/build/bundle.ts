// `npm run bundle`: dist/rollcall/, one self-contained directory that runs with plain `node` (22.13
// or later) and no node_modules — for a bastion where nothing can be installed. The demo profile is
// embedded so `node rollcall/rollcall.mjs demo` works with no file beside it.
//
// Why a directory and not one file: split into chunks, a start parses only what that command needs
// (`check` never parses the console; pg waits for a profile that names PostgreSQL; undici's 700 kB
// waits for the first notification). One 1.7 MB file was parsed whole at every start:
// `rollcall --version` cost 340 ms of CPU against 140 ms split, `validate` 450 against 320.

import { chmod, readdir, readFile, rm, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, formatMessages, type Message, type Plugin } from 'esbuild';
import { DEMO_PROFILE_PATH } from '../demo/profile.js';
import { isEntryPoint } from '../entry.js';

/** The entry's file name inside the output directory. */
export const ENTRY = 'rollcall.mjs';

export interface BundleOptions {
  /** The repository (default: found from this file). */
  root?: string;
  /** Default: <root>/dist/rollcall (the entry is rollcall.mjs in it, the rest in chunks/). */
  outdir?: string;
}

export interface BundleResult {
  /** The entry: `node <outfile>` runs rollcall. */
  outfile: string;
  outdir: string;
  bytes: number;
  warnings: string[];
}

/**
 * CommonJS dependencies (pg, commander …) call require(); an ES module has none, so the bundle
 * makes one. (esbuild keeps src/main.ts's hashbang above it, so `./rollcall.mjs` runs directly.)
 */
const BANNER = [
  "import { createRequire as __rollcallCreateRequire } from 'node:module';",
  'const require = __rollcallCreateRequire(import.meta.url);',
].join('\n');

/**
 * Imports never taken at run time: pg loads pg-native only when asked for native bindings. Each
 * resolves to a module that says what is missing if it is ever reached.
 */
const ABSENT_OPTIONAL = ['pg-native'];

const absentOptional: Plugin = {
  name: 'absent-optional',
  setup(b) {
    const filter = new RegExp(`^(${ABSENT_OPTIONAL.map((n) => n.replace(/[-/]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'absent-optional' }));
    b.onLoad({ filter: /.*/, namespace: 'absent-optional' }, (args) => ({
      contents: `const missing = () => { throw new Error(${JSON.stringify(`${args.path} is not included in the rollcall bundle`)}); };
export default missing;`,
      loader: 'js',
    }));
  },
};

/**
 * commander's imports of node:child_process (for executable subcommands, which rollcall has none
 * of), node:util and node:process: as ES imports of built-ins they load child_process (with net,
 * dgram …) and every lazy export of util and of process, about 10 ms before the first frame. Each
 * becomes a module that asks Node for the built-in when commander first uses it; a name commander
 * would import besides these fails the build (esbuild: no matching export), so none goes missing.
 */
const LAZY_BUILTINS: Record<string, string> = {
  'node:child_process': `export default new Proxy({}, { get: (_, name) => process.getBuiltinModule('node:child_process')[name] });`,
  'node:util': `export const stripVTControlCharacters = (text) => process.getBuiltinModule('node:util').stripVTControlCharacters(text);`,
  // The global itself: the ES facade of node:process reads every property, the lazy ones too.
  'node:process': 'export default process;',
};

const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(child_process|util|process)$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ contents: LAZY_BUILTINS[args.path], loader: 'js' }));
  },
};

export async function buildBundle(opts: BundleOptions = {}): Promise<BundleResult> {
  const root = opts.root ?? findRoot();
  const outdir = opts.outdir ?? join(root, 'dist', 'rollcall');
  const outfile = join(outdir, ENTRY);
  // Chunk names carry content hashes: without this, old chunks would pile up beside new ones.
  await rm(outdir, { recursive: true, force: true });
  const demoProfile = await readFile(join(root, DEMO_PROFILE_PATH), 'utf8');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { rollcall: join(root, 'src', 'main.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    banner: { js: BANNER },
    // A minified file: a bastion pays parse time at every start.
    define: { __ROLLCALL_DEMO_PROFILE__: JSON.stringify(demoProfile) },
    minify: process.env.ROLLCALL_NO_MINIFY !== "1",
    plugins: [absentOptional, lazyBuiltins],
    legalComments: 'eof',
    logLevel: 'silent',
  });
  await chmod(outfile, 0o755);
  const warnings = await formatMessages(result.warnings, { kind: 'warning', color: false });
  return { outfile, outdir, bytes: await size(outdir), warnings: warnings.map((w) => w.trim()) };
}

/** Bytes of every file under a directory. */
async function size(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
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
    if (!process.argv.includes('--quiet')) process.stdout.write(`${relative(process.cwd(), built.outfile) || built.outfile}: ${(built.bytes / 1024 / 1024).toFixed(1)} MB in ${relative(process.cwd(), built.outdir) || built.outdir}/\n`);
    return 0;
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    const text = errors?.length ? (await formatMessages(errors, { kind: 'error', color: false })).join('').trim() : error instanceof Error ? error.message : String(error);
    process.stderr.write(`bundle: ${text}\n`);
    return 1;
  }
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main();
