import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import type { Metric } from '../../src/profile/types.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { instantFor, testMetric } from '../support/metric.js';
import { buildProfile } from '../support/profile-builder.js';
import { parseProfile } from '../../src/profile/load.js';
import { Poller } from '../../src/engine/poller.js';
import { SeriesStore } from '../../src/engine/series.js';

let sources: Map<string, Source> | undefined;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-exec-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  if (sources) await closeSources(sources);
  sources = undefined;
});

function execSource(run: string[], extra: { shell?: boolean; env?: Record<string, string> } = {}): Source {
  sources = createSources(
    buildProfile({
      name: 'exec-test',
      sources: { cmd: { type: 'exec', run, ...extra } },
      metrics: {},
      phases: [{ name: 'canary', traffic: 10 }],
    }),
    { clock: realClock },
  );
  return sources.get('cmd')!;
}

function metric(query = '$', fields: Partial<Metric> = {}): Metric {
  return testMetric({ source: 'cmd', query, ...fields });
}

const values = (set: { series: Array<{ points: Array<{ v: number }> }> }) => set.series.map((s) => s.points[0]!.v);

/** Running, as opposed to gone or a zombie waiting for init to reap it (which is dead enough). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('the exec source, running real child processes', () => {
  it('reads a bare number from stdout, with the metric args appended to the argv', async () => {
    const source = execSource(['printf', '%s\\n']);
    expect(values(await source.instant(instantFor(metric('$', { args: ['0.973'] }))))).toEqual([0.973]);
  });

  it('picks a number out of JSON stdout with the JSONPath query', async () => {
    const source = execSource(['echo', '{"requests": 1200, "errors": {"5xx": 18}}']);
    expect(values(await source.instant(instantFor(metric('$.errors.5xx'))))).toEqual([18]);
  });

  it('reads the count behind the value from the same run of the command, never from a second one', async () => {
    // Each run prints a different count: two runs could not give 1 and 1 together.
    const counter = join(dir, 'runs');
    const source = execSource(['sh', '-c', `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; echo "{\\"ratio\\": 0.02, \\"requests\\": $n}"`]);
    const answer = await source.instant(instantFor(metric('$.ratio'), { samples: '$.requests' }));
    expect(answer.series.map((s) => s.points[0])).toEqual([{ t: expect.any(Number), v: 0.02, n: 1 }]);
    expect(readFileSync(counter, 'utf8').trim()).toBe('1');
  });

  it('gets its count from the poller for an exec metric with samples:, canary and baseline each from their own output', async () => {
    const profile = parseProfile(
      `name: exec-samples
sources: { cmd: { type: exec, run: [echo, '{"canary": {"ratio": 0.02, "n": 250}, "stable": {"ratio": 0.01, "n": 4000}}'] } }
metrics:
  errors: { source: cmd, query: $.canary.ratio, unit: ratio, samples: $.canary.n, baseline: { query: $.stable.ratio, samples: $.stable.n } }
phases: [{ name: a, traffic: 5 }]
`,
      'exec.yaml',
      { env: {} },
    ).profile;
    sources = createSources(profile, { clock: realClock });
    const store = new SeriesStore(profile);
    await new Poller({ profile, sources, store, clock: realClock }).pollOnce();
    const group = store.snapshot().errors!.groups[0]!;
    expect(group.canary.toPoints().map((p) => [p.v, p.n])).toEqual([[0.02, 250]]);
    expect(group.baseline.toPoints().map((p) => [p.v, p.n])).toEqual([[0.01, 4000]]);
  });

  it('gives a value whose count is missing from the output no count at all, not a zero', async () => {
    const source = execSource(['echo', '{"ratio": 0.02}']);
    const answer = await source.instant(instantFor(metric('$.ratio'), { samples: '$.requests' }));
    expect(answer.series[0]!.points[0]).not.toHaveProperty('n');
  });

  it('reports a non-zero exit with the code and the first line of stderr, naming the command', async () => {
    const source = execSource(['sh', '-c', 'echo "flagctl: permission denied" >&2; echo "second line" >&2; exit 2']);
    await expect(source.instant(instantFor(metric()))).rejects.toMatchObject({
      kind: 'exit',
      reason: 'exit 2: flagctl: permission denied (sh)',
    });
  });

  it('reports stdout that is not a number as a parse error quoting it', async () => {
    const source = execSource(['echo', 'service healthy']);
    await expect(source.instant(instantFor(metric()))).rejects.toMatchObject({
      kind: 'parse',
      reason: 'stdout "service healthy" is not a number (echo)',
    });
  });

  it('reports stdout that is not JSON when a JSONPath asks for JSON', async () => {
    const source = execSource(['echo', 'ok=1']);
    await expect(source.instant(instantFor(metric('$.ok')))).rejects.toMatchObject({ kind: 'parse', reason: 'stdout "ok=1" is not JSON (echo)' });
  });

  it('reports a command that prints nothing as an error carrying the end of its stderr, never as a value', async () => {
    const source = execSource(['sh', '-c', 'echo "warming up" >&2; echo "no pods matched" >&2']);
    await expect(source.instant(instantFor(metric()))).rejects.toMatchObject({
      kind: 'parse',
      reason: 'printed nothing on stdout; stderr: no pods matched (sh)',
    });
  });

  it('fails a shell pipeline whose first command fails, instead of reading the last command\'s 0', async () => {
    // Seed 004's `kubectl top pods | awk '{ total += $3 } END { print total }'` with no cluster.
    const script = `printf 'The connection to the server localhost:8080 was refused\\n' >&2; exit 1`;
    const source = execSource([`sh -c "${script}" | awk '{ total += $3 } END { print total + 0 }'`], { shell: true });
    const failure = (await source.instant(instantFor(metric())).catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ kind: 'exit', reason: 'exit 1: The connection to the server localhost:8080 was refused (sh)' });
  });

  it('fails a shell pipeline whose first program is missing, naming what was not found', async () => {
    const source = execSource([`rollcall-no-such-kubectl top pods | awk '{ print 0 }'`], { shell: true });
    const failure = (await source.instant(instantFor(metric())).catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ kind: 'exit' });
    expect((failure as unknown as { reason: string }).reason).toMatch(/^exit 127: .*rollcall-no-such-kubectl.*not found \(rollcall-no-such-kubectl\)$/);
  });

  it('still reads a healthy pipeline\'s number', async () => {
    const source = execSource([`printf 'a 1\\nb 2\\n' | awk '{ total += $2 } END { print total }'`], { shell: true });
    expect(values(await source.instant(instantFor(metric())))).toEqual([3]);
  });

  it('times out a command that ignores SIGTERM, and kills its whole process group', async () => {
    const pids = join(dir, 'pids');
    const source = execSource(['sh', '-c', `trap "" TERM; sleep 30 & echo "$$ $!" > ${pids}; wait`]);
    await expect(source.instant(instantFor(metric('$', { timeoutMs: 300 })))).rejects.toMatchObject({
      kind: 'timeout',
      reason: 'timed out after 300ms (sh)',
    });
    const [shell, sleeper] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number);
    expect(await waitUntil(() => !alive(shell!) && !alive(sleeper!), 10_000)).toBe(true);
  });

  it('runs through a shell only when the profile says shell: true, with its env', async () => {
    const source = execSource(['echo "$BASE" | tr 3 7'], { shell: true, env: { BASE: '33' } });
    expect(values(await source.instant(instantFor(metric())))).toEqual([77]);
    const literal = execSource(['echo', '$BASE']);
    await expect(literal.instant(instantFor(metric()))).rejects.toMatchObject({ reason: 'stdout "$BASE" is not a number (echo)' });
  });

  it('reports a missing program as unreachable, naming it and never its arguments', async () => {
    const source = execSource(['rollcall-no-such-tool', '--token=abc123']);
    const failure = (await source.instant(instantFor(metric())).catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ kind: 'unreachable', reason: 'command not found (rollcall-no-such-tool)' });
    expect(failure.message).not.toContain('abc123');
  });
});
