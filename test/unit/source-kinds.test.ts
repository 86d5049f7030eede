// One descriptor per source kind: the list in sources/kinds.ts is what the profile schema, the
// compiler and the registry are built from, so each kind must bring every part, and building the
// schema from the list must not change what `rollcall schema` prints for sources.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { defineSourceKind, type IssueReport } from '../../src/sources/kind.js';
import { SOURCE_KINDS } from '../../src/sources/kinds.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import { ensureBuilt, ROOT, runCli } from '../support/cli.js';
import { buildProfile } from '../support/profile-builder.js';

/** A config of each kind that passes its schema, as a profile would write it. */
const EXAMPLES: Record<string, Record<string, unknown>> = {
  prometheus: { type: 'prometheus', url: 'http://127.0.0.1:9' },
  postgres: { type: 'postgres', url: 'postgres://u@127.0.0.1:9/db' },
  http: { type: 'http', url: 'http://127.0.0.1:9' },
  scrape: { type: 'scrape', url: 'http://127.0.0.1:9/metrics' },
  exec: { type: 'exec', run: ['true'] },
  replay: { type: 'replay', file: 'missing.ndjson' },
};

describe('the source kinds', () => {
  beforeAll(() => ensureBuilt());

  it('each brings a config, a query check, a constructor, whether it is ranged and its URL schemes', () => {
    for (const kind of SOURCE_KINDS) {
      expect(kind.config.shape.type.value, kind.kind).toBe(kind.kind);
      expect(typeof kind.checkQuery, kind.kind).toBe('function');
      expect(typeof kind.create, kind.kind).toBe('function');
      expect(typeof kind.ranged, kind.kind).toBe('boolean');
      expect(Array.isArray(kind.urlSchemes), kind.kind).toBe(true);
      for (const scheme of kind.urlSchemes) expect(scheme, kind.kind).toMatch(/^[a-z]+:$/);
    }
  });

  it('are each listed once, and each has an example config its schema accepts', () => {
    const names = SOURCE_KINDS.map((k) => k.kind);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(EXAMPLES).sort()).toEqual([...names].sort());
    for (const kind of SOURCE_KINDS) expect(kind.config.safeParse(EXAMPLES[kind.kind]).success, kind.kind).toBe(true);
  });

  it('reject a query in the wrong language at the path they are given', () => {
    const reported: Array<{ path: readonly (string | number)[]; message: string }> = [];
    const report: IssueReport = (path, message) => reported.push({ path, message });
    const byName = Object.fromEntries(SOURCE_KINDS.map((k) => [k.kind, k]));
    byName.prometheus!.checkQuery({ series: 'up' }, ['metrics', 'm', 'query'], report);
    byName.postgres!.checkQuery('  ', ['metrics', 'm', 'query'], report);
    byName.http!.checkQuery('canary.errors', ['metrics', 'm', 'query'], report);
    byName.exec!.checkQuery({ series: 'up' }, ['metrics', 'm', 'query'], report);
    byName.scrape!.checkQuery({ series: 'x', mode: 'quantile' }, ['metrics', 'm', 'query'], report);
    expect(reported.map((r) => r.path.join('.'))).toEqual(['metrics.m.query', 'metrics.m.query', 'metrics.m.query', 'metrics.m.query', 'metrics.m.query.mode']);
    expect(reported[0]!.message).toMatch(/PromQL/);
    expect(reported[1]!.message).toMatch(/SQL query is empty/);
    expect(reported[2]!.message).toMatch(/not a JSONPath/);
  });

  it('give the registry a range query exactly where the kind says it keeps history', async () => {
    const profile = buildProfile({
      name: 'kinds',
      sources: Object.fromEntries(SOURCE_KINDS.map((k) => [k.kind, EXAMPLES[k.kind]])) as never,
      metrics: {},
      phases: [{ name: 'canary', traffic: 10 }],
    });
    const sources = createSources(profile, { clock: realClock });
    try {
      for (const kind of SOURCE_KINDS) expect(sources.get(kind.kind)!.range !== undefined, kind.kind).toBe(kind.ranged);
    } finally {
      await closeSources(sources);
    }
  });

  it('build the same sources part of `rollcall schema` as before the list existed', async () => {
    const printed = await runCli(['schema']);
    expect(printed.code).toBe(0);
    const sources = (JSON.parse(printed.stdout) as { properties: { sources: unknown } }).properties.sources;
    expect(sources).toEqual(JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'schema', 'sources.json'), 'utf8')));
  });

  it('cannot be declared without every part (the type checker says so)', () => {
    const config = z.strictObject({ type: z.literal('partial') });
    // @ts-expect-error: no checkQuery, create, ranged or urlSchemes
    const partial = defineSourceKind({ kind: 'partial', config });
    // @ts-expect-error: the name must be the config's `type`
    const misnamed = defineSourceKind({ kind: 'other', config, checkQuery: () => undefined, create: () => { throw new Error('unused'); }, ranged: false, urlSchemes: [] });
    expect([partial.kind, misnamed.kind]).toEqual(['partial', 'other']);
  });
});
