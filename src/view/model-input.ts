// What the view model is built from. Its own file because every section's module reads it and
// model.ts reads every section's module: the input type sits below both.

import type { ConsoleState } from '../console/console-state.js';
import type { Keymap } from '../console/keymap.js';
import type { ChartPlot } from './chart.js';
import type { TerminalSize } from './layout.js';
import type { UiState } from './ui.js';

/** A one-entry memo for the chart, the costly part of a frame: redrawn only when its inputs change. */
export interface ChartMemo {
  key?: string;
  plot?: ChartPlot;
}

export interface ModelInput {
  /** What the screen shows: the live state, or the copy taken when the screen was frozen. */
  state: ConsoleState;
  /** Always the live state: countdowns, running actions and questions are never frozen. */
  live: ConsoleState;
  ui: UiState;
  size: TerminalSize;
  keymap: Keymap;
  color: boolean;
  chartMemo?: ChartMemo;
}
