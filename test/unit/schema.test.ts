// The JSON Schema editors use: generated from the zod schema, it must accept every profile we
// ship and reject what the loader rejects for its shape.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { profileJsonSchema, SCHEMA_ID } from '../../src/commands/schema.js';

const shipped = readdirSync('profiles')
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => join('profiles', name));
const examples = [...shipped, 'test/fixtures/profiles/checkout.yaml'];

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(profileJsonSchema());

function errors(data: unknown): string[] {
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

describe('the profile JSON Schema', () => {
  it('is a 2020-12 schema with an id and a title', () => {
    const schema = profileJsonSchema();
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: SCHEMA_ID, title: 'rollcall profile' });
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'sources', 'metrics', 'phases']));
  });

  it.each(examples)('accepts %s', (file) => {
    expect(errors(parse(readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('rejects an unknown key, a wrong type and a missing phase list', () => {
    const broken = parse(readFileSync('test/fixtures/profiles/checkout.yaml', 'utf8')) as Record<string, unknown>;
    broken.colour = 'blue';
    (broken.phases as Array<Record<string, unknown>>)[0]!.traffic = 'ten';
    expect(errors(broken)).toEqual(
      expect.arrayContaining(['/ must NOT have additional properties', '/phases/0/traffic must be number']),
    );
    delete broken.phases;
    expect(errors(broken)).toEqual(expect.arrayContaining(["/ must have required property 'phases'"]));
  });

  it('accepts a shared rollout state store and rejects a store it does not know', () => {
    const profile = parse(readFileSync('test/fixtures/profiles/checkout.yaml', 'utf8')) as Record<string, unknown>;
    profile.state = { store: 'postgres', url: '${ROLLOUT_STATE_DATABASE_URL}', table: 'rollcall_state' };
    expect(errors(profile)).toEqual([]);
    profile.state = { store: 'file' };
    expect(errors(profile)).toEqual([]);
    profile.state = { store: 'redis', url: 'redis://cache:6379' };
    expect(errors(profile).length).toBeGreaterThan(0);
    profile.state = { store: 'postgres', url: 'postgres://db/rollouts', table: 'Rollout-State' };
    expect(errors(profile)).toEqual(expect.arrayContaining(['/state/table must match pattern "^[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?$"']));
  });

  it('rejects the broken fixture', () => {
    expect(errors(parse(readFileSync('test/fixtures/profiles/broken.yaml', 'utf8'))).length).toBeGreaterThan(0);
  });

  it('describes durations with examples, for editor hover text', () => {
    const text = JSON.stringify(profileJsonSchema());
    expect(text).toContain('A duration: 30s, 5m, 1h, 2d, 1w, 500ms or 1h30m');
  });
});
