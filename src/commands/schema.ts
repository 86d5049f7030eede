// `rollcall schema`: the profile JSON Schema, generated from the zod schema so the two cannot
// drift. Editors use it through `# yaml-language-server: $schema=<file>`.

import * as z from 'zod';
import { profileSchema } from '../profile/schema.js';
import { ExitCode } from './exit.js';

export const SCHEMA_ID = 'urn:rollcall:profile';

/** The input side: what an operator writes, before durations and conditions are parsed. */
export function profileJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(profileSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    $schema,
    $id: SCHEMA_ID,
    title: 'rollcall profile',
    description: 'A progressive rollout for rollcall: sources, metrics, rules, phases, actions and notifications.',
    ...rest,
  };
}

export async function schema(): Promise<number> {
  process.stdout.write(`${JSON.stringify(profileJsonSchema(), null, 2)}\n`);
  return ExitCode.green;
}
