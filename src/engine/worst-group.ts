// Which group of a split metric the row shows. The state is the worst group's; so must the figure
// be: groups in the same state are told apart by how far they went (9% breaching is shown, not
// the 4% group that sorts first), and of healthy groups the one nearest its limit is shown.

import type { Rule } from '../profile/types.js';
import type { MetricView, Track } from './judge.js';

interface Judged {
  level: number;
  rank: number;
  track?: Track;
}

/** The verdict that decides, by `worse`; among equals, the group furthest in the bad direction. */
export function worstGroup<V extends Judged>(verdicts: readonly V[], rules: Rule[], worse: (a: V, b: V) => boolean): V {
  const sign = direction(rules);
  const further = (a: V, b: V) =>
    a.level === b.level && a.rank === b.rank && sign * ((b.track?.latest?.v ?? NaN) - (a.track?.latest?.v ?? NaN)) > 0;
  return verdicts.reduce((a, b) => (worse(b, a) || further(a, b) ? b : a));
}

/** Of several healthy groups, show the one nearest its limit: the largest where larger is worse. */
export function displayTrack(view: MetricView, rules: Rule[]): Track | undefined {
  if (view.tracks.length <= 1) return view.tracks[0];
  const sign = direction(rules);
  let best = view.tracks[0]!;
  for (const t of view.tracks) {
    if (sign * (t.latest!.v - best.latest!.v) > 0) best = t;
  }
  return best;
}

/** 1 where larger is worse (`> 2%`), -1 where smaller is (`< 90%`), by the first limit the rules set. */
function direction(rules: Rule[]): 1 | -1 {
  const condition = rules.map((r) => r.rollback ?? r.warn).find((c) => c !== undefined);
  return condition && (condition.op === '<' || condition.op === '<=') ? -1 : 1;
}
