// What someone away from the console should hear about: the changes between two snapshots, each
// with the key the rate limit compares (the event and its cause, never the event alone).

import type { Snapshot } from '../engine/types.js';
import type { ActionOutcome } from './runner.js';
import type { SentEvent } from './notify.js';
import type { DigestEntry } from './notify-digest.js';

export interface Occurrence {
  event: SentEvent;
  /** What the rate limit compares: the event and its cause (the metric behind it). */
  key: string;
  headline: string;
  metric?: string;
  /** The metrics behind a HOLD or ROLLBACK (none when the phase gates decided it). */
  cause?: string[];
  /** An escalation step's own target (its notify id), and where the step went. */
  notify?: string;
  escalatedTo?: string;
  /** A digest's lines (Markdown), for `digest` occurrences. */
  digest?: {
    lines: string[];
    /** Oldest first; `rollout` names whose entry it is when the digest covers several. */
    entries: (DigestEntry & { rollout?: string })[];
    since: number;
    until: number;
    /** The rollouts a combined digest covers (actions/digest-hub.ts), with where each stands. */
    rollouts?: { profile: string; title: string; status: string }[];
  };
  /** A target (id) that hears this from an escalation step in the same change instead. */
  except?: string;
  action?: ActionOutcome;
  countdown?: { deadline: number; graceMs: number; condition: string };
}

/** What changed between two snapshots that someone away from the console should hear about. */
export function changes(prev: Snapshot, next: Snapshot): Occurrence[] {
  const out: Occurrence[] = [];
  const where = `${next.profile} ${next.phase.name}`;
  if (prev.decision !== next.decision) {
    const reason = next.reasons[0] ? ` — ${next.reasons[0]}` : '';
    // The cause is part of the key: a ROLLBACK for another metric a minute later is a new incident.
    const cause = causeOf(next);
    const about = { cause, ...(cause.length === 1 ? { metric: cause[0]! } : {}) };
    if (next.decision === 'HOLD') out.push({ event: 'hold', key: `hold:${cause.join(',')}`, headline: `${where}: HOLD${reason}`, ...about });
    if (next.decision === 'ROLLBACK') out.push({ event: 'rollback', key: `rollback:${cause.join(',')}`, headline: `${where}: ROLLBACK${reason}`, ...about });
    if (next.decision === 'PROMOTE') out.push({ event: 'promote', key: 'promote', headline: `${where}: ready to PROMOTE` });
  }
  const before = new Map(prev.metrics.map((m) => [m.id, m.state]));
  const escalatedBefore = new Map(prev.metrics.map((m) => [m.id, m.escalation?.reached?.at]));
  for (const m of next.metrics) {
    const was = before.get(m.id);
    const reached = m.escalation?.reached;
    if (reached?.notify !== undefined && escalatedBefore.get(m.id) !== reached.at) {
      const why = m.reason ? ` — ${m.reason}` : '';
      out.push({ event: 'escalation', key: `escalation:${m.id}:${reached.at}`, metric: m.id, notify: reached.notify, escalatedTo: reached.to, headline: `${where}: ${m.id} escalated to ${reached.to}${why}` });
    }
    const why = m.reason ? ` — ${m.reason}` : '';
    if (m.state === 'breach' && was !== 'breach') {
      out.push({ event: 'breach', key: `breach:${m.id}`, metric: m.id, headline: `${where}: ${m.id} breach${why}` });
    } else if (m.state === 'warn' && was !== 'warn' && was !== 'breach') {
      out.push({ event: 'warn', key: `warn:${m.id}`, metric: m.id, headline: `${where}: ${m.id} warning${why}` });
    } else if (m.state === 'ok' && (was === 'warn' || was === 'breach')) {
      out.push({ event: 'recovered', key: `recovered:${m.id}`, metric: m.id, headline: `${where}: ${m.id} recovered (was ${was})` });
    }
  }
  // An escalation to rollback both changes the decision and names a target: that target hears it once.
  const stepped = out.find((o) => o.event === 'escalation' && o.notify !== undefined && o.escalatedTo === 'rollback');
  const rollback = out.find((o) => o.event === 'rollback');
  if (stepped && rollback) rollback.except = stepped.notify!;
  return out;
}

/**
 * The metrics behind a decision: those judged at its level (breach or a failing source for
 * ROLLBACK, anything not ok for HOLD). Empty when the phase gates decided it (checklist, pause).
 */
function causeOf(snapshot: Snapshot): string[] {
  const rollback = snapshot.decision === 'ROLLBACK';
  const judged = snapshot.metrics.filter((m) => (rollback ? m.state === 'breach' || (m.state === 'error' && m.firing?.severity === 'rollback') : m.state !== 'ok'));
  // A rollback on errors alone has no breach: then every metric not ok is the cause.
  const metrics = judged.length > 0 ? judged : snapshot.metrics.filter((m) => m.state !== 'ok');
  return metrics.map((m) => m.id).sort();
}

/** An automatic rollback's countdown began: keyed by its metric, like the ROLLBACK it announces. */
export function countdownOccurrence(snapshot: Snapshot, countdown: { metric: string; text: string; startedAt: number; deadline: number }): Occurrence {
  const graceMs = countdown.deadline - countdown.startedAt;
  return {
    event: 'auto-rollback',
    key: `auto-rollback:${countdown.metric}`,
    headline: `${snapshot.profile} ${snapshot.phase.name}: AUTO-ROLLBACK in ${Math.round(graceMs / 1_000)}s — ${countdown.metric} ${countdown.text}; cancel with c in the console`,
    metric: countdown.metric,
    countdown: { deadline: countdown.deadline, graceMs, condition: countdown.text },
  };
}
