// What a profile gets where it does not say: poll interval, timeouts, hold, error limit, nodata,
// history, windows, grace, action timeout and the events a notify target hears. One table so the
// compiler's parts (metrics, rules, actions, notify) and the README's defaults agree.

import type { NotifyEvent } from './schema.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

export const DEFAULTS = {
  intervalMs: 15 * SECOND,
  timeoutMs: 10 * SECOND,
  holdMs: 30 * MINUTE,
  errorLimit: 3,
  nodata: 'warn',
  historyMs: 2 * 60 * MINUTE,
  windowMs: 60 * MINUTE,
  graceMs: 60 * SECOND,
  actionTimeoutMs: 5 * MINUTE,
} as const;

/** What a notify target hears when it does not say (`on:`). */
export const DEFAULT_NOTIFY_ON: readonly NotifyEvent[] = ['hold', 'rollback', 'action'];
