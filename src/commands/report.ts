// `rollcall report <profile> --since 24h`: the daily review (seed 001's 24-hour review, seed 003's
// daily standup). Per metric: min / median / p95 / max over the window, time spent in warn and in
// breach with each breach's start and end (found by judging the history again at each step, as a
// console would have seen it then), the phase moves, the actions from the audit log, and the
// decision now. This file gathers the inputs (state, sources, audit log); the judging again is
// review.ts, the printing report-format.ts.

import { auditPath, readAudit, type AuditEntry } from '../actions/audit.js';
import { loadStoredHistory } from '../actions/history-load.js';
import { defaultStateDir, isStateStoreError, openStateStore } from '../actions/state-store.js';
import { realClock } from '../engine/clock.js';
import { spacedLike } from '../engine/judge.js';
import { currentPhase, judgementWindowMs } from '../engine/phases.js';
import { Poller } from '../engine/poller.js';
import { SeriesStore } from '../engine/series.js';
import type { RolloutState } from '../engine/state.js';
import type { SeriesSnapshot } from '../engine/types.js';
import { DURATION_FORMS, parseDuration } from '../profile/duration.js';
import { loadProfileOrReport } from '../profile/load.js';
import { redact } from '../profile/redact.js';
import type { Metric, Profile } from '../profile/types.js';
import { closeSources, createSources } from '../sources/registry.js';
import { SourceWatch } from './check.js';
import type { CommonOptions } from './common-options.js';
import { jsonSafe } from '../util/sanitize.js';
import { ExitCode } from './exit.js';
import { resolveRollouts } from './many.js';
import { reportMany, type Reviewed } from './report-many.js';
import { formatReviewMarkdown, formatReviewText } from './report-format.js';
import { review, type Review } from './review.js';

export interface ReportOptions extends CommonOptions {
  since: string;
  format: 'markdown' | 'json' | 'text';
}

/** One profile: its report as today; several or a directory: a summary table, then each report (report-many.ts). */
export async function report(targets: string | readonly string[], opts: ReportOptions): Promise<number> {
  const rollouts = await resolveRollouts(typeof targets === 'string' ? [targets] : targets);
  if ('files' in rollouts) return reportMany(rollouts.files, opts, reviewRollout);
  if ('error' in rollouts) {
    process.stderr.write(`rollcall report: ${rollouts.error}\n`);
    return ExitCode.usage;
  }
  const one = await reviewRollout(rollouts.single, opts);
  if (one.text !== undefined) process.stdout.write(one.text);
  return one.exitCode;
}

/** One rollout's review in `opts.format`, redacted; problems go to stderr. */
async function reviewRollout(file: string, opts: ReportOptions): Promise<Reviewed> {
  // Nothing runs and nothing is sent here: only the sources' (and state store's) variables are needed.
  const loaded = await loadProfileOrReport(file, { envMode: 'sources' });
  if ('exitCode' in loaded) return loaded;
  const { profile } = loaded;
  const fail = (message: string): Reviewed => {
    process.stderr.write(`rollcall report: ${redact(message, profile.secrets)}\n`);
    return { exitCode: ExitCode.usage, error: redact(message, profile.secrets) };
  };
  const windowMs = parseDuration(opts.since);
  if (windowMs === undefined) return fail(`--since: "${opts.since}" is not a duration; use ${DURATION_FORMS}`);
  if (windowMs <= 0) return fail(`--since: "${opts.since}" is an empty window; give how far back to review, e.g. 24h`);

  const clock = realClock;
  const to = clock.now();
  const from = to - windowMs;
  let state: RolloutState;
  const notes: string[] = [];
  try {
    const store = await openStateStore(profile, { ...(opts.stateDir ? { dir: opts.stateDir } : {}), clock, readOnly: true });
    try {
      state = store.read();
      if (store.notice) notes.push(store.notice);
    } finally {
      await store.close();
    }
  } catch (error) {
    if (isStateStoreError(error)) return fail(error.message);
    throw error;
  }

  // Enough history for the window plus what judging its first moment needs.
  const lookbackMs = judgementWindowMs(profile, currentPhase(profile, state), state.phaseStartedAt, to);
  const wide = widened(profile, windowMs + lookbackMs);
  const health = new SourceWatch();
  const sources = createSources(wide, { clock });
  const watched = new Map([...sources].map(([id, source]) => [id, health.watch(source)]));
  const store = new SeriesStore(wide);
  const poller = new Poller({ profile: wide, sources: watched, store, clock });
  let series: SeriesSnapshot;
  let polledAt = to;
  try {
    // What an agent stored first: the only past an http, exec or scrape source has.
    const stored = await loadStoredHistory(wide, opts.stateDir ?? defaultStateDir(), store, from - lookbackMs, to);
    if (stored?.problem) notes.push(stored.problem);
    await poller.backfill(windowMs + lookbackMs);
    await poller.pollOnce();
    polledAt = clock.now();
    series = store.snapshot();
  } finally {
    await poller.stop();
    await closeSources(sources);
  }

  let audit: { entries: AuditEntry[]; problems: string[] } = { entries: [], problems: [] };
  const auditFile = auditPath(profile, { ...(opts.stateDir ? { stateDir: opts.stateDir } : {}), ...(opts.auditLog ? { auditLog: opts.auditLog } : {}) });
  let auditWhere = auditFile;
  let sharedRead = false;
  // A shared store keeps every console's entries: report those, or this console's file when it cannot.
  if (profile.state) {
    try {
      // Loaded only for shared state: a report on a file store does not load the database driver.
      const { readSharedAudit } = await import('../actions/shared-audit.js');
      const shared = await readSharedAudit(profile, profile.state);
      audit = shared;
      auditWhere = shared.where;
      sharedRead = true;
    } catch (error) {
      notes.push(`${error instanceof Error ? error.message : String(error)}; actions from this console's audit log only (${auditFile})`);
    }
  }
  if (!sharedRead) {
    try {
      audit = await readAudit(auditFile);
    } catch (error) {
      notes.push(error instanceof Error ? error.message : String(error));
    }
  }
  for (const problem of audit.problems.slice(0, 5)) notes.push(`audit log ${auditWhere}: ${problem}`);

  const asked = health.summary(profile).filter((h) => h.reachable !== null);
  const allUnreachable = asked.length > 0 && asked.every((h) => h.reachable === false);
  for (const h of asked) if (h.reachable === false) notes.push(`source ${h.id} unreachable: ${h.error ?? 'no answer'}`);

  const result = review(spacedLike(wide, series), state, series, { from, to, audit: audit.entries, notes, raw: poller.raw, polledAt });
  const text = opts.format === 'json' ? `${jsonSafe(JSON.stringify(result, null, 2))}\n` : opts.format === 'text' ? formatReviewText(result) : formatReviewMarkdown(result);
  const exitCode = result.rolledBack ? ExitCode.rolledBack : allUnreachable ? ExitCode.unreachable : ExitCode.green;
  return { exitCode, text: redact(text, profile.secrets), review: JSON.parse(redact(JSON.stringify(result), profile.secrets)) as Review };
}

/** Room in every ring for the whole window (the console keeps only `history`). */
function widened(profile: Profile, rangeMs: number): Profile {
  const metrics: Record<string, Metric> = {};
  for (const id of profile.metricIds) {
    const m = profile.metrics[id]!;
    metrics[id] = { ...m, capacity: Math.max(m.capacity, Math.ceil(rangeMs / m.intervalMs) + 16) };
  }
  return { ...profile, metrics };
}
