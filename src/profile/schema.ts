// The profile language: the contract operators write by hand. This zod schema is the single
// source of truth for the shape; `rollcall schema` emits it as JSON Schema for editors, and the
// compiler (compile.ts) adds the cross-references zod cannot see (metric ids, units, keys).

import * as z from 'zod';
import { parseCondition, parseCriterion } from './condition.js';
import { UNITS } from './units.js';
import { DAY_NAMES, TIME_OF_DAY } from './time-of-day.js';
import { duration, stringMap } from './schema-parts.js';
import { DURATION_FORMS, parseDuration } from './duration.js';
import { sourceConfigs } from '../sources/kinds.js';

const condition = z
  .string()
  .transform((text, ctx) => {
    const parsed = parseCondition(text);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed.condition;
  })
  .meta({
    description: 'A condition: "> 2%", "< 200ms", "> 2x baseline", "> +20% baseline", "> +15% start", "> 5 in 1h"',
    examples: ['> 2%', '< 200ms', '> 2x baseline', '> +20% baseline', '> 5 in 1h'],
  });

const criterion = z
  .string()
  .transform((text, ctx) => {
    const parsed = parseCriterion(text);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return { ...parsed, text };
  })
  .meta({ description: 'A success criterion: "<metric> <condition>"', examples: ['error_rate < 0.1%'] });

/** Names every JavaScript object already has: as an id they would reach the prototype, not the entry. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

const identifier = z
  .string()
  .regex(/^[A-Za-z_][\w.-]*$/, 'use letters, digits, _ . - and start with a letter or _')
  .refine((name) => !RESERVED_NAMES.has(name), { message: 'is reserved (__proto__, constructor and prototype mean something to every object); choose another name' });

/**
 * Polling less often than hourly sees a breach an hour late, and a metric turns stale only after
 * three intervals; slow data wants a longer `window:`, not a longer interval.
 */
export const MAX_INTERVAL_MS = 3_600_000;

const interval = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; use ${DURATION_FORMS}` });
    else if (ms > MAX_INTERVAL_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is too long for an interval: at most 1h, or a breach is seen an hour late (and stale only after three); for slow data, widen the window instead`,
      });
    } else return ms;
    return z.NEVER;
  })
  .meta({ description: `A duration of at most 1h: ${DURATION_FORMS}`, examples: ['15s', '1m', '5m'] });

const nodataPolicy = z.enum(['ok', 'warn', 'breach']);

// ── sources ────────────────────────────────────────────────────────────────────────────────

/** One config per source kind, each declared beside its kind (sources/<kind>.ts). */
export const sourceSchema = z.discriminatedUnion('type', sourceConfigs());

// ── metrics ────────────────────────────────────────────────────────────────────────────────

/** A series in a scraped exposition. Label values starting with `~` are regular expressions. */
export const scrapeSelector = z.strictObject({
  series: z.string().meta({ description: 'Metric name in the exposition, e.g. http_requests_total' }),
  match: stringMap.optional().meta({ description: 'Label matchers; a value starting with ~ is a regex' }),
  mode: z
    .enum(['value', 'rate', 'increase', 'quantile'])
    .optional()
    .meta({ description: 'value (gauge), rate or increase (counter, per second / per poll), quantile (histogram)' }),
  quantile: z.number().min(0).max(1).optional().meta({ description: 'For mode quantile, e.g. 0.95' }),
  divideBy: z
    .strictObject({
      series: z.string(),
      match: stringMap.optional(),
      mode: z.enum(['value', 'rate', 'increase']).optional(),
    })
    .optional()
    .meta({ description: 'Denominator, for ratios such as errors / requests' }),
});

const baseline = z
  .union([
    z.number(),
    z.literal('start'),
    z.strictObject({
      query: z.union([z.string(), scrapeSelector]).optional().meta({ description: "The control group's query (default: the metric's own, with path:)" }),
      source: z.string().optional(),
      path: z.string().optional().meta({ description: 'http: the path the control group is read from, appended to the source URL (default: the metric path)' }),
      samples: z.string().optional().meta({ description: "The control group's sample count: prometheus, a count query over the same window; http, a JSONPath" }),
    }),
    z.strictObject({ select: stringMap }),
  ])
  .meta({
    description:
      'The control group: a query (the legacy pipeline, the stable track) and/or, for http, another path; `select` (another series of the same answer), `start` (the value when the phase began) or a fixed number',
  });

const rawStatistic = z.string().regex(/^(median|mean|p\d{1,2}(\.\d+)?)$/, 'median, mean or a percentile such as p95').meta({ description: 'median, mean or pNN (p95, p99.9)' });
const sampleName = z.string().regex(/^[a-z][a-z ]*$/i, 'a plural noun such as requests');

export const metricSchema = z.strictObject({
  source: z.string(),
  query: z
    .union([z.string(), scrapeSelector])
    .meta({ description: 'PromQL, SQL (window bounds as $1/$2), a JSONPath for http/exec, or a scrape selector' }),
  title: z.string().optional(),
  description: z.string().optional(),
  unit: z.enum(UNITS).optional().meta({ description: 'ratio (0..1, shown as %), percent, seconds, milliseconds, bytes, count, per_second' }),
  interval: interval.optional(),
  timeout: duration.optional(),
  window: duration.optional().meta({ description: 'SQL window: $1 = now - window, $2 = now (default 1h)' }),
  path: z.string().optional().meta({ description: 'http: appended to the source URL' }),
  args: z.array(z.string()).optional().meta({ description: 'exec: appended to the source argv' }),
  baseline: baseline.optional(),
  select: stringMap.optional().meta({ description: 'Pick the series with these labels from a multi-series answer' }),
  reduce: z.enum(['sum', 'avg', 'min', 'max']).optional().meta({ description: 'Combine a multi-series answer' }),
  split: z.string().optional().meta({ description: 'Judge each series by this label separately; the worst decides' }),
  chart: z.boolean().optional(),
  samples: z
    .union([z.string(), z.strictObject({ query: z.string(), name: sampleName.optional() })])
    .optional()
    .meta({
      description:
        'How many observations each value stands on (the denominator): prometheus, a count query over the same window (sum(increase(http_requests_total[5m]))); http, a JSONPath in the same answer; exec, a JSONPath in the same output; scrape, a counter whose increase between the same scrapes is the count; postgres, the column of the same row holding it (samples or n). name: what they are (default samples)',
    }),
  raw: z
    .union([rawStatistic, z.strictObject({ value: rawStatistic.optional(), maxRows: z.number().int().min(1).max(1_000_000).optional(), name: sampleName.optional() })])
    .optional()
    .meta({
      description:
        'postgres: the query returns one row per observation (a number AS value, other columns labels) for the window; the value shown is their median, mean or pNN, and baseline comparisons marked significant use a Mann-Whitney test on the rows. maxRows: the most rows a window may hold (default 10000; more is an error, never a silent cut); name: what a row is (default rows)',
    }),
});

// ── rules, phases, actions ─────────────────────────────────────────────────────────────────

const escalationStep = z.strictObject({
  after: duration.meta({ description: 'How long the warning has fired, unresolved, before this step (counted from when it fired)' }),
  to: z.string().meta({ description: 'rollback, or the id of an action to run (e.g. reduce)' }),
  notify: z.string().optional().meta({ description: 'The id of a notify target that hears this step when it is reached (e.g. team-lead), whatever its on:' }),
});

export const ruleSchema = z.strictObject({
  metric: z.string(),
  title: z.string().optional(),
  info: condition.optional(),
  warn: condition.optional(),
  rollback: condition.optional(),
  for: duration.optional().meta({ description: 'The condition must hold on every sample this long (PENDING, then FIRING)' }),
  after: duration.optional().meta({ description: 'The conditions judge only once the phase has run this long (counted from the phase start), e.g. a hit rate that means something after 24h; no data and source errors count from the start' }),
  nodata: nodataPolicy.optional().meta({ description: 'What no data means: ok, warn (default) or breach' }),
  errorLimit: z.number().int().min(1).optional().meta({ description: 'Consecutive source errors before the metric is `error` (default 3)' }),
  onError: z.enum(['hold', 'rollback']).optional().meta({ description: 'What `error` means; a rollback on errors alone only when this says so' }),
  auto: z.boolean().optional().meta({ description: 'Run the rollback action automatically when the rollback condition fires (or nodata: breach, onError: rollback)' }),
  grace: duration.optional().meta({ description: 'Countdown before an automatic rollback (default 60s)' }),
  minSamples: z.number().int().min(1).optional().meta({ description: 'Below this many samples behind the value the metric is insufficient: HOLD, unless a breach is significant anyway' }),
  confidence: z
    .union([z.number().gt(0.5).lt(1), z.string().regex(/^\s*\d+(\.\d+)?\s*%\s*$/, 'a confidence such as "95%"')])
    .optional()
    .meta({ description: 'Every condition of the rule fires only when significant at this confidence (e.g. "95%"); the `significant` suffix means 95%' }),
  escalate: z
    .union([escalationStep, z.array(escalationStep).min(1)])
    .optional()
    .meta({ description: 'A warning not resolved in time escalates: to rollback (the decision becomes ROLLBACK) or to a named action (e.g. reduce)' }),
});

const timeOfDay = z
  .string()
  .regex(TIME_OF_DAY, 'use a time of day as 24-hour HH:MM, e.g. "09:00"')
  .meta({ description: 'A time of day, 24-hour HH:MM', examples: ['09:00', '17:30'] });

/** A cadence (`every`, for `for`) or times of day (`at`, in `zone`); the compiler says which fits. */
const checkin = z.strictObject({
  every: duration.optional().meta({ description: 'A cadence: a check-in every this long from the phase start' }),
  for: duration.optional().meta({ description: 'How long this cadence lasts; the last cadence may omit it' }),
  at: z
    .union([timeOfDay, z.array(timeOfDay).min(1)])
    .optional()
    .meta({ description: 'A check-in every day at this time of day (or these), e.g. "09:00"' }),
  zone: z.string().optional().meta({ description: 'IANA time zone of at:, e.g. Europe/Berlin (default: the local zone)' }),
  on: z
    .array(z.enum(DAY_NAMES))
    .min(1)
    .optional()
    .meta({ description: 'The days of the week of at: (in its zone), e.g. [mon] or [mon, tue, wed, thu, fri] (default: every day)' }),
});

export const phaseSchema = z.strictObject({
  name: identifier,
  title: z.string().optional(),
  description: z.string().optional(),
  traffic: z.number().min(0).max(100).meta({ description: 'Share of traffic on the new version, 0..100' }),
  duration: duration.optional().meta({ description: 'Minimum time in this phase before PROMOTE; omit for open-ended' }),
  hold: duration.optional().meta({ description: 'How long success criteria must hold (default: defaults.hold, 30m)' }),
  success: z.array(criterion).optional(),
  minSamples: z.number().int().min(1).optional().meta({ description: 'Success criteria are not met on fewer samples than this behind the value (default: the metric rules\' minSamples)' }),
  checklist: z.array(z.string()).optional(),
  checkins: z
    .array(checkin)
    .optional()
    .meta({ description: 'Check-ins: a cadence (every 15m for 8h, then every 30m) and/or times of day (at: "09:00")' }),
  rules: z.array(ruleSchema).optional().meta({ description: 'Added to the profile rules; a rule for the same metric replaces it' }),
});

export const actionSchema = z.strictObject({
  title: z.string().optional(),
  description: z.string().optional(),
  key: z.string().min(1).max(1).optional(),
  run: z.array(z.string()).min(1).meta({ description: 'argv; placeholders {{phase.name}} {{next.traffic}} {{profile.name}} …' }),
  shell: z.boolean().optional().meta({ description: 'Run through /bin/sh -c; off unless written' }),
  confirm: z.enum(['yes', 'typed', 'none']).optional().meta({ description: 'yes = y/N, typed = type the action name' }),
  timeout: duration.optional(),
  env: stringMap.optional(),
  cwd: z.string().optional(),
  then: z.string().optional().meta({ description: 'Another action to run after this one succeeds' }),
  effect: z
    .union([
      z.enum(['promote', 'rollback', 'none']),
      z.strictObject({
        traffic: z
          .union([z.number().min(0).max(100), z.literal('prev')])
          .meta({ description: 'The share now on the new version, 0..100, or prev (the previous phase\'s share)' }),
      }),
    ])
    .optional()
    .meta({ description: 'What success does to the rollout state (default: by name); { traffic: 5 } records a partial rollback' }),
});

const rollbackChecklistEntry = z.union([
  z.string(),
  z.strictObject({
    group: z.string().meta({ description: 'A heading, e.g. "Immediate (0-30 minutes)"' }),
    items: z.array(z.string()).min(1, 'a group needs at least one item'),
  }),
]);

const notifyEvent = z.enum(['hold', 'rollback', 'breach', 'warn', 'action', 'recovered', 'promote']);

const notifyCommon = {
  on: z.array(notifyEvent).optional(),
  timeout: duration.optional(),
  every: duration.optional().meta({ description: 'Also send a status summary this often (e.g. 4h), whatever happens' }),
  id: identifier.optional().meta({ description: 'A name for this target, for an escalation step\'s notify: (e.g. team-lead)' }),
  phases: z.array(z.string()).min(1).optional().meta({ description: 'Send only while the rollout is in one of these phases (e.g. [shadow]); default every phase' }),
  digest: z
    .strictObject({
      at: z.union([timeOfDay, z.array(timeOfDay).min(1)]).meta({ description: 'When: a time of day or several, e.g. ["09:00"]' }),
      zone: z.string().optional().meta({ description: 'IANA time zone of at:, e.g. Europe/Berlin (default: the local zone)' }),
    })
    .optional()
    .meta({ description: 'Also send a digest at these times: decisions, moves, breaches and actions since the last one' }),
  metrics: z.array(z.string()).min(1).optional().meta({ description: 'Send only what is about one of these metrics (a breach, warning, HOLD or ROLLBACK they cause); default everything' }),
};

/** Where PagerDuty's Events API v2 takes events; `url:` overrides it (a proxy, a test). */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export const notifySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.enum(['slack', 'webhook']), url: z.string(), headers: stringMap.optional(), ...notifyCommon }),
  z.strictObject({
    type: z.literal('command'),
    run: z
      .array(z.string())
      .min(1)
      .meta({ description: 'argv (no shell); the message arrives on stdin, e.g. [mail, -s, "rollcall {{profile.name}}", ops@example.com]' }),
    env: stringMap.optional(),
    ...notifyCommon,
  }),
  z.strictObject({
    type: z.literal('pagerduty').meta({ description: 'PagerDuty Events API v2: trigger an alert, resolved when its cause clears' }),
    routingKey: z.string().min(1).meta({ description: 'The integration\'s routing key, a secret (usually "${PD_ROUTING_KEY}")' }),
    url: z.string().optional().meta({ description: `Default ${PAGERDUTY_EVENTS_URL}` }),
    ...notifyCommon,
  }),
]);

// ── rollout state ──────────────────────────────────────────────────────────────────────────

/** An SQL identifier we can quote safely: `rollcall_state`, or `schema.table`. */
const sqlTable = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/, 'use lower-case letters, digits and _ (at most 63), optionally schema.table');

export const stateSchema = z
  .discriminatedUnion('store', [
    z.strictObject({ store: z.literal('file').meta({ description: 'A JSON file per profile under --state-dir (the default)' }) }),
    z.strictObject({
      store: z.literal('postgres').meta({ description: 'One row per profile in a shared database: every console on the rollout sees the others\' moves' }),
      url: z.string().meta({ description: 'postgres://user:pass@host:5432/db (usually "${ROLLOUT_STATE_DATABASE_URL}")' }),
      table: sqlTable.optional().meta({ description: 'Created when missing (default rollcall_state)' }),
      timeout: duration.optional().meta({ description: 'Connect and statement timeout (default 5s)' }),
    }),
  ])
  .meta({ description: 'Where the rollout state (phase, checklist ticks, rollback, history) lives; default the state file' });

export const profileSchema = z.strictObject({
  $schema: z.string().optional(),
  name: identifier.meta({ description: 'Id for the state and audit files' }),
  title: z.string().optional(),
  description: z.string().optional(),
  owner: z.string().optional(),
  links: stringMap.optional(),
  defaults: z
    .strictObject({
      interval: interval.optional(),
      timeout: duration.optional(),
      hold: duration.optional(),
      errorLimit: z.number().int().min(1).optional(),
      nodata: nodataPolicy.optional(),
      history: duration.optional().meta({ description: 'How much history each metric keeps (default 2h)' }),
    })
    .optional(),
  sources: z.record(identifier, sourceSchema),
  metrics: z.record(identifier, metricSchema),
  rules: z.array(ruleSchema).optional(),
  phases: z.array(phaseSchema).min(1, 'a profile needs at least one phase'),
  rollbackTo: z
    .union([identifier, z.number().min(0).max(100)])
    .optional()
    .meta({ description: 'Where a rollback leaves the rollout: a phase name or a traffic share (default 0)' }),
  checklist: z.array(z.string()).optional().meta({ description: 'Go/no-go items, ticked before the first promote' }),
  rollbackChecklist: z
    .array(rollbackChecklistEntry)
    .optional()
    .meta({ description: 'What to do once rolled back: items, or titled groups of items (immediate, short-term …); shown and ticked while the rollout is rolled back' }),
  actions: z.record(identifier, actionSchema).optional(),
  notify: z.array(notifySchema).optional(),
  state: stateSchema.optional(),
});

export type ProfileInput = z.input<typeof profileSchema>;
export type ProfileParsed = z.output<typeof profileSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type SourceType = SourceConfig['type'];
export type ScrapeSelector = z.output<typeof scrapeSelector>;
export type MetricParsed = z.output<typeof metricSchema>;
export type RuleParsed = z.output<typeof ruleSchema>;
export type PhaseParsed = z.output<typeof phaseSchema>;
export type ActionParsed = z.output<typeof actionSchema>;
export type NotifyTarget = z.output<typeof notifySchema>;
export type NotifyEvent = z.output<typeof notifyEvent>;
export type NodataPolicy = z.output<typeof nodataPolicy>;
export type StateConfig = z.output<typeof stateSchema>;
