// PagerDuty Events API v2 for "page on-call": a `trigger` per rollout and cause, and a `resolve`
// with the same dedup key once every metric behind it is ok again. The dedup key is the cause, not
// the event: a breach of error_rate and the ROLLBACK it leads to are one incident, not two pages.
// The routing key is the credential: it goes only into `routing_key`, never into the text.

import { jsonSafe, sanitizeLine } from '../util/sanitize.js';
import type { Snapshot } from '../engine/types.js';
import { redactingReplacer } from './audit.js';
import { metricReadings } from './metric-readings.js';
import type { Occurrence } from './notify-changes.js';

/** PagerDuty cuts a longer summary; we cut it ourselves so the cut is visible. */
const MAX_SUMMARY = 1024;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** The `payload` of a trigger (Events API v2). */
export interface PagerDutyPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp: string;
  component?: string;
  group: string;
  class: string;
  custom_details: Record<string, unknown>;
}

/** `rollcall/checkout/error_rate`: one incident per rollout and cause, whatever the event. */
export function dedupKey(profile: string, cause: readonly string[]): string {
  return `rollcall/${profile}/${cause.length > 0 ? cause.join(',') : 'decision'}`;
}

/** The metrics behind an occurrence: its cause list, else its one metric. */
export function causeOf(o: Occurrence): string[] {
  return o.cause ?? (o.metric !== undefined ? [o.metric] : []);
}

function severityOf(o: Occurrence): PagerDutySeverity {
  switch (o.event) {
    case 'rollback':
    case 'auto-rollback':
    case 'breach':
      return 'critical';
    case 'escalation':
      return 'error';
    default:
      return 'warning';
  }
}

/** A trigger's body. Every string but the routing key goes through the profile's secrets. */
export function triggerBody(routingKey: string, key: string, o: Occurrence, snapshot: Snapshot, now: number, secrets: readonly string[]): string {
  const summary = sanitizeLine(o.headline);
  const payload: PagerDutyPayload = {
    summary: summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY - 1)}…` : summary,
    source: `rollcall/${snapshot.profile}`,
    severity: severityOf(o),
    timestamp: new Date(now).toISOString(),
    ...(o.metric !== undefined ? { component: o.metric } : {}),
    group: snapshot.phase.name,
    class: o.event,
    custom_details: {
      decision: snapshot.decision,
      phase: snapshot.phase.name,
      traffic: snapshot.traffic?.share ?? snapshot.phase.traffic,
      reasons: snapshot.reasons,
      metrics: metricReadings(snapshot),
    },
  };
  return envelope(routingKey, 'trigger', key, JSON.stringify(payload, redactingReplacer(secrets)), secrets);
}

/** A resolve's body: the dedup key is all PagerDuty needs. */
export function resolveBody(routingKey: string, key: string, secrets: readonly string[]): string {
  return envelope(routingKey, 'resolve', key, undefined, secrets);
}

function envelope(routingKey: string, action: 'trigger' | 'resolve', key: string, payload: string | undefined, secrets: readonly string[]): string {
  const replacer = redactingReplacer(secrets);
  const dedup = JSON.stringify(key, replacer);
  const rest = payload === undefined ? '' : `,"payload":${payload}`;
  return jsonSafe(`{"routing_key":${JSON.stringify(routingKey)},"event_action":"${action}","dedup_key":${dedup}${rest}}`);
}

/**
 * The incidents this console opened, per target: triggered once while open (PagerDuty would
 * dedupe a repeat anyway, but the request is noise), resolved once their metrics are all ok.
 */
export class Incidents {
  private readonly open = new Map<number, Map<string, string[]>>();

  /** Records the incident; false when it is already open. */
  opens(target: number, key: string, metrics: readonly string[]): boolean {
    let mine = this.open.get(target);
    if (!mine) this.open.set(target, (mine = new Map()));
    if (mine.has(key)) return false;
    mine.set(key, [...metrics]);
    return true;
  }

  /** The keys of a target's incidents whose cause has cleared in `snapshot`, forgotten as they are returned. */
  cleared(target: number, snapshot: Snapshot): string[] {
    const mine = this.open.get(target);
    if (!mine) return [];
    const state = new Map(snapshot.metrics.map((m) => [m.id, m.state]));
    const out: string[] = [];
    for (const [key, metrics] of mine) {
      // An incident without a metric (the phase gates) clears with its decision.
      const clear =
        metrics.length > 0
          ? metrics.every((id) => (state.get(id) ?? 'ok') === 'ok')
          : snapshot.decision !== 'ROLLBACK' && snapshot.decision !== 'HOLD';
      if (!clear) continue;
      mine.delete(key);
      out.push(key);
    }
    return out;
  }
}
