// The zod pieces both the profile schema (schema.ts) and each source kind's config (sources/<kind>.ts)
// are built from. They live apart from schema.ts so a source kind can declare its config without
// importing the schema that is built from the list of kinds.

import * as z from 'zod';
import { parseDuration, DURATION_FORMS } from './duration.js';

export const duration = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; use ${DURATION_FORMS}` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: `A duration: ${DURATION_FORMS}`, examples: ['30s', '5m', '1h', '2d'] });

export const stringMap = z.record(z.string(), z.string());

/** How a source proves who it is to an HTTP server. */
export const auth = z.union([
  z.strictObject({ bearer: z.string() }),
  z.strictObject({ basic: z.strictObject({ username: z.string(), password: z.string() }) }),
]);

/** Fields every polled source takes. */
export const sourceCommon = {
  timeout: duration.optional().meta({ description: 'Per-request timeout (default: defaults.timeout)' }),
  concurrency: z.number().int().min(1).max(32).optional().meta({ description: 'Queries in flight at once' }),
};
