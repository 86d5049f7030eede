// What the Ink app draws and sends keys to: a view model that changes only when the frame would,
// and a key handler. The console of one rollout (controller.ts) and the roll call of several
// (rollcall-controller.ts) are both one, so one App, one first paint and one output filter serve
// both.

import type { KeyPress } from './keymap.js';
import type { ViewModel } from '../view/model.js';

export interface ScreenController {
  /** The current view model; the same object until the frame changes (for useSyncExternalStore). */
  getSnapshot(): ViewModel;
  subscribe(listener: () => void): () => void;
  /** One keypress (or a chunk of keys typed together), as Ink's useInput reports it. */
  press(input: string, key: KeyPress): void;
  /** A new terminal size. */
  resize(size: { columns: number; rows: number }): void;
  dispose(): void;
}
