import { describe, expect, it } from 'vitest';
import { buildKeymap, keyLabel, keyName, splitKeys } from '../../src/console/keymap.js';
import { consoleProfile } from '../fixtures/console/state.js';

describe('the keymap', () => {
  it('binds p and r to the profile promote and rollback, and an action its own key', () => {
    const keymap = buildKeymap(consoleProfile());
    expect(keymap.resolve('p')).toBe('action.promote');
    expect(keymap.resolve('r')).toBe('action.rollback');
    expect(keymap.resolve('x')).toBe('action.restart');
    expect(keymap.resolve('R')).toBe('poll.now');
  });

  it('keeps the built-in key when an action asks for it, and says so', () => {
    const profile = consoleProfile();
    profile.actions.restart = { ...profile.actions.restart!, key: 'q' };
    const keymap = buildKeymap(profile);
    expect(keymap.resolve('q')).toBe('app.quit');
    expect(keymap.conflicts).toEqual(['action restart: key q is already app.quit; the action has no key here']);
  });

  it('names arrows, enter, tab, space and ctrl keys', () => {
    expect(keyName('', { upArrow: true })).toBe('up');
    expect(keyName('', { return: true })).toBe('enter');
    expect(keyName('', { tab: true })).toBe('tab');
    expect(keyName(' ', {})).toBe('space');
    expect(keyName('c', { ctrl: true })).toBe('ctrl+c');
    expect(keyName('R', { shift: true })).toBe('R');
  });

  it('writes keys the way the screen shows them', () => {
    expect(keyLabel(['down', 'j'])).toBe('↓/j');
    expect(keyLabel(['q', 'ctrl+c'])).toBe('q/^C');
  });

  it('gives every binding help text and every key one command', () => {
    const keymap = buildKeymap(consoleProfile());
    const keys = keymap.bindings.flatMap((b) => b.keys);
    expect(new Set(keys).size).toBe(keys.length);
    for (const b of keymap.bindings) expect(b.help.length).toBeGreaterThan(3);
  });

  it('splits keys that arrived together into one name each', () => {
    expect(splitKeys('\t ')).toEqual(['tab', 'space']);
    expect(splitKeys('jj')).toEqual(['j', 'j']);
    expect(splitKeys('back\r')).toEqual(['b', 'a', 'c', 'k', 'enter']);
    expect(splitKeys('\x1b[Bk')).toEqual(['down', 'k']);
  });

  it('ignores an escape sequence it does not know rather than acting on its characters', () => {
    expect(splitKeys('[1;5A')).toEqual([]);
  });
});
