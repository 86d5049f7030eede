// Tells people who are not looking at the console: Slack incoming webhooks, generic JSON webhooks
// and commands (`mail`, `sendmail`: the message on stdin), on a change of decision, a breach, a
// recovery and every action, and — for a target with `every:` — a status summary that often.
// Sending never blocks the loop and never throws; a failure becomes an event for the event log.
// The same event is sent to a target at most once per RATE_LIMIT_MS, so a persisting breach does
// not become a storm.

import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NotifyEvent } from '../profile/schema.js';
import type { NotifyTarget, Profile } from '../profile/types.js';
import { redact } from '../profile/redact.js';
import { DEFAULT_NOTIFY_ON } from '../profile/compile.js';
import type { Clock } from '../engine/clock.js';
import type { Decision, Snapshot } from '../engine/types.js';
import { redactingReplacer } from './audit.js';
import { metricReadings, type MetricReading } from './metric-readings.js';
import { render, templateValues } from './template.js';
import { formatValue, type Unit } from '../profile/units.js';
import type { ActionOutcome } from './runner.js';
import { commonJs } from '../util/commonjs.js';

export const RATE_LIMIT_MS = 10 * 60_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_DELAY_MS = 1_000;
const RETRIES = 3;
/** Lines of a command's stderr kept for its failure reason. */
const STDERR_TAIL = 3;

type WebTarget = Extract<NotifyTarget, { url: string }>;
type CommandTarget = Extract<NotifyTarget, { type: 'command' }>;
/** What a target hears: a NotifyEvent, or the periodic `status` of a target with `every:`. */
export type SentEvent = NotifyEvent | 'status';

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
}

/** The generic webhook's body. */
export interface WebhookPayload {
  event: SentEvent;
  profile: string;
  phase: string;
  decision?: Decision;
  reasons: string[];
  metrics: MetricReading[];
  /** The metric a breach, warning or recovery is about. */
  metric?: string;
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

interface Occurrence {
  event: SentEvent;
  /** What deduplication compares: the event and what it is about. */
  key: string;
  headline: string;
  metric?: string;
  action?: ActionOutcome;
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
    if (outcome.refused || outcome.dryRun || !this.last) return;
    const by = outcome.auto ? ' (auto-rollback)' : outcome.forced ? ' (forced)' : '';
    this.dispatch(
      { event: 'action', key: `action#${++this.actions}`, headline: `${outcome.message}${by}`, action: outcome },
      this.last,
    );
  }

  /** Resolves when every notification in flight has been sent or has failed. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private dispatch(occurrence: Occurrence, snapshot: Snapshot): void {
    const now = this.opts.clock.now();
    this.opts.targets.forEach((target, i) => {
      if (occurrence.event === 'status' || !(target.on ?? DEFAULT_NOTIFY_ON).includes(occurrence.event)) return;
      const key = `${i}\u0000${occurrence.key}`;
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
            JSON.stringify(
              target.type === 'slack' ? slackBody(occurrence, snapshot, this.opts.profile) : webhookBody(occurrence, snapshot, now),
              redactingReplacer(this.opts.profile.secrets),
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
    const reason = await new Promise<string | undefined>((resolve) => {
      const stderr: string[] = [];
      let settled = false;
      const done = (why: string | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(why);
      };
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, ...target.env } });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(`timed out after ${timeoutMs / 1_000}s`);
      }, timeoutMs);
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
        if (stderr.length > STDERR_TAIL) stderr.splice(0, stderr.length - STDERR_TAIL);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        done(error.code === 'ENOENT' ? `could not start "${argv[0]}": command not found` : `could not start "${argv[0]}": ${error.code ?? error.message}`);
      });
      child.on('close', (code, signal) => {
        if (code === 0) return done(undefined);
        const said = stderr.length > 0 ? `: ${stderr.join(' / ')}` : '';
        done(signal ? `killed by ${signal}${said}` : `exit ${code}${said}`);
      });
      // A command that exits without reading its stdin is judged by its exit code, not by EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(redact(message, this.opts.profile.secrets));
    });
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

/** What changed between two snapshots that someone away from the console should hear about. */
function changes(prev: Snapshot, next: Snapshot): Occurrence[] {
  const out: Occurrence[] = [];
  const where = `${next.profile} ${next.phase.name}`;
  if (prev.decision !== next.decision) {
    const reason = next.reasons[0] ? ` — ${next.reasons[0]}` : '';
    if (next.decision === 'HOLD') out.push({ event: 'hold', key: 'hold', headline: `${where}: HOLD${reason}` });
    if (next.decision === 'ROLLBACK') out.push({ event: 'rollback', key: 'rollback', headline: `${where}: ROLLBACK${reason}` });
    if (next.decision === 'PROMOTE') out.push({ event: 'promote', key: 'promote', headline: `${where}: ready to PROMOTE` });
  }
  const before = new Map(prev.metrics.map((m) => [m.id, m.state]));
  for (const m of next.metrics) {
    const was = before.get(m.id);
    const why = m.reason ? ` — ${m.reason}` : '';
    if (m.state === 'breach' && was !== 'breach') {
      out.push({ event: 'breach', key: `breach:${m.id}`, metric: m.id, headline: `${where}: ${m.id} breach${why}` });
    } else if (m.state === 'warn' && was !== 'warn' && was !== 'breach') {
      out.push({ event: 'warn', key: `warn:${m.id}`, metric: m.id, headline: `${where}: ${m.id} warning${why}` });
    } else if (m.state === 'ok' && (was === 'warn' || was === 'breach')) {
      out.push({ event: 'recovered', key: `recovered:${m.id}`, metric: m.id, headline: `${where}: ${m.id} recovered (was ${was})` });
    }
  }
  return out;
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
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.join('\n') }] },
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
  return `${lines.join('\n')}\n`;
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
