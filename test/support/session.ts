// Waiting on a live console session: resolves with the first state that passes the test, or fails
// after the timeout with the session's event log, which says what happened instead.

import type { ConsoleState } from '../../src/console/console-state.js';
import type { Session } from '../../src/console/session.js';

export function until(session: Session, test: (s: ConsoleState) => boolean, timeoutMs = 15_000): Promise<ConsoleState> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const state = session.getSnapshot();
      if (!test(state)) return;
      clearTimeout(timer);
      off();
      resolve(state);
    };
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out; events: ${session.getSnapshot().events.map((e) => e.text).join(' | ')}`));
    }, timeoutMs);
    const off = session.subscribe(check);
    check();
  });
}
