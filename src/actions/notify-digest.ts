// A notifier's daily digest (`digest: { at: ["09:00"], zone: Europe/Berlin }`): what happened
// since the last one — decisions, moves, breaches and actions — for people who read a channel
// once a day instead of watching it. Times are wall-clock times in the zone, so a daylight-saving
// change moves the instant and not the hour. A console that slept through a digest time sends
// one digest when it wakes, not one per missed time.

import type { NotifyTarget } from '../profile/types.js';
import { nextTimeOfDay, parseTimeOfDay, type TimeOfDay } from '../profile/time-of-day.js';

export interface DigestEntry {
  at: number;
  kind: 'decision' | 'move' | 'breach' | 'action';
  text: string;
}

/** Kept at most: a digest is a summary, and a flapping metric must not grow memory without end. */
const MAX_ENTRIES = 500;

/** The times a target's `digest:` names, in its zone. */
export function digestTimes(target: NotifyTarget): TimeOfDay[] {
  if (!target.digest) return [];
  const at = Array.isArray(target.digest.at) ? target.digest.at : [target.digest.at];
  const zone = target.digest.zone;
  return at.flatMap((text) => {
    const time = parseTimeOfDay(text);
    return time ? [{ ...time, ...(zone !== undefined ? { zone } : {}) }] : [];
  });
}

/** The first digest time strictly after `t`. */
function nextDue(times: readonly TimeOfDay[], t: number): number {
  return Math.min(...times.map((time) => nextTimeOfDay(time, t + 1)));
}

export class DigestLog {
  private entries: DigestEntry[] = [];
  /** When the newest entry the cap pushed out happened: a digest since before then is incomplete. */
  private droppedAt = -Infinity;
  /** Per target index: the last digest (or the start) and when the next one is due. */
  private readonly due = new Map<number, { since: number; at: number }>();

  /** The earliest time a target's next digest is due, once any has started counting. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const d of this.due.values()) if (next === undefined || d.at < next) next = d.at;
    return next;
  }

  record(entry: DigestEntry): void {
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) {
      this.droppedAt = this.entries.shift()!.at;
    }
  }

  /**
   * What target `index` should send now, or undefined when no digest is due. The first call only
   * sets the starting point.
   */
  take(index: number, times: readonly TimeOfDay[], now: number): Digest | undefined {
    if (times.length === 0) return undefined;
    const state = this.due.get(index);
    if (!state) {
      this.due.set(index, { since: now, at: nextDue(times, now) });
      return undefined;
    }
    if (now < state.at) return undefined;
    const entries = this.entries.filter((e) => e.at > state.since && e.at <= now);
    this.due.set(index, { since: now, at: nextDue(times, now) });
    // What every target has sent is not needed again.
    const oldest = Math.min(...[...this.due.values()].map((d) => d.since));
    this.entries = this.entries.filter((e) => e.at > oldest);
    return { since: state.since, until: now, entries, incomplete: this.droppedAt > state.since };
  }
}

export interface Digest {
  since: number;
  until: number;
  entries: DigestEntry[];
  /** Some entries of the period were pushed out by the cap. */
  incomplete: boolean;
}

/** The digest in Markdown, one line each: a heading, where the rollout stands, one bullet per entry, oldest first. */
export function digestLines(title: string, digest: Digest, status: string): string[] {
  const lines = [`*${title}* — digest ${iso(digest.since)} to ${iso(digest.until)}`, `Now: ${status}`];
  if (digest.entries.length === 0) lines.push('- nothing happened: no decision, move, breach or action');
  if (digest.incomplete) lines.push(`- (only the last ${MAX_ENTRIES} entries are kept)`);
  for (const e of digest.entries) lines.push(`- ${iso(e.at)} ${e.kind}: ${e.text}`);
  return lines;
}

/** A digest's time: ISO 8601 to the minute, UTC. */
export function iso(t: number): string {
  return new Date(t).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');
}
