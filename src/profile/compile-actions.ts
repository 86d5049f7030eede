// The profile's actions compiled: each one's effect, key, argv placeholders, timeout and `then:`
// chain checked, with a key that no built-in command or other action holds and no `then:` cycle.
// Apart from compile.ts because what an action may be bound to and run is its own set of rules.

import { ACTION_DEFAULT_KEYS, builtinKeyList, builtinKeyOf, describeKey, unreachableKey } from './builtin-keys.js';
import { DEFAULTS } from './defaults.js';
import type { PathSegment } from './issues.js';
import type { ActionParsed } from './schema.js';
import { didYouMean } from './suggest.js';
import { PLACEHOLDERS, unknownPlaceholders } from './template.js';
import type { Action, ActionEffect } from './types.js';
import { list, type Broken, type Report } from './compile-report.js';

export function effectOf(id: string, a: ActionParsed): ActionEffect {
  if (typeof a.effect === 'object') return 'traffic';
  return a.effect ?? (id === 'promote' ? 'promote' : id === 'rollback' ? 'rollback' : 'none');
}

export function compileActions(parsed: Record<string, ActionParsed>, broken: Broken, error: Report): Record<string, Action> {
  const actions: Record<string, Action> = {};
  const boundBy = new Map<string, string>();
  for (const [id, a] of Object.entries(parsed)) {
    const path = ['actions', id];
    const effect = effectOf(id, a);
    const key = a.key ?? ACTION_DEFAULT_KEYS[id];
    if (key !== undefined) checkKey(id, key, a.key !== undefined ? [...path, 'key'] : path, boundBy, error);

    a.run.forEach((arg, i) => {
      const unknown = unknownPlaceholders(arg);
      for (const name of unknown) {
        error([...path, 'run', i], `unknown placeholder {{${name}}}${didYouMean(name, PLACEHOLDERS)}; known: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')}`);
      }
    });
    if (a.then !== undefined && !Object.hasOwn(parsed, a.then) && !broken.actions.has(a.then)) {
      error([...path, 'then'], `unknown action "${a.then}"${didYouMean(a.then, Object.keys(parsed))}; actions: ${list(Object.keys(parsed))}`);
    }
    if (a.timeout === 0) error([...path, 'timeout'], 'timeout must be longer than 0');

    actions[id] = {
      id,
      title: a.title ?? id,
      ...(a.description !== undefined ? { description: a.description } : {}),
      ...(key !== undefined ? { key } : {}),
      run: a.run,
      shell: a.shell ?? false,
      // Taking traffic away is as destructive as a rollback.
      confirm: a.confirm ?? (effect === 'rollback' || effect === 'traffic' ? 'typed' : 'yes'),
      timeoutMs: a.timeout ?? DEFAULTS.actionTimeoutMs,
      env: a.env ?? {},
      ...(a.cwd !== undefined ? { cwd: a.cwd } : {}),
      ...(a.then !== undefined ? { then: a.then } : {}),
      effect,
      ...(typeof a.effect === 'object' ? { traffic: a.effect.traffic } : {}),
    };
  }
  checkThenCycles(parsed, error);
  return actions;
}

function checkKey(id: string, key: string, path: PathSegment[], boundBy: Map<string, string>, error: Report): void {
  const builtin = builtinKeyOf(key);
  if (builtin) {
    error(path, `key ${describeKey(key)} is the console's own, to ${builtin.help}; pick a key other than ${builtinKeyList()}`);
    return;
  }
  const unreachable = unreachableKey(key);
  if (unreachable !== undefined) {
    error(path, `${unreachable}: no keypress could run "${id}"; pick a letter, digit or sign`);
    return;
  }
  const keptFor = Object.entries(ACTION_DEFAULT_KEYS).find(([owner, k]) => k === key && owner !== id)?.[0];
  if (keptFor) {
    error(path, `key "${key}" is kept for ${keptFor}; pick another key for "${id}"`);
    return;
  }
  const other = boundBy.get(key);
  if (other !== undefined) {
    error(path, `key "${key}" is bound to both "${other}" and "${id}"; give one of them another key`);
    return;
  }
  boundBy.set(key, id);
}

function checkThenCycles(parsed: Record<string, ActionParsed>, error: Report): void {
  const reported = new Set<string>();
  for (const start of Object.keys(parsed)) {
    const chain = [start];
    let next = parsed[start]!.then;
    while (next !== undefined && Object.hasOwn(parsed, next)) {
      if (chain.includes(next)) {
        const loop = [...chain.slice(chain.indexOf(next)), next];
        const key = [...new Set(loop)].sort().join();
        if (!reported.has(key)) {
          reported.add(key);
          error(['actions', chain[chain.length - 1]!, 'then'], `then: makes a loop: ${loop.join(' → ')}`);
        }
        break;
      }
      chain.push(next);
      next = parsed[next]!.then;
    }
  }
}
