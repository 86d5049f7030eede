// The header: title, markers and clock; phase, traffic, time in phase, data age and gates; the
// decision badge with its first reason.

import type { Profile } from '../profile/types.js';
import { formatDuration } from '../profile/duration.js';
import type { Decision } from '../engine/types.js';
import { trafficChange, type RolloutState } from '../engine/state.js';
import { formatClock, formatClockSeconds, formatElapsed, formatElapsedOf, formatProgress } from './format.js';
import type { Layout } from './layout.js';
import { clip, parts, s, spread, trimLine, type Line, type Span, type Tone } from './line.js';
import type { ModelInput } from './model-input.js';
import { freshness } from './sources.js';
import { checklistTally } from './checklist.js';

export const DECISION_TONE: Record<Decision, Tone> = { PROMOTE: 'ok', SOAK: 'accent', HOLD: 'warn', ROLLBACK: 'bad' };

/** A state in a badge: ` ROLLBACK ` in inverse colour, `[ROLLBACK]` without colour (the header, the roll call). */
export function badge(word: string, tone: Tone, color: boolean): Span {
  return color ? s(` ${word} `, tone, { bold: true, inverse: true }) : s(`[${word}]`, undefined, { bold: true });
}

export function headerLines(input: ModelInput, layout: Layout): Line[] {
  const { state, ui, color } = input;
  const { profile, snapshot } = state;
  const w = layout.width;
  const phase = snapshot.phase;
  const phaseText = `phase ${phase.index + 1}/${profile.phases.length} ${phase.name}`;
  const decision = state.rollout.rolledBack ? null : snapshot.decision;

  const markers: Span[] = [];
  const mark = (text: string, tone: Tone) => markers.push(s(text, tone, { bold: true }), s(' '));
  if (state.mode.readOnly) mark('READ-ONLY', 'warn');
  if (state.mode.dryRun) mark('DRY-RUN', 'warn');
  if (ui.frozen) mark(`FROZEN ${formatClockSeconds(state.now)}`, 'accent');
  if (state.mode.recording) mark('● REC', 'bad');
  if (state.mode.replay) mark('REPLAY', 'accent');
  if (state.mode.attached) mark(`attached to agent on ${state.mode.attached.host}`, 'accent');
  // Frozen, the screen's time is the frozen one: a second, live clock beside it reads as a contradiction.
  const right: Line = ui.frozen ? trimLine([...markers]) : [...markers, s(formatClock(input.live.now), 'muted')];
  const headline: Span[] = decision
    ? [badge(decision, DECISION_TONE[decision], color), s(' '), s(decision === 'SOAK' ? soakHeadline(snapshot) : (snapshot.reasons[0] ?? ''), DECISION_TONE[decision])]
    : [s(color ? ' ROLLED BACK ' : '[ROLLED BACK]', 'bad', { bold: true, inverse: color }), s(' '), s(rolledBackText(profile, state.rollout), 'bad')];

  if (layout.header === 1) {
    return [spread([...headline.slice(0, 2), s(phaseText, 'title'), s(' '), ...headline.slice(2)], right, w)];
  }

  const line1 = spread([s('rollcall ', 'muted'), s(profile.title, 'title', { bold: true })], right, w);
  const metCount = phase.criteria.filter((c) => c.met === true).length;
  const fresh = freshness(profile, state.sourceAges, state.mode.replay ? { now: state.now, endsAt: state.mode.replayEndsAt } : undefined);
  const items: Line[] = [
    [s(phaseText, 'title', { bold: true })],
    // After a rollback the phase's share is no longer what users get: show the traffic now.
    state.rollout.rolledBack
      ? [s(`${state.rollout.rolledBack.traffic}% traffic`, 'bad', { bold: true }), s(` (was ${phase.traffic}%)`, 'muted')]
      : snapshot.traffic
        ? [s(`${snapshot.traffic.share}% traffic`, 'warn', { bold: true }), s(` (${trafficChange(snapshot.traffic)})`, 'muted')]
        : [s(`${phase.traffic}% traffic`)],
    [s(phase.durationMs !== undefined ? inPhase(phase.elapsedMs, phase.durationMs) : `${formatElapsed(phase.elapsedMs)} in phase`)],
    [s(fresh.text, fresh.tone)],
  ];
  if (phase.criteria.length > 0) items.push([s(`criteria ${metCount}/${phase.criteria.length}`, metCount === phase.criteria.length ? 'ok' : 'warn')]);
  if (snapshot.rollbackChecklist) items.push([checklistTally(snapshot.rollbackChecklist, 'after rollback')]);
  else if (phase.checklist.length > 0) items.push([checklistTally(phase.checklist)]);
  return [line1, parts(items, w), clip(headline, w)];
}

/**
 * Why the phase soaks, to the minute. The engine's reason counts seconds, which would redraw the
 * header every second for the first hour of every phase while nothing an operator acts on changed.
 * Same order as the engine's: the minimum duration first, then a criterion still building its hold.
 */
export function soakHeadline(snapshot: ModelInput['state']['snapshot']): string {
  const phase = snapshot.phase;
  if (phase.durationMs !== undefined && (phase.remainingMs ?? 0) > 0) {
    return `soaking: ${formatElapsedOf(phase.elapsedMs, phase.durationMs)} of ${formatDuration(phase.durationMs)}, ${formatElapsedOf(phase.remainingMs!, phase.durationMs)} to go`;
  }
  const building = phase.criteria.find((c) => c.met === true && c.heldMs < c.holdMs);
  if (building) return `success: ${building.text} held ${formatElapsed(building.heldMs)} of ${formatDuration(building.holdMs)}`;
  return snapshot.reasons[0] ?? '';
}

/** `12s of 20s in phase`; past the minimum, `4m in phase, 20s minimum met`. */
function inPhase(elapsedMs: number, durationMs: number): string {
  const [done, ...rest] = formatProgress(elapsedMs, durationMs).split(', ');
  return rest.length > 0 ? `${done} in phase, ${rest.join(', ')}` : `${done} in phase`;
}

function rolledBackText(profile: Profile, rollout: RolloutState): string {
  const rb = rollout.rolledBack;
  if (!rb) return '';
  const target = rb.phase === null ? `${rb.traffic}% traffic` : `phase ${profile.phases[rb.phase]?.name ?? rb.phase + 1}`;
  return `rolled back to ${target} at ${formatClock(rb.at)} by ${rb.by}`;
}
