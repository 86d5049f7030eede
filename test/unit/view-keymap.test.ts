import { describe, expect, it } from 'vitest';
import { buildKeymap, keyLabel } from '../../src/console/keymap.js';
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

});
