// One digest for every rollout an agent leads. Each rollout's notifier keeps its own digest log
// (notify-digest.ts); when several rollouts send their digests to the same place at the same
// times — one Slack channel, one webhook, one mail command, and one `digest:` schedule — the
// people reading that place want one message a morning, "how are all of them?", not five. The
// hub collects the parts that come due and sends them as one, through the first part's notifier.
//
// A part waits until every rollout expected at that place has offered its own, or `windowMs` at
// most (a rollout judges at least once per poll interval, so its part may come a little later).
// A rollout alone at its place sends at once, exactly as without the hub.

import type { Clock } from '../engine/clock.js';
import type { Snapshot } from '../engine/types.js';
import { redact } from '../profile/redact.js';
import type { NotifyTarget, Profile } from '../profile/types.js';
import { digestLines, iso, type Digest } from './notify-digest.js';

/** One rollout's digest, ready to send: its Markdown lines already made and redacted. */
export interface DigestPart {
  rollout: string;
  title: string;
  /** Where the rollout stands now: `phase canary (10%) · SOAK`. */
  status: string;
  digest: Digest;
  lines: string[];
}

/** How long a part waits for the other rollouts' parts at most. */
const WINDOW_MS = 120_000;

interface Group {
  parts: DigestPart[];
  send: (parts: DigestPart[]) => void;
  cancel: () => void;
}

export class DigestHub {
  /** Per place, the rollouts that send a digest there. */
  private readonly expected = new Map<string, Set<string>>();
  private readonly open = new Map<string, Group>();

  constructor(private readonly opts: { clock: Clock; windowMs?: number }) {}

  /** `rollout` sends its digests to `place` (a leader's notifier, from when it leads). */
  expect(place: string, rollout: string): void {
    const set = this.expected.get(place) ?? new Set<string>();
    set.add(rollout);
    this.expected.set(place, set);
  }

  /** `rollout` no longer sends (stopped, or stepped down): nobody waits for its part. */
  forget(rollout: string): void {
    for (const [place, set] of this.expected) {
      set.delete(rollout);
      if (set.size === 0) this.expected.delete(place);
      this.flushIfComplete(place);
    }
  }

  /**
   * A rollout's digest came due for `place`. `send` delivers a list of parts as one message; the
   * first offer's `send` is the one used.
   */
  offer(place: string, part: DigestPart, send: (parts: DigestPart[]) => void): void {
    let group = this.open.get(place);
    if (!group) {
      group = { parts: [], send, cancel: this.opts.clock.setTimeout(() => this.flush(place), this.opts.windowMs ?? WINDOW_MS) };
      this.open.set(place, group);
    }
    // The same rollout twice (two of its targets at one place): its newer part stands.
    group.parts = [...group.parts.filter((p) => p.rollout !== part.rollout), part];
    this.flushIfComplete(place);
  }

  /** Sends what is waiting (the agent stopping). */
  flushAll(): void {
    for (const place of [...this.open.keys()]) this.flush(place);
  }

  private flushIfComplete(place: string): void {
    const group = this.open.get(place);
    if (!group) return;
    const expected = this.expected.get(place) ?? new Set<string>();
    if ([...expected].every((r) => group.parts.some((p) => p.rollout === r))) this.flush(place);
  }

  private flush(place: string): void {
    const group = this.open.get(place);
    if (!group) return;
    this.open.delete(place);
    group.cancel();
    group.send([...group.parts].sort((a, b) => a.title.localeCompare(b.title)));
  }
}

/**
 * Where a target's digests go, as a key: the same kind, address and schedule is the same place.
 * Never shown (a Slack webhook URL is a secret); only compared.
 */
export function digestPlace(target: NotifyTarget): string | undefined {
  if (!target.digest || target.type === 'pagerduty') return undefined;
  const address = target.type === 'command' ? target.run.join('\u0000') : target.url;
  return JSON.stringify([target.type, address, target.digest.at, target.digest.zone ?? '']);
}

/**
 * A rollout's digest as a part: where it stands now, its lines, redacted with its own profile's
 * secrets here, because another rollout's notifier may be the one that sends it.
 */
export function digestPart(profile: Profile, digest: Digest, snapshot: Snapshot): DigestPart {
  const hide = (text: string) => redact(text, profile.secrets);
  const status = `phase ${snapshot.phase.name} (${snapshot.traffic?.share ?? snapshot.phase.traffic}%) · ${snapshot.decision}`;
  return {
    rollout: profile.name,
    title: hide(profile.title),
    status: hide(status),
    digest: { ...digest, entries: digest.entries.map((e) => ({ ...e, text: hide(e.text) })) },
    lines: digestLines(profile.title, digest, status).map(hide),
  };
}

/** Several rollouts' digests as one Markdown message: a heading, then each rollout's own lines. */
export function combinedDigestLines(parts: readonly DigestPart[]): string[] {
  if (parts.length === 1) return parts[0]!.lines;
  const since = Math.min(...parts.map((p) => p.digest.since));
  const until = Math.max(...parts.map((p) => p.digest.until));
  const lines = [`*Roll call* — digest of ${parts.length} rollouts, ${iso(since)} to ${iso(until)}`];
  for (const p of parts) lines.push('', ...p.lines);
  return lines;
}
