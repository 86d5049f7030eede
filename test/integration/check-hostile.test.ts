// `rollcall check` and `report` against a real /metrics that misbehaves: two series where one is
// expected, an HTML page, a missing series, and label values built to forge report lines or drive
// the terminal. Each must be an error or a reason said out loud, never a verdict or a raw byte.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/commands/check-format.js';
import { ensureBuilt, onlyEnv, runCli } from '../support/cli.js';
import { startHttp, type TestHttpServer } from '../support/http.js';

const FORGED = 'FAKE [PROMOTE] all gates green';
const LONG = `/api/${'x'.repeat(200)}`;
/** What a terminal would obey: ESC, BEL, C1, bidi override. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const PAGES: Record<string, { type: string; body: string }> = {
  '/two': { type: 'text/plain', body: 'app_value{track="canary"} 0.02\napp_value{track="canary",pod="b"} 0.04\n' },
  '/html': { type: 'text/html; charset=utf-8', body: '<!DOCTYPE html><html><body>Sign in</body></html>' },
  '/renamed': { type: 'text/plain', body: 'app_value_ratio{track="canary"} 0.02\n' },
  '/hostile': {
    type: 'text/plain',
    body: [
      `app_value{endpoint="/ok\\n${FORGED}"} 0.05`,
      'app_value{endpoint="/t\x1b]0;TITLE\x07\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07\u202eok"} 0.002',
      `app_value{endpoint="${LONG}"} 0.003`,
      '',
    ].join('\n'),
  },
};

let server: TestHttpServer;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'rollcall-hostile-'));
  server = await startHttp((req, res) => {
    const page = PAGES[req.url ?? ''] ?? { type: 'text/plain', body: '' };
    res.writeHead(200, { 'content-type': page.type });
    res.end(page.body);
  });
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function profile(path: string, metric = ''): Promise<string> {
  const file = join(dir, `${path.slice(1)}.yaml`);
  await writeFile(
    file,
    `name: hostile-${path.slice(1)}
sources:
  svc: { type: scrape, url: "${server.url}${path}" }
metrics:
  error_rate:
    source: svc
    unit: ratio
    query: { series: app_value${metric ? '' : ', match: { track: canary }'} }
${metric}rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 3%" }
phases:
  - { name: canary, traffic: 10, duration: 1h }
`,
  );
  return file;
}

const run = (args: string[]) => runCli([...args, '--state-dir', dir], { env: onlyEnv({}) });

async function checkJson(file: string): Promise<{ code: number; report: CheckReport }> {
  const result = await run(['check', file, '--format', 'json']);
  return { code: result.code, report: JSON.parse(result.stdout) as CheckReport };
}

describe('check on a scrape that answers more, or other, than one series', () => {
  it('makes two matching gauge series an error naming select, reduce and split, never their sum (6%) nor a rollback', async () => {
    const { code, report } = await checkJson(await profile('/two'));
    expect(report.decision).not.toBe('ROLLBACK');
    expect(code).not.toBe(2);
    const m = report.metrics[0]!;
    expect(m.value).toBeUndefined();
    expect(m.error).toBe('2 series answered; add select:, reduce: or split: to metric error_rate (1 of 3)');
  });

  it('makes an HTML page an error saying what came back, not "no data"', async () => {
    const { report } = await checkJson(await profile('/html'));
    expect(report.metrics[0]!.error).toBe(`answered HTML, not the exposition format (127.0.0.1:${server.port}) (1 of 3)`);
  });

  it('says why there is no data, in text, markdown and JSON', async () => {
    const file = await profile('/renamed');
    const { report } = await checkJson(file);
    expect(report.metrics[0]).toMatchObject({ state: 'nodata', note: 'no series named app_value in the exposition' });
    expect(report.reasons[0]).toBe('error_rate no data for 1 poll: no series named app_value in the exposition');
    const text = (await run(['check', file])).stdout;
    expect(text).toContain('  error_rate: no series named app_value in the exposition');
    const markdown = (await run(['check', file, '--format', 'markdown'])).stdout;
    expect(markdown).toContain('  - no series named app_value in the exposition');
  });

  it('says when the series is there but no label set matches', async () => {
    const file = await profile('/renamed');
    await writeFile(file, (await import('node:fs')).readFileSync(file, 'utf8').replace('app_value,', 'app_value_ratio,').replace('track: canary', 'track: stable'));
    const { report } = await checkJson(file);
    expect(report.metrics[0]!.note).toBe('none of the 1 app_value_ratio series matches {track="stable"}');
  });
});

describe('check and report with hostile split labels', () => {
  const split = '    split: endpoint\n';
  for (const format of ['text', 'markdown']) {
    it(`keeps the worst group's label on its row, its newline shown, in check ${format}`, async () => {
      const result = await run(['check', await profile('/hostile', split), '--format', format]);
      expect(result.stdout).not.toMatch(CONTROL);
      const lines = result.stdout.split('\n');
      expect(lines.some((line) => line.trimStart().startsWith('FAKE'))).toBe(false);
      expect(lines.find((line) => line.includes(FORGED))).toContain('/ok\\n');
    });

    it(`keeps every label on its own row, escaped and cut, in report ${format}`, async () => {
      const result = await run(['report', await profile('/hostile', split), '--since', '1h', '--format', format]);
      expect(result.stdout).not.toMatch(CONTROL);
      const lines = result.stdout.split('\n');
      expect(lines.some((line) => line.trimStart().startsWith('FAKE'))).toBe(false);
      // The group's row and the reason now (judged on the live poll) name it; each on its own line.
      const named = lines.filter((line) => line.includes(FORGED));
      expect(named.length).toBeGreaterThan(0);
      for (const line of named) expect(line).toContain('\\n');
      expect(result.stdout).toContain('\\x1b]0;TITLE\\x07');
      expect(result.stdout).not.toContain(LONG);
      expect(result.stdout).toContain(`${LONG.slice(0, 20)}`);
    });
  }

  it('prints JSON that parses to the escaped labels and holds no raw control character', async () => {
    const result = await run(['check', await profile('/hostile', split), '--format', 'json']);
    expect(result.stdout).not.toMatch(CONTROL);
    const report = JSON.parse(result.stdout) as CheckReport;
    expect(report.metrics[0]!.group).toBe(`endpoint=/ok\\n${FORGED}`);
    expect(report.reasons[0]).toBe(`error_rate (endpoint=/ok\\n${FORGED}) 5% > 3% (rollback)`);
  });
});
