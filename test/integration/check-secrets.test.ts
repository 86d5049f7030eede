// `check` and `report` need only what they use: the sources' variables. An action's token or a
// notifier's webhook URL is for the console that runs and sends; a cron check-in has neither.
// The built CLI as cron runs it, with exactly the variables named, against a loopback /metrics.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, onlyEnv, runCli, type CliResult } from '../support/cli.js';
import { startHttp, type TestHttpServer } from '../support/http.js';

const PROFILE = `name: secrets-it
sources:
  app: { type: scrape, url: "\${APP_METRICS_URL}/metrics" }
metrics:
  error_rate: { source: app, unit: ratio, interval: 1s, query: { series: app_error_ratio } }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%" }
phases:
  - { name: canary, traffic: 10 }
  - { name: full, traffic: 100 }
actions:
  rollback:
    run: [curl, -fsS, -H, "Authorization: Bearer \${PHOENIX_ADMIN_TOKEN}", "\${ADMIN_API}/rollback"]
notify:
  - { type: slack, url: "\${SLACK_WEBHOOK_URL}" }
  - { type: command, run: [mail, -s, rollcall, "\${ONCALL_EMAIL}"] }
`;

let app: TestHttpServer;
let dir: string;
let file: string;

beforeAll(async () => {
  ensureBuilt();
  app = await startHttp((_req, res) => res.end('app_error_ratio 0.004\n'));
  dir = await mkdtemp(join(tmpdir(), 'rollcall-check-secrets-'));
  file = join(dir, 'secrets.yaml');
  await writeFile(file, PROFILE);
});

afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

function rollcall(args: string[], vars: Record<string, string>): Promise<CliResult> {
  return runCli(args, { env: onlyEnv({ PATH: process.env.PATH ?? '', ...vars }) });
}

describe('check and report with only the sources’ variables set', () => {
  it('check judges, without asking for the actions’ and notifiers’ variables', async () => {
    const run = await rollcall(['check', file, '--state-dir', join(dir, 'state')], { APP_METRICS_URL: app.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/PROMOTE/);
  });

  it('report reports, without asking for them either', async () => {
    const run = await rollcall(['report', file, '--since', '1h', '--state-dir', join(dir, 'state')], { APP_METRICS_URL: app.url });
    expect(run.stderr).not.toMatch(/PHOENIX_ADMIN_TOKEN|ADMIN_API|SLACK_WEBHOOK_URL|ONCALL_EMAIL/);
    expect(run.code).toBe(0);
  });

  it('still asks for a source’s variable, and only for that one', async () => {
    const run = await rollcall(['check', file, '--state-dir', join(dir, 'state')], {});
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/secrets\.yaml:3:\d+: sources\.app\.url: environment variable APP_METRICS_URL is not set/);
    expect(run.stderr).not.toMatch(/PHOENIX_ADMIN_TOKEN|ADMIN_API|SLACK_WEBHOOK_URL|ONCALL_EMAIL/);
  });

  it('checks the demo profile without ROLLCALL_NODE or ROLLCALL_CLI', async () => {
    // Nothing listens on port 9: the demo's sources are unreachable, which is exit 4, not a profile error.
    const run = await rollcall(['check', 'profiles/demo.yaml', '--state-dir', join(dir, 'demo-state')], { DEMO_URL: 'http://127.0.0.1:9' });
    expect(run.stderr).not.toMatch(/ROLLCALL_NODE|ROLLCALL_CLI/);
    expect(run.code).toBe(4);
  });
});
