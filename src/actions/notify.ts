// Tells people who are not looking at the console: Slack incoming webhooks, generic JSON webhooks
// and commands (`mail`, `sendmail`: the message on stdin), on a change of decision, a breach, a
// recovery and every action, and — for a target with `every:` — a status summary that often.
// Sending never blocks the loop and never throws; a failure becomes an event for the event log.
// The same cause (this rollout, the event, the metric behind it) is sent to a target at most once
// per RATE_LIMIT_MS, so a flapping breach does not become a storm; a different cause is news and
// always goes out. Only a console that may act sends (`sends`): a read-only or dry-run console
// would repeat the acting console's messages, or announce what it will never do.

import { jsonSafe } from '../util/sanitize.js';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NotifyEvent } from '../profile/schema.js';
import type { NotifyTarget, Profile } from '../profile/types.js';
import { redact } from '../profile/redact.js';
import { DEFAULT_NOTIFY_ON } from '../profile/defaults.js';
import { PAGEABLE } from '../profile/notify-references.js';
import { PAGERDUTY_EVENTS_URL } from '../profile/schema.js';
import type { Clock } from '../engine/clock.js';
import type { Snapshot } from '../engine/types.js';
import { redactingReplacer } from './audit.js';
import { render, templateValues } from '../profile/template.js';
import type { ActionOutcome } from './outcome.js';
import { runProcess } from '../util/process.js';
import { commonJs } from '../util/commonjs.js';
import { changes, countdownOccurrence, type Occurrence } from './notify-changes.js';
import { plainText, slackBody, webhookBody } from './notify-messages.js';
import { causeOf, dedupKey, Incidents, resolveBody, triggerBody } from './notify-pagerduty.js';
import { DigestLog, digestTimes } from './notify-digest.js';
import { combinedDigestLines, digestPart, digestPlace, type DigestHub, type DigestPart } from './digest-hub.js';

export type { WebhookPayload } from './notify-messages.js';

export const RATE_LIMIT_MS = 10 * 60_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_DELAY_MS = 1_000;
const RETRIES = 3;
/** Lines of a command's stderr kept for its failure reason. */
const STDERR_TAIL = 3;

/** Where a JSON body goes: a slack or webhook target, or a PagerDuty target's events URL. */
type WebTarget = { url: string; headers?: Record<string, string>; timeout?: number };
type PagerDutyTarget = Extract<NotifyTarget, { type: 'pagerduty' }>;
type CommandTarget = Extract<NotifyTarget, { type: 'command' }>;
/**
 * What a target hears: a NotifyEvent, the periodic `status` of a target with `every:`, the
 * start of an automatic rollback's countdown (sent to targets that hear `rollback`), an
 * escalation step (sent to the target the step names), or a PagerDuty incident's `resolve`.
 */
export type SentEvent = NotifyEvent | 'status' | 'auto-rollback' | 'escalation' | 'resolve' | 'digest';

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
  /** An agent's hub: digests for one place from several rollouts go out as one message. */
  digests?: DigestHub;
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
  private readonly incidents = new Incidents();
  private readonly digests = new DigestLog();

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
    if (prev) {
      const now = this.opts.clock.now();
      if (prev.phase.name !== next.phase.name) this.digests.record({ at: now, kind: 'move', text: `${prev.phase.name} → ${next.phase.name} (${next.phase.traffic}%)` });
      for (const occurrence of changes(prev, next)) {
        const kind = occurrence.event === 'breach' ? 'breach' : ['hold', 'rollback', 'promote'].includes(occurrence.event) ? 'decision' : undefined;
        if (kind) this.digests.record({ at: now, kind, text: occurrence.headline });
        this.dispatch(occurrence, next);
      }
      this.resolveCleared(next);
    }
    this.digest(next);
  }

  /** When the next status summary or digest is due (a loop that sleeps until due wakes for it). */
  nextDueAt(): number | undefined {
    let next = this.digests.nextAt();
    for (const at of this.statusDue.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** Each target whose digest time has come sends what happened since its last one. */
  private digest(snapshot: Snapshot): void {
    const now = this.opts.clock.now();
    this.opts.targets.forEach((target, i) => {
      if (target.type === 'pagerduty' || this.opts.profile.unresolved?.[`notify.${i}`]) return;
      const digest = this.digests.take(i, digestTimes(target), now);
      if (!digest || !inPhase(target, snapshot)) return;
      const part = digestPart(this.opts.profile, digest, snapshot);
      const place = digestPlace(target);
      const send = (parts: DigestPart[]) => this.sendDigest(target, i, parts, snapshot);
      // In an agent, rollouts that send to one place at one time send one digest together.
      if (this.opts.digests && place !== undefined) this.opts.digests.offer(place, part, send);
      else send([part]);
    });
  }

  private sendDigest(target: Exclude<NotifyTarget, PagerDutyTarget>, index: number, parts: DigestPart[], snapshot: Snapshot): void {
    const several = parts.length > 1;
    const lines = combinedDigestLines(parts);
    const digest = {
      lines,
      entries: parts.flatMap((p) => p.digest.entries.map((e) => (several ? { ...e, rollout: p.rollout } : e))).sort((a, b) => a.at - b.at),
      since: Math.min(...parts.map((p) => p.digest.since)),
      until: Math.max(...parts.map((p) => p.digest.until)),
      ...(several ? { rollouts: parts.map((p) => ({ profile: p.rollout, title: p.title, status: p.status })) } : {}),
    };
    this.send(target, index, { event: 'digest', key: 'digest', headline: lines[0]!, digest }, snapshot, this.opts.clock.now());
  }

  /** A PagerDuty incident whose metrics are all ok again is resolved, in whatever phase. */
  private resolveCleared(snapshot: Snapshot): void {
    this.opts.targets.forEach((target, i) => {
      if (target.type !== 'pagerduty') return;
      for (const key of this.incidents.cleared(i, snapshot)) {
        this.track(this.deliver(pagerDutyUrl(target), targetName(target, i), 'resolve', resolveBody(target.routingKey, key, this.opts.profile.secrets)));
      }
    });
  }

  /** A status summary to each target whose `every:` has come round; the first one `every` after the start. */
  private periodic(snapshot: Snapshot, first: boolean): void {
    const now = this.opts.clock.now();
    this.opts.targets.forEach((target, i) => {
      // A pagerduty target sends no summary (compile refuses every: on one).
      if (target.type === 'pagerduty' || target.every === undefined || target.every <= 0) return;
      if (!inPhase(target, snapshot)) {
        // The first summary in a phase it covers comes `every` after it got there.
        this.statusDue.delete(i);
        return;
      }
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
    this.digests.record({ at: this.opts.clock.now(), kind: 'action', text: `${outcome.action}: ${outcome.message}${by}` });
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
      // Loaded without its variables (check, report): never sent half-filled.
      if (!hears(target, occurrence) || !inPhase(target, snapshot) || this.opts.profile.unresolved?.[`notify.${i}`]) return;
      if (target.type === 'pagerduty') {
        this.page(target, i, occurrence, snapshot, now);
        return;
      }
      const key = `${i}\u0000${snapshot.profile}\u0000${occurrence.key}`;
      const last = this.sentAt.get(key);
      if (last !== undefined && now - last < RATE_LIMIT_MS) return;
      // Counted when sent, not when delivered: a dead endpoint must not turn a breach into a storm.
      this.sentAt.set(key, now);
      this.send(target, i, occurrence, snapshot, now);
    });
  }

  /** A trigger, once per open incident: PagerDuty's dedup key does what the rate limit does for others. */
  private page(target: PagerDutyTarget, index: number, occurrence: Occurrence, snapshot: Snapshot, now: number): void {
    const cause = causeOf(occurrence);
    const key = dedupKey(snapshot.profile, cause);
    if (!this.incidents.opens(index, key, cause)) return;
    const body = triggerBody(target.routingKey, key, occurrence, snapshot, now, this.opts.profile.secrets);
    this.track(this.deliver(pagerDutyUrl(target), targetName(target, index), occurrence.event, body));
  }

  private track(sending: Promise<void>): void {
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  private send(target: Exclude<NotifyTarget, PagerDutyTarget>, index: number, occurrence: Occurrence, snapshot: Snapshot, now: number): void {
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
    this.track(sending);
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

/** Whether a target hears an occurrence: an escalation only when its step names the target. */
function hears(target: NotifyTarget, o: Occurrence): boolean {
  if (o.event === 'escalation') return o.notify !== undefined && o.notify === target.id;
  if (o.event === 'status' || o.event === 'resolve' || o.event === 'digest') return false;
  const event: NotifyEvent = o.event === 'auto-rollback' ? 'rollback' : o.event;
  if (target.type === 'pagerduty' && !PAGEABLE.includes(event)) return false;
  // A rollback that an escalation step announces to this very target is said once, by the step.
  if (o.except !== undefined && o.except === target.id) return false;
  if (target.metrics && !causeOf(o).some((id) => target.metrics!.includes(id))) return false;
  return (target.on ?? DEFAULT_NOTIFY_ON).includes(event);
}

/** A target with `phases:` is silent in every other phase. */
function inPhase(target: NotifyTarget, snapshot: Snapshot): boolean {
  return target.phases === undefined || target.phases.includes(snapshot.phase.name);
}

function pagerDutyUrl(target: PagerDutyTarget): WebTarget {
  return { url: target.url ?? PAGERDUTY_EVENTS_URL, ...(target.timeout !== undefined ? { timeout: target.timeout } : {}) };
}

function targetName(target: NotifyTarget, index: number): string {
  if (target.type === 'command') return `command ${basename(target.run[0]!)}`;
  try {
    return `${target.type} ${new URL(target.type === 'pagerduty' ? pagerDutyUrl(target).url : target.url).host}`;
  } catch {
    return `${target.type} #${index + 1}`;
  }
}
