// Which colour each tone is drawn in: the one table both renderers read — Ink's components, and
// the first paint written before Ink has loaded — so the two frames look the same.

import type { Tone } from './line.js';

export type ToneColor = 'green' | 'cyan' | 'yellow' | 'red' | 'gray' | 'magenta';

export const TONE_COLOR: Record<Tone, ToneColor | undefined> = {
  ok: 'green',
  pending: 'cyan',
  warn: 'yellow',
  bad: 'red',
  muted: 'gray',
  accent: 'cyan',
  canary: 'cyan',
  baseline: 'magenta',
  title: undefined,
};
