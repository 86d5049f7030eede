// The review as a person reads it: text for a terminal, markdown for a standup or a ticket. Its own
// file because it only prints a finished Review (review.ts) — no judging, no I/O — and both formats
// come from one list of lines, so they never say different things.

import { evidenceText } from '../engine/evidence.js';
import { spoken } from '../engine/phases.js';
import { formatValue } from '../profile/units.js';
import type { Unit } from '../profile/types.js';
import { labelText, markdownSafe, rollbackChecklistLines, rolledBackLine, safeLines, utc } from './check-format.js';
import type { Review, Summary } from './review.js';

function stats(s: Summary, unit: Unit): string {
  if (s.samples === 0) return 'no samples';
  return [s.min, s.median, s.p95, s.max].map((v) => formatValue(v, unit)).join(' / ');
}

function decisionTimes(r: Review): string {
  return (['ROLLBACK', 'HOLD', 'SOAK', 'PROMOTE'] as const)
    .filter((d) => r.decisions[d] > 0)
    .map((d) => `${d} ${spoken(r.decisions[d])}`)
    .join(', ');
}

function actionLine(a: Review['actions'][number]): string {
  const what =
    a.event === 'action' || a.event === 'action-start'
      ? (a.action ?? 'action')
      : a.event === 'checklist'
        ? `checklist "${a.item ?? ''}" ${a.checked === false ? 'unticked' : 'ticked'}`
        : `${a.event}${a.action ? ` ${a.action}` : ''}`;
  const flags = [a.forced ? 'forced' : '', a.auto ? 'automatic' : '', a.dryRun ? 'dry run' : ''].filter(Boolean).join(', ');
  const outcome = a.outcomeUnknown ? ': OUTCOME UNKNOWN' : a.ok === undefined ? '' : a.ok ? ': ok' : `: failed${a.exitCode !== undefined && a.exitCode !== null ? ` (exit ${a.exitCode})` : ''}`;
  return `${utc(a.at)} ${what} by ${a.user}@${a.host}${flags ? ` (${flags})` : ''}${outcome}${a.note ? ` — ${a.note}` : ''}`;
}

function lines(r: Review, format: 'text' | 'markdown', emphasis: (s: string) => string, code: (s: string) => string, escape: (s: string) => string): string[] {
  const out: string[] = [];
  const span = spoken(r.windowMs);
  out.push(`${emphasis(`${span} review`)} — ${escape(r.profile.title)} (${escape(r.profile.name)})`);
  out.push(`${utc(r.from)} → ${utc(r.to)} · phase ${r.phase.index + 1}/${r.phase.count} ${escape(r.phase.name)} (${r.phase.traffic}%)`);
  if (r.rolledBack) {
    out.push(`Now: ${emphasis('ROLLED BACK')}${escape(rolledBackLine(r.rolledBack).slice('ROLLED BACK'.length))}`);
    out.push(`  - the phase would decide ${r.now.decision} (not in force while rolled back)${r.now.reasons[0] ? `: ${escape(r.now.reasons[0])}` : ''}`);
  } else {
    out.push(`Now: ${emphasis(r.now.decision)}${r.now.reasons[0] ? ` — ${escape(r.now.reasons[0])}` : ''}`);
    for (const reason of r.now.reasons.slice(1)) out.push(`  - ${escape(reason)}`);
  }
  out.push(`Decision over the window: ${decisionTimes(r) || '—'} (judged every ${spoken(r.stepMs)})`);

  out.push('', emphasis('Metrics (min / median / p95 / max; time in warn, breach, no data)'));
  for (const m of r.metrics) {
    const few = m.insufficientMs > 0 ? `, too few samples ${spoken(m.insufficientMs)}` : '';
    const times = `warn ${spoken(m.warnMs)}, breach ${spoken(m.breachMs)}${m.noDataMs > 0 ? `, no data ${spoken(m.noDataMs)}` : ''}${few}`;
    if (m.groups.length === 0) out.push(`- ${code(m.id)} no samples — ${times}`);
    for (const g of m.groups) {
      const label = g.group ? `${code(m.id)} [${escape(labelText(g.group))}]` : code(m.id);
      const base = g.baseline && g.baseline.samples > 0 ? `; baseline median ${formatValue(g.baseline.median, m.unit)}` : '';
      out.push(`- ${label} ${escape(stats(g.canary, m.unit))}${escape(base)} — ${times}`);
    }
    if (m.note !== undefined) out.push(`  - ${escape(m.note)}`);
    const evidence = evidenceText(m);
    if (evidence) out.push(`  - now: ${escape(evidence)}`);
    for (const e of m.escalations) out.push(`  - escalated to ${escape(e.to)}${e.key !== undefined ? ` (key ${escape(e.key)})` : ''} at ${utc(e.at)}`);
    for (const b of m.breaches) {
      const end = b.end ? utc(b.end).slice(11) : 'ongoing';
      const peak = b.peak !== undefined ? `, peak ${formatValue(b.peak, m.unit)}` : '';
      out.push(`  - breach ${utc(b.start)} → ${end} (${spoken(b.durationMs)}${escape(peak)})${b.reason ? `: ${escape(b.reason)}` : ''}`);
    }
  }

  out.push('', emphasis('Phase moves'));
  if (r.phaseMoves.length === 0) out.push('- none');
  for (const m of r.phaseMoves) out.push(`- ${utc(m.at)} ${escape(m.from ?? '—')} → ${escape(m.to ?? 'off')} by ${escape(m.by)} (${m.reason})`);

  if (r.rollbackChecklist) out.push('', ...rollbackChecklistLines(r.rollbackChecklist, format));

  out.push('', emphasis('Actions'));
  if (r.actions.length === 0) out.push('- none');
  for (const a of r.actions) out.push(`- ${escape(actionLine(a))}`);

  if (r.notes.length > 0) {
    out.push('');
    for (const n of r.notes) out.push(`note: ${escape(n)}`);
  }
  return out;
}

export function formatReviewText(r: Review): string {
  return safeLines(lines(r, 'text', (s) => s, (s) => s, (s) => s));
}

/** Bullets and `**bold**`: CommonMark bold (a single `*` is italics there, not emphasis that stands out). */
export function formatReviewMarkdown(r: Review): string {
  return safeLines(lines(r, 'markdown', (s) => `**${s}**`, (s) => `\`${s}\``, markdownSafe));
}
