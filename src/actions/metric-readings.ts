// The metrics of a snapshot as the audit log and the webhooks record them: each one's state, and
// its value and baseline where it has them.

import type { MetricState, Snapshot } from '../engine/types.js';

export interface MetricReading {
  name: string;
  state: MetricState;
  value?: number;
  baseline?: number;
  unit: string;
}

export function metricReadings(snapshot: Snapshot): MetricReading[] {
  return snapshot.metrics.map((m) => ({
    name: m.id,
    state: m.state,
    ...(m.value !== undefined ? { value: m.value } : {}),
    ...(m.baseline !== undefined ? { baseline: m.baseline } : {}),
    unit: m.unit,
  }));
}
