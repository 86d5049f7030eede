// The console's own keys are written once (profile/builtin-keys.ts): the keymap binds exactly
// those, and the compiler refuses each of them to a profile action, so an action can never be
// bound to a key that will not run it, vanish from the footer and from `?`.

import { describe, expect, it } from 'vitest';
import { BUILTIN_KEYS } from '../../src/profile/builtin-keys.js';
import { checkProfileText } from '../../src/profile/load.js';
import { buildKeymap } from '../../src/console/keymap.js';

/** The character a profile writes (in a YAML double-quoted string) for each key name that has one. */
const WRITTEN: Record<string, string> = { tab: '\\t', enter: '\\r', space: ' ', escape: '\\e', 'ctrl+c': '\\x03', '?': '?', '[': '[', ']': ']' };

function actionOnKey(written: string): string[] {
  const text = [
    'name: keys',
    'sources: { s: { type: exec, run: [echo, "1"] } }',
    'metrics: { m: { source: s, query: $ } }',
    'phases: [{ name: canary, traffic: 10 }]',
    'actions:',
    `  mine: { key: "${written}", run: [mine] }`,
    '',
  ].join('\n');
  return checkProfileText(text, 'keys.yaml', { env: {} }).issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.path}: ${i.message}`);
}

describe('the built-in keys', () => {
  it('are what the keymap binds, command for command', () => {
    const keymap = buildKeymap({ actions: {} });
    expect(keymap.bindings.map((b) => [b.command, b.keys])).toEqual(BUILTIN_KEYS.map((b) => [b.command, [...b.keys]]));
    for (const b of BUILTIN_KEYS) for (const key of b.keys) expect(keymap.resolve(key)).toBe(b.command);
  });

  it('are each refused to a profile action, at the key, when a profile can write them', () => {
    const writable = BUILTIN_KEYS.flatMap((b) => b.keys).filter((k) => k !== 'up' && k !== 'down');
    expect(writable).toContain('a');
    for (const key of writable) {
      const issues = actionOnKey(WRITTEN[key] ?? key);
      expect(issues, key).toHaveLength(1);
      expect(issues[0], key).toMatch(/^keys\.yaml:6:16: actions\.mine\.key: key .* is the console's own, to /);
    }
  });

  it('leave every other letter and digit to the profile', () => {
    const taken = new Set(BUILTIN_KEYS.flatMap((b) => b.keys));
    const free = [...'bdeghilmnostuvwxyzABCDEFGHIJKLMNOPQSTUVWXYZ0123456789'].filter((k) => !taken.has(k));
    for (const key of free) expect(actionOnKey(key), key).toEqual([]);
  });
});
