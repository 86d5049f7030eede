// Action placeholders are filled from profile and phase values only — never from metric data or
// source answers — so nothing a metric says can reach a command line.

import type { Profile } from './types.js';

export const PLACEHOLDERS = [
  'profile.name',
  'profile.title',
  'phase.name',
  'phase.index',
  'phase.traffic',
  'next.name',
  'next.index',
  'next.traffic',
  'prev.name',
  'prev.index',
  'prev.traffic',
  'rollback.name',
  'rollback.traffic',
  'user',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders a string names that are not known, e.g. `["phase.trafic"]`. */
export function unknownPlaceholders(text: string): string[] {
  const unknown: string[] = [];
  for (const m of text.matchAll(PATTERN)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) unknown.push(m[1]!);
  }
  return unknown;
}

export type TemplateValues = Record<Placeholder, string>;

/** The values for a rollout at phase `index` (the next phase clamps at the last one). */
export function templateValues(profile: Profile, index: number, user: string): TemplateValues {
  const phase = profile.phases[index] ?? profile.phases[0]!;
  const next = profile.phases[Math.min(index + 1, profile.phases.length - 1)]!;
  const prev = profile.phases[Math.max(index - 1, 0)]!;
  const target = profile.rollbackTo.phase === null ? undefined : profile.phases[profile.rollbackTo.phase];
  return {
    'profile.name': profile.name,
    'profile.title': profile.title,
    'phase.name': phase.name,
    'phase.index': String(phase.index + 1),
    'phase.traffic': String(phase.traffic),
    'next.name': next.name,
    'next.index': String(next.index + 1),
    'next.traffic': String(next.traffic),
    'prev.name': prev.name,
    'prev.index': String(prev.index + 1),
    'prev.traffic': String(prev.traffic),
    'rollback.name': target?.name ?? 'off',
    'rollback.traffic': String(profile.rollbackTo.traffic),
    user,
  };
}

/** Fills placeholders; each argv element stays one argument whatever the values contain. */
export function render(argv: readonly string[], values: TemplateValues): string[] {
  return argv.map((arg) => arg.replace(PATTERN, (_, name: string) => values[name as Placeholder] ?? ''));
}
