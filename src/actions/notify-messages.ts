// The words of a notification, one function per kind of target: the generic webhook's JSON, a
// Slack incoming-webhook message, and the plain text a command target reads on stdin.

import { sanitizeLine } from '../util/sanitize.js';
import type { Profile } from '../profile/types.js';
import type { Decision, Snapshot } from '../engine/types.js';
import { metricReadings, type MetricReading } from './metric-readings.js';
import { formatValue, type Unit } from '../profile/units.js';
import type { Occurrence } from './notify-changes.js';
import type { SentEvent } from './notify.js';

/** The generic webhook's body. */
export interface WebhookPayload {
  event: SentEvent;
  profile: string;
  phase: string;
  decision?: Decision;
  reasons: string[];
  metrics: MetricReading[];
  /** The metric a breach, warning, recovery, rollback or countdown is about. */
  metric?: string;
  /** An automatic rollback's countdown: when it runs unless someone cancels it. */
  countdown?: { deadline: string; graceMs: number; condition: string };
  action?: {
    name: string;
    argv: string[];
    ok: boolean;
    exitCode: number | null;
    signal: string | null;
    durationMs: number;
    forced: boolean;
    auto: boolean;
    timedOut: boolean;
    message: string;
  };
  /** A digest: what happened from `since` to `until` (ISO 8601), oldest first. */
  digest?: {
    since: string;
    until: string;
    entries: { at: string; kind: string; text: string; rollout?: string }[];
    /** A digest of several rollouts: each, and where it stands (the top-level fields are the sender's). */
    rollouts?: { profile: string; title: string; status: string }[];
  };
  /** ISO 8601, UTC. */
  at: string;
}
export function webhookBody(o: Occurrence, snapshot: Snapshot, now: number): WebhookPayload {
  return {
    event: o.event,
    profile: snapshot.profile,
    phase: snapshot.phase.name,
    decision: snapshot.decision,
    reasons: snapshot.reasons,
    metrics: metricReadings(snapshot),
    ...(o.metric ? { metric: o.metric } : {}),
    ...(o.countdown
      ? { countdown: { deadline: new Date(o.countdown.deadline).toISOString(), graceMs: o.countdown.graceMs, condition: o.countdown.condition } }
      : {}),
    ...(o.action
      ? {
          action: {
            name: o.action.action,
            argv: o.action.argv,
            ok: o.action.ok,
            exitCode: o.action.exitCode,
            signal: o.action.signal,
            durationMs: Math.round(o.action.durationMs),
            forced: o.action.forced === true,
            auto: o.action.auto === true,
            timedOut: o.action.timedOut === true,
            message: o.action.message,
          },
        }
      : {}),
    ...(o.digest
      ? {
          digest: {
            since: new Date(o.digest.since).toISOString(),
            until: new Date(o.digest.until).toISOString(),
            entries: o.digest.entries.map((e) => ({ at: new Date(e.at).toISOString(), kind: e.kind, text: e.text, ...(e.rollout !== undefined ? { rollout: e.rollout } : {}) })),
            ...(o.digest.rollouts ? { rollouts: o.digest.rollouts } : {}),
          },
        }
      : {}),
    at: new Date(now).toISOString(),
  };
}

const SLACK_ICON: Record<SentEvent, string> = {
  status: ':bar_chart:',
  'auto-rollback': ':rotating_light:',
  hold: ':warning:',
  warn: ':warning:',
  rollback: ':rotating_light:',
  breach: ':rotating_light:',
  recovered: ':large_green_circle:',
  promote: ':white_check_mark:',
  action: ':gear:',
  escalation: ':rotating_light:',
  resolve: ':large_green_circle:',
  digest: ':newspaper:',
};

/**
 * Text Slack shows as written. Slack reads `<…>` as a link or a mention (`<!channel>` pings a whole
 * channel, `<https://x|click here>` hides where a link goes) and `&` as the start of an entity;
 * a label, an error text or a reason a source wrote must not do either. Slack's own rule: escape
 * these three, nothing else (our `*bold*` stays).
 */
export function slackSafe(text: string): string {
  return sanitizeLine(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Incoming-webhook JSON: `text` for notifications and old clients, `blocks` for the message. */
export function slackBody(o: Occurrence, snapshot: Snapshot, profile: Profile): { text: string; blocks: unknown[] } {
  if (o.digest) {
    // One line of safe text per entry: the entries hold reasons a source wrote.
    const lines = o.digest.lines.map(slackSafe);
    return { text: `${SLACK_ICON.digest} ${lines[0]!}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${SLACK_ICON.digest} ${lines.join('\n')}` } }] };
  }
  const text = `${SLACK_ICON[o.event]} ${o.action ? `${snapshot.profile} ${snapshot.phase.name}: ` : ''}${o.headline}`;
  const context = [`*${profile.title}* · phase ${snapshot.phase.name} (${snapshot.phase.traffic}%) · ${snapshot.decision}`];
  for (const reason of snapshot.reasons.slice(0, 3)) context.push(reason);
  const headline = slackSafe(text);
  return {
    text: headline,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: headline } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.map(slackSafe).join('\n') }] },
    ],
  };
}

/** The message a command target reads on stdin: the headline, where the rollout stands, every metric. */
export function plainText(o: Occurrence, snapshot: Snapshot, profile: Profile): string {
  if (o.digest) return `${o.digest.lines.map(sanitizeLine).join('\n')}\n`;
  const lines = [
    o.headline,
    '',
    `${profile.title} · phase ${snapshot.phase.name} (${snapshot.traffic?.share ?? snapshot.phase.traffic}%) · ${snapshot.decision}`,
  ];
  for (const reason of snapshot.reasons.slice(0, 5)) lines.push(`- ${reason}`);
  if (o.action) lines.push('', `action ${o.action.action}: ${o.action.message}`);
  lines.push('', 'metrics:');
  for (const m of metricReadings(snapshot)) {
    const base = m.baseline !== undefined ? ` (baseline ${formatValue(m.baseline, m.unit as Unit)})` : '';
    lines.push(`  ${m.name} ${formatValue(m.value, m.unit as Unit)}${base} ${m.state}`);
  }
  lines.push('', `at ${new Date(snapshot.at).toISOString()}`);
  // Each line one line of safe text: a mail command or a pager gets no control sequence.
  return `${lines.map(sanitizeLine).join('\n')}\n`;
}
