// What `rollcall check` prints: one report, three renderings. JSON is the stable contract for
// scripts (CheckReport, versioned); text is for a terminal; markdown pastes into Slack or a ticket
// (bullets rather than tables, `**bold**`, which CommonMark renders as bold where a single `*` is italics).

import { evidenceText } from '../engine/evidence.js';
import { formatValue } from '../profile/units.js';
import type { Profile, SourceConfig, Unit } from '../profile/types.js';
import type { ChecklistStatus, CriterionStatus, Decision, MetricStatus, PhaseStatus, Snapshot } from '../engine/types.js';
import { spoken } from '../engine/phases.js';
import { trafficChange } from '../engine/state.js';
import { jsonSafe, MAX_LABEL_COLUMNS, sanitizeLine } from '../util/sanitize.js';
import { truncate } from '../view/format.js';

/** The JSON printed by `rollcall check --format json`. Fields are only ever added, never changed. */
export interface CheckReport {
  version: 1;
  profile: { name: string; title: string; file?: string };
  /** When the check judged, ISO 8601 UTC. */
  at: string;
  /** The phase's decision; while rolled back it is not in force (see `status`). */
  decision: Decision;
  /** What to act on: `ROLLED BACK` while the rollout is rolled back, else the decision. */
  status: Decision | 'ROLLED BACK';
  /** 0 PROMOTE/SOAK, 1 HOLD, 2 ROLLBACK, 4 every source unreachable, 5 rolled back. */
  exitCode: number;
  /** Most severe first; the first is the headline. */
  reasons: string[];
  /** As the engine reports it (PhaseStatus; `index` is 0-based), with how many phases there are. */
  phase: Omit<PhaseStatus, 'startedAt' | 'nextCheckinAt' | 'dailyCheckin' | 'criteria' | 'checklist'> & {
    count: number;
    startedAt: string;
    nextCheckinAt?: string;
    dailyCheckin?: { at: string; time: string };
  };
  metrics: CheckMetric[];
  /** As the engine judged them (CriterionStatus), with the value in its unit. */
  criteria: Array<CriterionStatus & { valueText?: string }>;
  checklist: Array<Omit<ChecklistStatus, 'at'> & { at?: string }>;
  /** Since when, by whom, where it was left (a phase, or only a traffic share), and for how long so far. */
  rolledBack?: { at: string; traffic: number; phase: string | null; by?: string; forMs: number };
  /** A traffic action (partial rollback) set the share within the phase: now `share`, before `from`. */
  traffic?: { share: number; from: number; at: string; by: string; action: string };
  /** While rolled back: the profile's rollback checklist (items with their group), as ticked so far. */
  rollbackChecklist?: Array<Omit<ChecklistStatus, 'at'> & { at?: string }>;
  autoRollback?: Omit<NonNullable<Snapshot['autoRollback']>, 'firedAt'> & { firedAt: string };
  sources: Array<SourceHealth & { type: SourceConfig['type'] }>;
  /** About the rollout state: a lock holder, a state file that could not be used. */
  notices: string[];
}

/** A metric as the engine judged it (MetricStatus), with times in ISO 8601 and values in their unit. */
export interface CheckMetric
  extends Pick<MetricStatus, 'id' | 'title' | 'unit' | 'state' | 'value' | 'baseline' | 'delta' | 'group' | 'error' | 'note' | 'reason' | 'samples' | 'significance'> {
  since?: string;
  /** The value in its unit, as the console shows it: `2.4%`, `145ms`. */
  valueText: string;
  baselineText?: string;
  thresholds: Array<MetricStatus['thresholds'][number] & { thresholdText?: string }>;
  pending?: Omit<NonNullable<MetricStatus['pending']>, 'since'> & { since: string };
  /** A firing warning's escalation: the step reached and the next one, times in ISO 8601. */
  escalation?: {
    reached?: { to: string; at: string; key?: string };
    next?: { to: string; at: string; remainingMs: number };
  };
}

export interface SourceHealth {
  id: string;
  /** true answered, false never reached, null not asked (no metric uses it). */
  reachable: boolean | null;
  error?: string;
}

export const iso = (t: number): string => new Date(t).toISOString();

export function toCheckReport(
  profile: Profile,
  snapshot: Snapshot,
  extra: { exitCode: number; sources: SourceHealth[]; notices: string[] },
): CheckReport {
  const unitOf = (metric: string): Unit => profile.metrics[metric]?.unit ?? 'none';
  const p = snapshot.phase;
  return {
    version: 1,
    profile: { name: profile.name, title: profile.title, ...(profile.file ? { file: profile.file } : {}) },
    at: iso(snapshot.at),
    decision: snapshot.decision,
    status: snapshot.rolledBack ? 'ROLLED BACK' : snapshot.decision,
    exitCode: extra.exitCode,
    reasons: snapshot.reasons,
    phase: {
      index: p.index,
      count: profile.phases.length,
      name: p.name,
      title: p.title,
      traffic: p.traffic,
      startedAt: iso(p.startedAt),
      elapsedMs: p.elapsedMs,
      ...(p.durationMs !== undefined ? { durationMs: p.durationMs } : {}),
      ...(p.remainingMs !== undefined ? { remainingMs: p.remainingMs } : {}),
      ...(p.nextCheckinAt !== undefined ? { nextCheckinAt: iso(p.nextCheckinAt) } : {}),
      ...(p.checkinEveryMs !== undefined ? { checkinEveryMs: p.checkinEveryMs } : {}),
      ...(p.checkinDaily !== undefined ? { checkinDaily: p.checkinDaily } : {}),
      ...(p.dailyCheckin ? { dailyCheckin: { at: iso(p.dailyCheckin.at), time: p.dailyCheckin.time } } : {}),
    },
    metrics: snapshot.metrics.map((m): CheckMetric => ({
      id: m.id,
      title: m.title,
      unit: m.unit,
      state: m.state,
      ...(m.since !== undefined ? { since: iso(m.since) } : {}),
      ...(m.value !== undefined ? { value: m.value } : {}),
      valueText: formatValue(m.value, m.unit),
      ...(m.baseline !== undefined ? { baseline: m.baseline, baselineText: formatValue(m.baseline, m.unit) } : {}),
      ...(m.delta ? { delta: m.delta } : {}),
      ...(m.group !== undefined ? { group: m.group } : {}),
      thresholds: m.thresholds.map((t) => ({
        severity: t.severity,
        text: t.text,
        ...(t.threshold !== undefined ? { threshold: t.threshold, thresholdText: formatValue(t.threshold, m.unit) } : {}),
      })),
      ...(m.pending ? { pending: { since: iso(m.pending.since), forMs: m.pending.forMs, remainingMs: m.pending.remainingMs } } : {}),
      ...(m.escalation
        ? {
            escalation: {
              ...(m.escalation.reached ? { reached: { ...m.escalation.reached, at: iso(m.escalation.reached.at) } } : {}),
              ...(m.escalation.next ? { next: { ...m.escalation.next, at: iso(m.escalation.next.at) } } : {}),
            },
          }
        : {}),
      ...(m.error !== undefined ? { error: m.error } : {}),
      ...(m.note !== undefined ? { note: m.note } : {}),
      ...(m.samples ? { samples: m.samples } : {}),
      ...(m.significance ? { significance: m.significance } : {}),
      ...(m.reason !== undefined ? { reason: m.reason } : {}),
    })),
    criteria: p.criteria.map((c) => ({
      text: c.text,
      metric: c.metric,
      met: c.met,
      heldMs: c.heldMs,
      holdMs: c.holdMs,
      ...(c.value !== undefined ? { value: c.value, valueText: formatValue(c.value, unitOf(c.metric)) } : {}),
    })),
    checklist: p.checklist.map(checklistEntry),
    ...(snapshot.rollbackChecklist ? { rollbackChecklist: snapshot.rollbackChecklist.map(checklistEntry) } : {}),
    ...(snapshot.rolledBack
      ? {
          rolledBack: {
            at: iso(snapshot.rolledBack.at),
            traffic: snapshot.rolledBack.traffic,
            phase: snapshot.rolledBack.phase === null ? null : (profile.phases[snapshot.rolledBack.phase]?.name ?? null),
            ...(snapshot.rolledBack.by !== undefined ? { by: snapshot.rolledBack.by } : {}),
            forMs: Math.max(0, snapshot.at - snapshot.rolledBack.at),
          },
        }
      : {}),
    ...(snapshot.traffic ? { traffic: { ...snapshot.traffic, at: iso(snapshot.traffic.at) } } : {}),
    ...(snapshot.autoRollback
      ? { autoRollback: { ...snapshot.autoRollback, firedAt: iso(snapshot.autoRollback.firedAt) } }
      : {}),
    sources: extra.sources.map((s) => ({
      id: s.id,
      type: profile.sources[s.id]!.type,
      reachable: s.reachable,
      ...(s.error !== undefined ? { error: s.error } : {}),
    })),
    notices: extra.notices,
  };
}

export function checklistEntry(c: ChecklistStatus): CheckReport['checklist'][number] {
  return {
    item: c.item,
    ...(c.group !== undefined ? { group: c.group } : {}),
    checked: c.checked,
    ...(c.by !== undefined ? { by: c.by } : {}),
    ...(c.at !== undefined ? { at: iso(c.at) } : {}),
  };
}

/** Rollback checklist items under their group headings; `item` renders one item. */
function grouped(items: CheckReport['checklist'], heading: (group: string) => string, item: (c: CheckReport['checklist'][number]) => string): string[] {
  const out: string[] = [];
  let group: string | undefined;
  for (const c of items) {
    if (c.group !== undefined && c.group !== group) out.push(heading(c.group));
    group = c.group;
    out.push(item(c));
  }
  return out;
}

function tallied(items: CheckReport['checklist']): string {
  return `${items.filter((c) => c.checked).length}/${items.length}`;
}

/** The rollback checklist under its group headings, as `check` and `report` print it. */
export function rollbackChecklistLines(items: CheckReport['checklist'], format: 'text' | 'markdown'): string[] {
  if (format === 'markdown') {
    return [`**After rollback** ${tallied(items)}`, ...grouped(items, (g) => `- ${markdownSafe(g)}`, (c) => markdownItem(c, c.group !== undefined ? '  ' : ''))];
  }
  return [`after rollback ${tallied(items)}`, ...grouped(items, (g) => `  ${g}`, (c) => `  ${c.group !== undefined ? '  ' : ''}${textItem(c)}`)];
}

export function formatCheckJson(report: CheckReport): string {
  return `${jsonSafe(JSON.stringify(report, null, 2))}\n`;
}

/**
 * The lines of a text or markdown rendering, each one line of safe text: a newline or control
 * character inside a value (a label, an error, a profile title) is shown escaped, so it can
 * neither start a line of its own (`FAKE [PROMOTE] all gates green`) nor drive the terminal.
 */
export function safeLines(lines: readonly string[]): string {
  return `${lines.map(sanitizeLine).join('\n')}\n`;
}

/** A split label as `check` and `report` print it: clean, and cut where the console would cut it. */
export function labelText(group: string): string {
  return truncate(sanitizeLine(group), MAX_LABEL_COLUMNS);
}

/** `2026-01-05 09:15 UTC` */
export function utc(isoTime: string): string {
  return `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)} UTC`;
}

/** `warn > 1%, rollback > 2x baseline (400ms)`: the value in force where the text does not say it. */
function thresholdList(m: CheckMetric): string {
  return m.thresholds
    .map((t) => {
      const literal = t.text.replace(/^[<>=!]+\s*/, '');
      const says = t.thresholdText === undefined || t.thresholdText === literal || /\sin\s/.test(t.text);
      return `${t.severity} ${t.text}${says ? '' : ` (${t.thresholdText})`}`;
    })
    .join(', ');
}

/** `ROLLED BACK since 2026-01-05 09:15 UTC (2m) by alice@bastion (auto-rollback), to 0% traffic` */
export function rolledBackLine(rb: NonNullable<CheckReport['rolledBack']>): string {
  const to = rb.phase === null ? `${rb.traffic}% traffic` : `${rb.phase} (${rb.traffic}% traffic)`;
  return `ROLLED BACK since ${utc(rb.at)} (${spoken(rb.forMs)})${rb.by !== undefined ? ` by ${rb.by}` : ''}, to ${to}`;
}

/** While rolled back, what the phase would decide is said, but as not in force. */
const NOT_IN_FORCE = 'the phase would decide (not in force while rolled back)';

function phaseLine(r: CheckReport): string {
  const p = r.phase;
  if (r.rolledBack) return `phase ${p.index + 1}/${p.count} ${p.name} (${r.rolledBack.traffic}% traffic, was ${p.traffic}%) · rolled back`;
  const share = r.traffic ? `${r.traffic.share}% traffic, ${trafficChange(r.traffic)}` : `${p.traffic}%`;
  const parts = [`phase ${p.index + 1}/${p.count} ${p.name} (${share})`];
  parts.push(p.durationMs !== undefined ? `${spoken(p.elapsedMs)} of ${spoken(p.durationMs)}` : `${spoken(p.elapsedMs)} in phase`);
  if (p.nextCheckinAt) parts.push(`next check-in ${utc(p.nextCheckinAt)}${p.checkinDaily !== undefined ? ` (daily ${p.checkinDaily})` : ''}`);
  if (p.dailyCheckin && p.checkinDaily === undefined) parts.push(`daily check-in ${utc(p.dailyCheckin.at)} (${p.dailyCheckin.time})`);
  return parts.join(' · ');
}

function criterionLine(c: CheckReport['criteria'][number]): string {
  if (c.met === null) return `no data   ${c.text}`;
  if (!c.met) return `not met   ${c.text}${c.valueText ? ` (now ${c.valueText})` : ''}`;
  return `${c.heldMs >= c.holdMs ? 'met    ' : 'holding'}   ${c.text} (held ${spoken(c.heldMs)} of ${spoken(c.holdMs)})`;
}

function sourceProblems(r: CheckReport): string[] {
  return r.sources.filter((s) => s.reachable === false).map((s) => `source ${s.id} unreachable: ${s.error ?? 'no answer'}`);
}

/** `escalated to reduce (key d) at …`, `escalates to rollback at … (in 45m)`. */
function escalationLines(m: CheckMetric): string[] {
  const e = m.escalation;
  if (!e) return [];
  const out: string[] = [];
  if (e.reached) out.push(`escalated to ${e.reached.to}${e.reached.key !== undefined ? ` (key ${e.reached.key})` : ''} at ${utc(e.reached.at)}`);
  if (e.next) out.push(`escalates to ${e.next.to} at ${utc(e.next.at)} (in ${spoken(e.next.remainingMs)}) unless the warning clears`);
  return out;
}

function textItem(c: CheckReport['checklist'][number]): string {
  return `[${c.checked ? 'x' : ' '}] ${c.item}${c.by ? ` (${c.by}${c.at ? `, ${utc(c.at)}` : ''})` : ''}`;
}

export function formatCheckText(r: CheckReport): string {
  const out: string[] = [];
  out.push(`${r.profile.title}${r.profile.title !== r.profile.name ? ` (${r.profile.name})` : ''}`);
  out.push(phaseLine(r));
  if (r.traffic) out.push(`traffic set to ${r.traffic.share}% by ${r.traffic.action} at ${utc(r.traffic.at)} (${r.traffic.by})`);
  out.push('');
  if (r.rolledBack) out.push(rolledBackLine(r.rolledBack), `${NOT_IN_FORCE}: ${r.decision}`);
  else out.push(r.decision);
  for (const reason of r.reasons) out.push(`  - ${reason}`);
  if (r.autoRollback) out.push(`  automatic rollback requested by ${r.autoRollback.metric} (grace ${spoken(r.autoRollback.graceMs)})`);

  out.push('');
  const rows = r.metrics.map((m) => [
    m.group ? `${m.id} [${labelText(m.group)}]` : m.id,
    m.valueText,
    m.baselineText ?? '—',
    m.state,
    thresholdList(m) || '—',
  ]);
  const header = ['metric', 'value', 'baseline', 'state', 'thresholds'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  out.push(line(header));
  for (const row of rows) out.push(line(row));
  for (const m of r.metrics) if (m.error) out.push(`  ${m.id}: ${m.error}`);
  for (const m of r.metrics) if (m.note) out.push(`  ${m.id}: ${m.note}`);
  for (const m of r.metrics) for (const line of escalationLines(m)) out.push(`  ${m.id}: ${line}`);
  for (const m of r.metrics) {
    const evidence = evidenceText(m);
    if (evidence) out.push(`  ${m.id}: ${evidence}`);
  }

  if (r.criteria.length > 0) {
    out.push('', 'success criteria');
    for (const c of r.criteria) out.push(`  ${criterionLine(c)}`);
  }
  if (r.checklist.length > 0) {
    out.push('', 'checklist');
    for (const c of r.checklist) out.push(`  ${textItem(c)}`);
  }
  if (r.rollbackChecklist) out.push('', ...rollbackChecklistLines(r.rollbackChecklist, 'text'));
  const notes = [...sourceProblems(r), ...r.notices];
  if (notes.length > 0) {
    out.push('');
    for (const n of notes) out.push(`note: ${n}`);
  }
  out.push('', `checked ${utc(r.at)}`);
  return safeLines(out);
}

/**
 * Text that cannot turn into formatting by accident in Slack or CommonMark. Only what would: `*`,
 * `~` and backticks anywhere, `_` at the edge of a word (inside one, as in `error_rate`, both leave
 * it alone). Slack shows backslashes as typed, so nothing else is escaped.
 */
export function markdownSafe(text: string): string {
  return text.replace(/[*~`]/g, '\\$&').replace(/(^|[^\w])_|_(?=[^\w]|$)/g, (m) => m.replace('_', '\\_'));
}

function markdownItem(c: CheckReport['checklist'][number], indent: string): string {
  return `${indent}- [${c.checked ? 'x' : ' '}] ${markdownSafe(c.item)}${c.by ? ` — ${markdownSafe(c.by)}` : ''}`;
}

export function formatCheckMarkdown(r: CheckReport): string {
  const out: string[] = [];
  out.push(`**${r.status}** — ${markdownSafe(r.profile.title)} · ${markdownSafe(phaseLine(r))}`);
  if (r.rolledBack) out.push(markdownSafe(rolledBackLine(r.rolledBack)), `_${NOT_IN_FORCE}: ${r.decision}_`);
  if (r.traffic) out.push(`_traffic set to ${r.traffic.share}% by ${markdownSafe(r.traffic.action)} at ${utc(r.traffic.at)}_`);
  for (const reason of r.reasons) out.push(`- ${markdownSafe(reason)}`);
  if (r.autoRollback) out.push(`- automatic rollback requested by \`${r.autoRollback.metric}\``);
  out.push('', '*Metrics*');
  for (const m of r.metrics) {
    const base = m.baselineText ? `, baseline ${m.baselineText}` : '';
    const thresholds = thresholdList(m);
    const flag = m.state === 'ok' ? m.state : `**${m.state}**`;
    out.push(`- \`${m.id}\`${m.group ? ` (${markdownSafe(labelText(m.group))})` : ''} ${markdownSafe(m.valueText)}${markdownSafe(base)} — ${flag}${thresholds ? ` (${markdownSafe(thresholds)})` : ''}`);
    if (m.error) out.push(`  - ${markdownSafe(m.error)}`);
    if (m.note) out.push(`  - ${markdownSafe(m.note)}`);
    for (const line of escalationLines(m)) out.push(`  - **${markdownSafe(line)}**`);
    const evidence = evidenceText(m);
    if (evidence) out.push(`  - ${markdownSafe(evidence)}`);
  }
  if (r.criteria.length > 0) {
    out.push('', '*Success criteria*');
    for (const c of r.criteria) out.push(`- ${markdownSafe(criterionLine(c).replace(/\s{2,}/g, ' '))}`);
  }
  if (r.checklist.length > 0) {
    out.push('', '*Checklist*');
    for (const c of r.checklist) out.push(markdownItem(c, ''));
  }
  if (r.rollbackChecklist) out.push('', ...rollbackChecklistLines(r.rollbackChecklist, 'markdown'));
  const notes = [...sourceProblems(r), ...r.notices];
  if (notes.length > 0) {
    out.push('');
    for (const n of notes) out.push(`_${markdownSafe(n)}_`);
  }
  out.push('', `_checked ${utc(r.at)}_`);
  return safeLines(out);
}
