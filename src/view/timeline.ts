// Every phase in order — done, current, next — with its traffic and soak gauges and criteria; the
// current one expanded with its gates, checklist count and next check-in.

import type { Profile } from '../profile/types.js';
import { formatDuration } from '../profile/duration.js';
import { abandonedPhases, type RolloutState } from '../engine/state.js';
import { fit, formatClock, formatElapsed, formatElapsedOf } from './format.js';
import type { Layout } from './layout.js';
import { clip, gauge, parts, s, title, type Line, type Span, type Tone } from './line.js';
import type { ModelInput } from './model-input.js';
import { checklistTally } from './checklist.js';

/** How long each phase lasted on its last visit, from the rollout history. */
function phaseDurations(rollout: RolloutState): Map<number, number> {
  const out = new Map<number, number>();
  rollout.history.forEach((move, i) => {
    const next = rollout.history[i + 1];
    if (move.to !== null && next) out.set(move.to, next.at - move.at);
  });
  return out;
}

export function timelineLines(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state } = input;
  const { profile, snapshot, rollout } = state;
  const w = layout.width;
  const current = snapshot.phase;
  const durations = phaseDurations(rollout);
  const nameWidth = Math.min(16, Math.max(...profile.phases.map((p) => p.name.length)));
  const lines: Line[] = [title('phases', false, w)];
  const abandoned = abandonedPhases(rollout.history);
  for (const phase of profile.phases) {
    const isCurrent = phase.index === current.index;
    // Rolled back, then promoted past by force: left behind, never done.
    const left = phase.index < current.index && abandoned.has(phase.index);
    const done = phase.index < current.index && !rollout.rolledBack && !left;
    const mark = isCurrent ? (rollout.rolledBack ? '↺' : '▶') : left ? '↺' : done ? '✓' : '·';
    const tone: Tone = isCurrent ? 'accent' : done ? 'ok' : 'muted';
    const elapsed = isCurrent ? current.elapsedMs : done ? durations.get(phase.index) ?? phase.durationMs ?? 0 : 0;
    const soak = phase.durationMs ? elapsed / phase.durationMs : done || isCurrent ? 1 : 0;
    const soakText = !phase.durationMs
      ? isCurrent || done ? formatElapsed(elapsed) : 'open-ended'
      : isCurrent || done ? `${formatElapsedOf(elapsed, phase.durationMs)}/${formatDuration(phase.durationMs)}` : `${formatDuration(phase.durationMs)} min`;
    const count = isCurrent ? current.criteria.length : phase.success.length;
    const criteria = count === 0 ? 'no criteria' : isCurrent ? `criteria ${current.criteria.filter((c) => c.met === true).length}/${count}` : `${count} criteria`;
    const status = isCurrent
      ? rollout.rolledBack
        ? 'rolled back'
        : snapshot.traffic
          ? `current, ${snapshot.traffic.share < snapshot.traffic.from ? 'reduced' : 'set'} to ${snapshot.traffic.share}%`
          : 'current'
      : left
        ? 'rolled back, promoted past'
        : done
          ? 'done'
          : 'next';
    lines.push(
      clip(
        [
          s(` ${mark} `, tone, { bold: isCurrent }),
          s(fit(`${phase.index + 1} ${phase.name}`, nameWidth + 2), isCurrent ? 'title' : tone, { bold: isCurrent }),
          s(' '),
          s(fit(`${phase.traffic}%`, 4, 'right')),
          s(' '),
          s(gauge(phase.traffic / 100, 10), tone),
          s('  soak '),
          s(gauge(soak, 10), tone),
          s(' '),
          s(fit(soakText, 12)),
          s(' '),
          s(fit(criteria, 12), isCurrent ? undefined : 'muted'),
          s(' '),
          s(status, tone),
        ],
        w,
      ),
    );
    if (isCurrent) lines.push(...currentPhaseDetails(input, w));
  }
  return lines.slice(0, height);
}

/** Lines under the current phase in the timeline: its gates and the next check-in. */
const CURRENT_PHASE_DETAIL_LINES = 2;

function currentPhaseDetails(input: ModelInput, w: number): Line[] {
  const phase = input.state.snapshot.phase;
  const gates: Span[] = [s('     gates ', 'muted')];
  if (phase.criteria.length === 0) gates.push(s('no success criteria', 'muted'));
  for (const c of phase.criteria) {
    const symbol = c.met === true ? '✓' : c.met === false ? '✗' : '?';
    const tone: Tone = c.met === true ? 'ok' : c.met === false ? 'bad' : 'warn';
    gates.push(s(`${symbol} ${c.text}`, tone), s(` held ${formatElapsed(c.heldMs)}/${formatDuration(c.holdMs)}  `, 'muted'));
  }
  const second: Line[] = [];
  if (phase.checklist.length > 0) second.push([checklistTally(phase.checklist)]);
  if (phase.nextCheckinAt !== undefined) {
    const inMs = phase.nextCheckinAt - input.state.now;
    const cadence = phase.checkinDaily !== undefined ? `, daily ${phase.checkinDaily}` : phase.checkinEveryMs ? `, every ${formatDuration(phase.checkinEveryMs)}` : '';
    second.push([s(`next check-in ${formatClock(phase.nextCheckinAt)} (${inMs <= 0 ? 'due now' : `in ${formatElapsed(inMs)}`}${cadence})`)]);
  }
  // A cadence check-in comes first most of the day; the daily one (the standup) is still worth knowing.
  if (phase.dailyCheckin && phase.checkinDaily === undefined) {
    const inMs = phase.dailyCheckin.at - input.state.now;
    second.push([s(`daily ${phase.dailyCheckin.time} ${inMs <= 0 ? 'due now' : `in ${formatElapsed(inMs)}`}`)]);
  }
  if (phase.remainingMs !== undefined) second.push([s(phase.remainingMs > 0 ? `minimum duration reached in ${formatElapsed(phase.remainingMs)}` : 'minimum duration reached', 'muted')]);
  return [clip(gates, w), second.length > 0 ? [s('     '), ...parts(second, w - 5)] : [s('     no checklist or check-ins', 'muted')]];
}

/** Lines the timeline wants at full size. */
export function timelineNeed(profile: Profile): number {
  return profile.phases.length + CURRENT_PHASE_DETAIL_LINES;
}
