// Tells people who are not looking at the console: Slack incoming webhooks, generic JSON webhooks
// and commands (`mail`, `sendmail`: the message on stdin), on a change of decision, a breach, a
// recovery and every action, and — for a target with `every:` — a status summary that often.
// Sending never blocks the loop and never throws; a failure becomes an event for the event log.
// The same cause (this rollout, the event, the metric behind it) is sent to a target at most once
// per RATE_LIMIT_MS, so a flapping breach does not become a storm; a different cause is news and
// always goes out. Only a console that may act sends (`sends`): a read-only or dry-run console
// would repeat the acting console's messages, or announce what it will never do.

import { jsonSafe, sanitizeLine } from '../util/sanitize.js';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NotifyEvent } from '../profile/schema.js';
import type { NotifyTarget, Profile } from '../profile/types.js';
import { redact } from '../profile/redact.js';
import { DEFAULT_NOTIFY_ON } from '../profile/defaults.js';
import type { Clock } from '../engine/clock.js';
import type { Decision, Snapshot } from '../engine/types.js';
import { redactingReplacer } from './audit.js';
import { metricReadings, type MetricReading } from './metric-readings.js';
import { render, templateValues } from '../profile/template.js';
import { formatValue, type Unit } from '../profile/units.js';
import type { ActionOutcome } from './outcome.js';
import { runProcess } from '../util/process.js';
import { commonJs } from '../util/commonjs.js';
import { changes, countdownOccurrence, type Occurrence } from './notify-changes.js';

export const RATE_LIMIT_MS = 10 * 60_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_DELAY_MS = 1_000;
const RETRIES = 3;
/** Lines of a command's stderr kept for its failure reason. */
const STDERR_TAIL = 3;

type WebTarget = Extract<NotifyTarget, { url: string }>;
type CommandTarget = Extract<NotifyTarget, { type: 'command' }>;
/**
 * What a target hears: a NotifyEvent, the periodic `status` of a target with `every:`, or the
 * start of an automatic rollback's countdown (sent to targets that hear `rollback`).
 */
export type SentEvent = NotifyEvent | 'status' | 'auto-rollback';

export interface NotifierEvent {
  type: 'sent' | 'failed';
  /** `webhook hooks.example.com`: never the URL, whose path is often the credential. */
  target: string;
  event: string;
  reason?: string;
}

export interface NotifierOptions {
  targets: NotifyTarget[];
  profile: Profile;
  clock: Clock;
  /** Per attempt, unless the target sets its own `timeout`. */
  fetchTimeoutMs?: number;
  /** The first retry's delay; each later one doubles it. */
  retryDelayMs?: number;
  /** Whether this console may send now: only the one that may act does (default: always). */
  sends?: () => boolean;
}

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
  /** ISO 8601, UTC. */
  at: string;
}


type Attempt = { ok: true } | { ok: false; reason: string; retry: boolean };

export class Notifier {
  private last: Snapshot | undefined;
  private readonly sentAt = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly listeners = new Set<(e: NotifierEvent) => void>();
  private actions = 0;
  /** Per target with `every:`, when its next status summary is due. */
  private readonly statusDue = new Map<number, number>();

  constructor(private readonly opts: NotifierOptions) {}

  subscribe(fn: (e: NotifierEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Compares two snapshots and sends what changed. The first snapshot only sets the starting point. */
  onSnapshot(prev: Snapshot | undefined, next: Snapshot): void {
    this.last = next;
    if (!this.sends()) return;
    this.periodic(next, prev === undefined);
    if (!prev) return;
    for (const occurrence of changes(prev, next)) this.dispatch(occurrence, next);
  }

  /** A status summary to each target whose `every:` has come round; the first one `every` after the start. */
  private periodic(snapshot: Snapshot, first: boolean): void {
    const now = this.opts.clock.now();
    this.opts.targets.forEach((target, i) => {
      if (target.every === undefined || target.every <= 0) return;
      const due = this.statusDue.get(i);
      if (first || due === undefined) {
        this.statusDue.set(i, now + target.every);
        return;
      }
      if (now < due) return;
      // A console that slept through several periods sends one summary, not a backlog.
      this.statusDue.set(i, due + Math.ceil((now - due + 1) / target.every) * target.every);
      const headline = `${snapshot.profile} ${snapshot.phase.name}: status ${snapshot.decision}${snapshot.reasons[0] ? ` — ${snapshot.reasons[0]}` : ''}`;
      this.send(target, i, { event: 'status', key: 'status', headline }, snapshot, now);
    });
  }

  /** Every action that ran; refusals and dry runs changed nothing and are not sent. */
  onAction(outcome: ActionOutcome): void {
    if (outcome.refused || outcome.dryRun || !this.last || !this.sends()) return;
    const by = outcome.auto ? ' (auto-rollback)' : outcome.forced ? ' (forced)' : '';
    this.dispatch(
      { event: 'action', key: `action#${++this.actions}`, headline: `${outcome.message}${by}`, action: outcome },
      this.last,
    );
  }

  /**
   * An automatic rollback started counting down: the people away from the console have the grace
   * period to stop it, so they hear it now, not when the rollback has run.
   */
  onCountdown(snapshot: Snapshot, countdown: { metric: string; text: string; startedAt: number; deadline: number }): void {
    this.last = snapshot;
    if (!this.sends()) return;
    this.dispatch(countdownOccurrence(snapshot, countdown), snapshot);
  }

  private sends(): boolean {
    return this.opts.sends?.() ?? true;
  }

  /** Resolves when every notification in flight has been sent or has failed. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private dispatch(occurrence: Occurrence, snapshot: Snapshot): void {
    const now = this.opts.clock.now();
    this.opts.targets.forEach((target, i) => {
      if (occurrence.event === 'status') return;
      const hears: NotifyEvent = occurrence.event === 'auto-rollback' ? 'rollback' : occurrence.event;
      // Loaded without its variables (check, report): never sent half-filled.
      if (!(target.on ?? DEFAULT_NOTIFY_ON).includes(hears) || this.opts.profile.unresolved?.[`notify.${i}`]) return;
      const key = `${i}\u0000${snapshot.profile}\u0000${occurrence.key}`;
      const last = this.sentAt.get(key);
      if (last !== undefined && now - last < RATE_LIMIT_MS) return;
      // Counted when sent, not when delivered: a dead endpoint must not turn a breach into a storm.
      this.sentAt.set(key, now);
      this.send(target, i, occurrence, snapshot, now);
    });
  }

  private send(target: NotifyTarget, index: number, occurrence: Occurrence, snapshot: Snapshot, now: number): void {
    const name = targetName(target, index);
    const sending =
      target.type === 'command'
        ? this.runCommand(target, name, occurrence.event, snapshot, plainText(occurrence, snapshot, this.opts.profile))
        : this.deliver(
            target,
            name,
            occurrence.event,
            jsonSafe(
              JSON.stringify(
                target.type === 'slack' ? slackBody(occurrence, snapshot, this.opts.profile) : webhookBody(occurrence, snapshot, now),
                redactingReplacer(this.opts.profile.secrets),
              ),
            ),
          );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /**
   * Runs a command target once, the message on stdin. No retries: a mail command that failed
   * halfway may have queued the mail, and a second copy is worse than a reported failure.
   */
  private async runCommand(target: CommandTarget, name: string, event: SentEvent, snapshot: Snapshot, message: string): Promise<void> {
    const argv = render(target.run, templateValues(this.opts.profile, snapshot.phase.index, ''));
    const timeoutMs = target.timeout ?? this.opts.fetchTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const stderr: string[] = [];
    const ran = await runProcess({
      argv,
      env: target.env ?? {},
      input: redact(message, this.opts.profile.secrets),
      timeoutMs,
      onLine: (stream, line) => {
        if (stream !== 'stderr' || line.trim() === '') return;
        stderr.push(line);
        if (stderr.length > STDERR_TAIL) stderr.shift();
      },
    });
    const said = stderr.length > 0 ? `: ${stderr.join(' / ')}` : '';
    const reason = ran.startError
      ? `could not start "${argv[0]}": ${ran.startError.code === 'ENOENT' ? 'command not found' : (ran.startError.code ?? ran.startError.message)}`
      : ran.timedOut
        ? `timed out after ${timeoutMs / 1_000}s, process group killed`
        : ran.code === 0
          ? undefined
          : ran.signal
            ? `killed by ${ran.signal}${said}`
            : `exit ${ran.code}${said}`;
    if (reason === undefined) this.emit({ type: 'sent', target: name, event });
    else this.emit({ type: 'failed', target: name, event, reason: this.redact(reason) });
  }

  private async deliver(target: WebTarget, name: string, event: SentEvent, body: string): Promise<void> {
    const timeoutMs = target.timeout ?? this.opts.fetchTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const delay = this.opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    let attempts = 0;
    let result: Attempt = { ok: false, reason: 'not sent', retry: true };
    while (attempts <= RETRIES && !result.ok && result.retry) {
      if (attempts > 0) await sleep(delay * 2 ** (attempts - 1));
      attempts++;
      result = await attempt(target, body, timeoutMs);
    }
    if (result.ok) {
      this.emit({ type: 'sent', target: name, event });
    } else {
      const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
      this.emit({ type: 'failed', target: name, event, reason: this.redact(`${result.reason}${tries}`) });
    }
  }

  private redact(text: string): string {
    return redact(text, this.opts.profile.secrets);
  }

  private emit(event: NotifierEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch {
        // A listener's bug must not break notifications.
      }
    }
  }
}

function webhookBody(o: Occurrence, snapshot: Snapshot, now: number): WebhookPayload {
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
};

/** Incoming-webhook JSON: `text` for notifications and old clients, `blocks` for the message. */
function slackBody(o: Occurrence, snapshot: Snapshot, profile: Profile): { text: string; blocks: unknown[] } {
  const text = `${SLACK_ICON[o.event]} ${o.action ? `${snapshot.profile} ${snapshot.phase.name}: ` : ''}${o.headline}`;
  const context = [`*${profile.title}* · phase ${snapshot.phase.name} (${snapshot.phase.traffic}%) · ${snapshot.decision}`];
  for (const reason of snapshot.reasons.slice(0, 3)) context.push(reason);
  const headline = sanitizeLine(text);
  return {
    text: headline,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: headline } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.map(sanitizeLine).join('\n') }] },
    ],
  };
}

/** The message a command target reads on stdin: the headline, where the rollout stands, every metric. */
function plainText(o: Occurrence, snapshot: Snapshot, profile: Profile): string {
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

async function attempt(target: WebTarget, body: string, timeoutMs: number): Promise<Attempt> {
  try {
    // Loaded at the first notification: most sessions send none, and start-up should not pay for it.
    const { request } = commonJs(await import('undici'));
    const res = await request(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await res.body.dump();
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
    const retry = res.statusCode === 429 || res.statusCode >= 500;
    return { ok: false, reason: `HTTP ${res.statusCode}`, retry };
  } catch (error) {
    return failureOf(error, timeoutMs);
  }
}

function failureOf(error: unknown, timeoutMs: number): Attempt {
  const { name, code } = error as { name?: string; code?: string };
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { ok: false, reason: `timed out after ${timeoutMs / 1_000}s`, retry: true };
  }
  switch (code) {
    case 'ECONNREFUSED':
      return { ok: false, reason: 'connection refused', retry: true };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { ok: false, reason: 'host not found', retry: true };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return { ok: false, reason: 'connection closed by the server', retry: true };
    case 'UND_ERR_INVALID_ARG':
    case 'ERR_INVALID_URL':
      return { ok: false, reason: 'invalid URL', retry: false };
    default:
      return { ok: false, reason: code ?? 'request failed', retry: true };
  }
}

function targetName(target: NotifyTarget, index: number): string {
  if (target.type === 'command') return `command ${basename(target.run[0]!)}`;
  try {
    return `${target.type} ${new URL(target.url).host}`;
  } catch {
    return `${target.type} #${index + 1}`;
  }
}
