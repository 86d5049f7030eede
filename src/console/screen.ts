// What the screen draws and sends keys to: a view model that changes only when the frame would,
// and a key handler. The console of one rollout (controller.ts) and the roll call of several
// (rollcall-controller.ts) are both one, so one screen loop (screen-loop.ts) and one frame writer
// serve both.

import type { ViewModel } from '../view/model.js';

export interface ScreenController {
  /** The current view model; the same object until the frame changes. */
  getSnapshot(): ViewModel;
  subscribe(listener: () => void): () => void;
  /** What one read from the terminal held: a key, or several typed together (console/keys.ts names them). */
  press(input: string): void;
  /** A new terminal size. */
  resize(size: { columns: number; rows: number }): void;
  dispose(): void;
}
