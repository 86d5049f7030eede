// `rollcall check <profile>`: judge every metric once, print the decision, exit with its code.
// It backfills the history the current phase's rules need before judging, so its verdict equals
// what a console open that long would show, and it never takes the console's lock or changes the
// rollout state.

import { existsSync } from 'node:fs';
import { realClock, type Clock } from '../engine/clock.js';
import { evaluate } from '../engine/evaluate.js';
import { spacedLike } from '../engine/judge.js';
import { currentPhase, judgementWindowMs } from '../engine/phases.js';
import { Poller } from '../engine/poller.js';
import { readRecording } from '../engine/record.js';
import { SeriesStore } from '../engine/series.js';
import type { RolloutState } from '../engine/state.js';
import type { Decision } from '../engine/types.js';
import { loadStoredHistory } from '../actions/history-load.js';
import { defaultStateDir, isStateStoreError, openStateStore, phaseIndex, statePath } from '../actions/state-store.js';
import { loadProfileOrReport } from '../profile/load.js';
import { redact } from '../profile/redact.js';
import type { Profile } from '../profile/types.js';
import { closeSources, createSources, secondScrapeDelayMs } from '../sources/registry.js';
import { isSourceError, type Source } from '../sources/source.js';
import { formatCheckJson, formatCheckMarkdown, formatCheckText, toCheckReport, type CheckReport, type SourceHealth } from './check-format.js';
import type { CommonOptions } from './common-options.js';
import { ExitCode } from './exit.js';
import { eachLimited, formatManyJson, formatManyMarkdown, formatManyText, resolveRollouts, worstExitCode, type RolloutCheck } from './many.js';

export interface CheckOptions extends CommonOptions {
  phase?: string;
  format: 'text' | 'markdown' | 'json';
  replay?: string;
}

const EXIT: Record<Decision, ExitCode> = {
  PROMOTE: ExitCode.green,
  SOAK: ExitCode.green,
  HOLD: ExitCode.hold,
  ROLLBACK: ExitCode.rollback,
};

/**
 * `rollcall check <profile>` prints that rollout's detailed report; several profiles or a
 * directory print one row per rollout (many.ts) and exit with the worst code by its SEVERITY.
 */
export async function check(targets: string | readonly string[], opts: CheckOptions): Promise<number> {
  const rollouts = await resolveRollouts(typeof targets === 'string' ? [targets] : targets);
  if ('error' in rollouts) return usage(rollouts.error);
  if ('single' in rollouts) return checkOne(rollouts.single, opts);
  // One phase name or one recording cannot mean the same thing for different rollouts.
  if (opts.phase !== undefined) return usage('--phase judges one rollout as if in that phase; give one profile');
  if (opts.replay !== undefined) return usage('--replay plays one recording back; give one profile');
  const secrets: string[] = [];
  const rows = await eachLimited(rollouts.files, CONCURRENT_CHECKS, async (file): Promise<RolloutCheck> => {
    const judged = await judgeRollout(file, opts, (text) => void process.stderr.write(text));
    secrets.push(...judged.secrets);
    if (judged.unreachable) process.stderr.write(`rollcall check: ${file}: every source is unreachable (${redact(judged.unreachable, judged.secrets)})\n`);
    else if (judged.error !== undefined && !judged.written) process.stderr.write(`rollcall check: ${file}: ${redact(judged.error, judged.secrets)}\n`);
    return {
      file,
      exitCode: judged.exitCode,
      status: judged.report?.status ?? 'ERROR',
      ...(judged.report ? { report: judged.report } : {}),
      ...(judged.error !== undefined ? { error: redact(judged.error, judged.secrets) } : {}),
    };
  });
  const text = opts.format === 'json' ? formatManyJson(rows) : opts.format === 'markdown' ? formatManyMarkdown(rows) : formatManyText(rows);
  process.stdout.write(redact(text, secrets));
  return worstExitCode(rows.map((r) => r.exitCode));
}

/** Rollouts judged at once: each waits mostly on its sources. */
const CONCURRENT_CHECKS = 4;

function usage(message: string): number {
  process.stderr.write(`rollcall check: ${message}\n`);
  return ExitCode.usage;
}

/** One rollout, printed in full: today's `rollcall check <profile>`. */
async function checkOne(file: string, opts: CheckOptions): Promise<number> {
  const judged = await judgeRollout(file, opts, (text) => void process.stderr.write(text));
  if (!judged.report) {
    if (judged.error !== undefined && !judged.written) process.stderr.write(`rollcall check: ${redact(judged.error, judged.secrets)}\n`);
    return judged.exitCode;
  }
  const report = judged.report;
  const text = opts.format === 'json' ? formatCheckJson(report) : opts.format === 'markdown' ? formatCheckMarkdown(report) : formatCheckText(report);
  process.stdout.write(redact(text, judged.secrets));
  if (judged.unreachable) process.stderr.write(`rollcall check: every source is unreachable (${redact(judged.unreachable, judged.secrets)})\n`);
  return judged.exitCode;
}

interface Judged {
  exitCode: number;
  report?: CheckReport;
  /** Why there is no report; `written` when it already went to stderr (a profile's issues). */
  error?: string;
  written?: boolean;
  /** Every source unreachable: what each said. */
  unreachable?: string;
  secrets: readonly string[];
}

/** Judges one rollout and prints nothing but a profile's issues (to `stderr`). */
async function judgeRollout(file: string, opts: CheckOptions, stderr: (text: string) => void): Promise<Judged> {
  // Nothing runs and nothing is sent here: only the sources' (and state store's) variables are needed.
  let issues = '';
  const loaded = await loadProfileOrReport(file, {
    envMode: 'sources',
    stderr: (text) => {
      issues += text;
      stderr(text);
    },
  });
  if ('exitCode' in loaded) return { exitCode: loaded.exitCode, error: issues.split('\n')[0] || 'profile error', written: true, secrets: [] };
  const { profile } = loaded;
  const fail = (message: string): Judged => ({ exitCode: ExitCode.usage, error: message, secrets: profile.secrets });

  let clock: Clock = realClock;
  if (opts.replay) {
    try {
      clock = frozenAt(await recordingEnd(opts.replay));
    } catch (error) {
      return fail(messageOf(error));
    }
  }

  let rollout: { state: RolloutState; notices: string[] };
  try {
    rollout = await readRollout(profile, opts, clock);
    if (opts.phase !== undefined) {
      const index = phaseIndex(profile, opts.phase);
      if (index !== rollout.state.phase) {
        rollout.notices.push(`judged as if in phase ${opts.phase}; the rollout is in ${currentPhase(profile, rollout.state).name}`);
        rollout.state = { ...rollout.state, phase: index };
      }
    }
  } catch (error) {
    if (isStateStoreError(error)) return fail(error.message);
    throw error;
  }

  const health = new SourceWatch();
  const sources = createSources(profile, { clock, ...(opts.replay ? { replay: opts.replay } : {}) });
  const watched = new Map([...sources].map(([id, source]) => [id, health.watch(source)]));
  const store = new SeriesStore(profile);
  const poller = new Poller({ profile, sources: watched, store, clock });
  try {
    const phase = currentPhase(profile, rollout.state);
    const windowMs = judgementWindowMs(profile, phase, rollout.state.phaseStartedAt, clock.now());
    // What an agent stored first: the only past an http, exec or scrape source has.
    if (!opts.replay) {
      const stored = await loadStoredHistory(profile, opts.stateDir ?? defaultStateDir(), store, clock.now() - windowMs, clock.now());
      if (stored?.problem) rollout.notices.push(stored.problem);
    }
    await poller.backfill(windowMs);
    await poller.pollOnce();
    // Rates and quantiles from a /metrics scrape need a second scrape to exist at all.
    const again = opts.replay ? 0 : secondScrapeDelayMs(profile);
    if (again > 0) {
      await clock.sleep(again);
      await poller.pollOnce();
    }
    const series = store.snapshot();
    const snapshot = evaluate(spacedLike(profile, series), rollout.state, series, clock.now(), poller.raw);

    const summary = health.summary(profile);
    const asked = summary.filter((s) => s.reachable !== null);
    const unreachable = asked.length > 0 && asked.every((s) => s.reachable === false);
    // Rolled back is known from the rollout state alone, whatever the sources answer.
    const exitCode = snapshot.rolledBack ? ExitCode.rolledBack : unreachable ? ExitCode.unreachable : EXIT[snapshot.decision];
    const report = toCheckReport(profile, snapshot, { exitCode, sources: summary, notices: rollout.notices });
    const why = unreachable ? asked.map((s) => `${s.id}: ${s.error ?? 'no answer'}`).join('; ') : undefined;
    return { exitCode, report, secrets: profile.secrets, ...(why !== undefined ? { unreachable: why } : {}) };
  } finally {
    await poller.stop();
    await closeSources(sources);
  }
}

/** The rollout state as the console left it, read without taking its lock (or writing to a shared store). */
async function readRollout(profile: Profile, opts: CheckOptions, clock: Clock): Promise<{ state: RolloutState; notices: string[] }> {
  const notices: string[] = [];
  // A shared store says itself when it has no row yet (its notice).
  const file = profile.state ? undefined : statePath(profile, opts.stateDir);
  if (file !== undefined && !existsSync(file)) {
    notices.push(`no rollout state yet (${file}): judged as phase 1 (${profile.phases[0]!.name}) starting now`);
  }
  const store = await openStateStore(profile, { ...(opts.stateDir ? { dir: opts.stateDir } : {}), clock, readOnly: true });
  try {
    if (store.notice) notices.push(store.notice);
    return { state: store.read(), notices };
  } finally {
    await store.close();
  }
}

/**
 * Whether each source answered its live polls at all. An error the server itself sent back (HTTP
 * 500, a query error) proves it is reachable; a refused connection or a timeout does not. History
 * requests do not count: a source may answer those without asking its server (SQL with no window
 * bounds has no history to ask for).
 */
export class SourceWatch {
  private readonly seen = new Map<string, { answered: boolean; error?: string }>();

  watch(source: Source): Source {
    const note = <T>(work: Promise<T>): Promise<T> => {
      const entry = this.seen.get(source.id) ?? { answered: false };
      this.seen.set(source.id, entry);
      return work.then(
        (value) => {
          entry.answered = true;
          return value;
        },
        (error: unknown) => {
          if (isSourceError(error) && error.kind !== 'unreachable' && error.kind !== 'timeout' && error.kind !== 'aborted') {
            entry.answered = true;
          }
          entry.error ??= isSourceError(error) ? error.reason : messageOf(error);
          throw error;
        },
      );
    };
    return {
      id: source.id,
      type: source.type,
      instant: (req) => note(source.instant(req)),
      ...(source.range ? { range: source.range.bind(source) } : {}),
      close: () => source.close(),
    };
  }

  summary(profile: Profile): SourceHealth[] {
    return Object.keys(profile.sources).map((id) => {
      const entry = this.seen.get(id);
      if (!entry) return { id, reachable: null };
      return { id, reachable: entry.answered, ...(entry.error !== undefined ? { error: entry.error } : {}) };
    });
  }
}

/** The end of a recording: a replayed check judges the moment the recording stops. */
async function recordingEnd(file: string): Promise<number> {
  const recording = await readRecording(file);
  let end = recording.startedAt;
  for (const e of recording.entries) end = Math.max(end, e.t);
  return end;
}

/** A clock stopped at one moment; timeouts still run in real time. */
function frozenAt(at: number): Clock {
  return { now: () => at, setTimeout: realClock.setTimeout, sleep: realClock.sleep };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
