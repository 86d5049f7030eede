// The cross-references of notify targets that zod cannot see: ids unique, `phases:` naming phases
// the profile has, `metrics:` naming its metrics, escalation steps' `notify:` naming a target's id, and a PagerDuty target
// hearing only what can open an incident. Each problem at its own path, so file:line:col.

import type { PathSegment } from './issues.js';
import type { NotifyEvent, ProfileParsed, RuleParsed } from './schema.js';
import { didYouMean } from './suggest.js';
import { isTimeZone, knownTimeZones } from './time-of-day.js';

/** What a PagerDuty target pages on when it does not say: a rollback wakes someone, a HOLD does not. */
export const DEFAULT_PAGE_ON: readonly NotifyEvent[] = ['rollback'];

/** Events that open an incident. A recovery resolves one by itself; an action or promote is no incident. */
export const PAGEABLE: readonly NotifyEvent[] = ['hold', 'rollback', 'breach', 'warn'];

type Report = (path: readonly PathSegment[], message: string) => void;

/**
 * `phaseNames` is undefined when the phase list did not pass the schema (already reported), so
 * phase names cannot be checked.
 */
export function checkNotifyReferences(
  parsed: ProfileParsed,
  metricIds: readonly string[],
  phaseNames: readonly string[] | undefined,
  error: Report,
  /** Where the i-th rule and phase kept stood in the file, when the schema dropped some. */
  ruleAt: (i: number) => number = (i) => i,
  phaseAt: (i: number) => number = (i) => i,
): void {
  const targets = parsed.notify ?? [];
  const ids = new Map<string, number>();
  targets.forEach((n, i) => {
    if (n.id !== undefined) {
      const earlier = ids.get(n.id);
      if (earlier !== undefined) error(['notify', i, 'id'], `"${n.id}" is already the id of notify[${earlier}]; ids must be unique`);
      else ids.set(n.id, i);
    }
    if (phaseNames) {
      n.phases?.forEach((name, j) => {
        if (!phaseNames.includes(name)) {
          error(['notify', i, 'phases', j], `unknown phase "${name}"${didYouMean(name, phaseNames)}; phases: ${phaseNames.join(', ')}`);
        }
      });
    }
    n.metrics?.forEach((id, j) => {
      if (!metricIds.includes(id)) error(['notify', i, 'metrics', j], `unknown metric "${id}"${didYouMean(id, metricIds)}; metrics: ${metricIds.join(', ')}`);
    });
    const zone = n.digest?.zone;
    if (zone !== undefined && !isTimeZone(zone)) {
      error(['notify', i, 'digest', 'zone'], `unknown time zone "${zone}"${didYouMean(zone, knownTimeZones())}; use an IANA zone such as Europe/Berlin or UTC`);
    }
    if (n.type !== 'pagerduty') return;
    if (n.digest !== undefined) error(['notify', i, 'digest'], 'a pagerduty target sends no digest: digest: is for slack, webhook and command targets');
    n.on?.forEach((event, j) => {
      if (!PAGEABLE.includes(event)) {
        const why = event === 'recovered' ? 'a recovery resolves the incident by itself' : `${event} opens no incident`;
        error(['notify', i, 'on', j], `a pagerduty target pages on ${PAGEABLE.join(', ')}; ${why}`);
      }
    });
    if (n.every !== undefined) error(['notify', i, 'every'], 'a pagerduty target sends no status summary: every: is for slack, webhook and command targets');
  });

  const known = [...ids.keys()];
  const checkRule = (rule: RuleParsed, path: PathSegment[]): void => {
    if (rule.escalate === undefined) return;
    const steps = Array.isArray(rule.escalate) ? rule.escalate : [rule.escalate];
    steps.forEach((step, k) => {
      if (step.notify === undefined || ids.has(step.notify)) return;
      const at: PathSegment[] = Array.isArray(rule.escalate) ? [...path, 'escalate', k, 'notify'] : [...path, 'escalate', 'notify'];
      const hint = known.length === 0 ? 'no notify target has an id: give one `id: ' + step.notify + '`' : `notify targets with an id: ${known.join(', ')}`;
      error(at, `unknown notify target "${step.notify}"${didYouMean(step.notify, known)}; ${hint}`);
    });
  };
  (parsed.rules ?? []).forEach((r, i) => checkRule(r, ['rules', ruleAt(i)]));
  parsed.phases.forEach((p, i) => (p.rules ?? []).forEach((r, j) => checkRule(r, ['phases', phaseAt(i), 'rules', j])));
}
