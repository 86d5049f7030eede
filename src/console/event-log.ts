// The console's event log: newest last, bounded, and the same line again (a source failing on
// every poll) folds into one entry with a count instead of pushing everything else off.

import type { ConsoleEvent, EventLevel } from './console-state.js';

/** Events kept; older ones fall off. */
export const MAX_EVENTS = 200;

/** A line on its way to the log; `at` defaults to when it is added. */
export interface LogLine {
  text: string;
  level: EventLevel;
  at?: number;
}

export class EventLog {
  private list: readonly ConsoleEvent[] = [];
  private seq = 0;

  /** Immutable: a new array after every change, so it can go straight into the published state. */
  get events(): readonly ConsoleEvent[] {
    return this.list;
  }

  add(text: string, level: EventLevel, at: number): void {
    const i = this.list.findIndex((e) => e.text === text && e.level === level);
    const next = [...this.list];
    if (i >= 0) {
      const folded = { ...next[i]!, at, count: next[i]!.count + 1 };
      next.splice(i, 1);
      next.push(folded);
    } else {
      next.push({ id: ++this.seq, at, level, text, count: 1 });
    }
    this.list = next.length > MAX_EVENTS ? next.slice(-MAX_EVENTS) : next;
  }
}
