// The rollouts `rollcall` opens when no profile is named: the default set, written once in the
// user's config file, so the morning's "how are all of them?" is one word. `check` and `report`
// read the same set.
//
//   # ~/.config/rollcall/config.yaml   ($XDG_CONFIG_HOME/rollcall/config.yaml, or $ROLLCALL_CONFIG)
//   profiles:
//     - ~/rollouts                     # a directory: every *.yaml in it
//     - /srv/rollcall/checkout.yaml
//
// Relative paths are read from the config file's directory. A mistake in the file is reported at
// file:line:col, like a profile's.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { sanitizeLine } from '../util/sanitize.js';

export type DefaultSet = { paths: string[]; file: string } | { error: string };

/** Where the config file is: $ROLLCALL_CONFIG, else $XDG_CONFIG_HOME/rollcall/config.yaml, else ~/.config/…. */
export function configFile(env: Record<string, string | undefined> = process.env): string {
  if (env.ROLLCALL_CONFIG) return env.ROLLCALL_CONFIG;
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(base, 'rollcall', 'config.yaml');
}

const HOW = 'name a profile or a directory, or list the default set in';

/** The default set's paths (directories or profiles), or a sentence that says what to do. */
export async function readDefaultSet(env: Record<string, string | undefined> = process.env): Promise<DefaultSet> {
  const file = configFile(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { error: `${HOW} ${file} (profiles: [~/rollouts])` };
    return { error: `${file}: cannot be read (${code ?? String(error)})` };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined): string => {
    const pos = lines.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) return { error: `${at(doc.errors[0]!.pos[0])}: ${sanitizeLine(doc.errors[0]!.message.split('\n')[0] ?? '')}` };
  const node = doc.get('profiles', true);
  if (node === undefined) return { error: `${at(0)}: profiles: missing; ${HOW} it as a list, e.g. profiles: [~/rollouts]` };
  if (!isSeq(node) || node.items.length === 0) return { error: `${at((node as { range?: [number] }).range?.[0])}: profiles: expected a list of directories or profile files` };
  const paths: string[] = [];
  for (const item of node.items) {
    if (!isScalar(item) || typeof item.value !== 'string' || item.value.trim() === '') {
      return { error: `${at((item as { range?: [number] }).range?.[0])}: profiles: each entry is a path (a directory or a profile file)` };
    }
    paths.push(expand(item.value, dirname(resolve(file)), env));
  }
  return { paths, file };
}

function expand(path: string, base: string, env: Record<string, string | undefined>): string {
  if (path === '~' || path.startsWith('~/')) return join(env.HOME ?? homedir(), path.slice(1));
  return resolve(base, path);
}
