// Which colour each tone is drawn in: the one table the frame writer (console/frame-writer.ts)
// reads, so a tone looks the same wherever it is drawn.

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
