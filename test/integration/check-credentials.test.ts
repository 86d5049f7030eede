// `rollcall check` against a server that echoes the request's Authorization header in its error,
// as misconfigured proxies and auth gateways do: no form of the credential we sent may reach the
// text, markdown or JSON output.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, onlyEnv, runCli } from '../support/cli.js';
import { startHttp, type TestHttpServer } from '../support/http.js';

const USER = 'admin';
const PASSWORD = 'hunter2-correct-horse';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

let server: TestHttpServer;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'rollcall-credentials-'));
  server = await startHttp((req, res) => {
    const sent = req.headers.authorization ?? '';
    const pair = Buffer.from(sent.replace(/^Basic /, ''), 'base64').toString('utf8');
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: `rejected Authorization: ${sent} (decoded ${pair}, password ${pair.split(':')[1]})` }));
  });
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function check(format: string): Promise<string> {
  const file = join(dir, 'echo.yaml');
  await writeFile(
    file,
    `name: echo
sources:
  prom: { type: prometheus, url: "${server.url}", auth: { basic: { username: ${USER}, password: "\${PROM_PASSWORD}" } } }
metrics:
  error_rate: { source: prom, query: "sum(rate(errors[5m]))", unit: ratio }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 5%" }
phases:
  - { name: canary, traffic: 10, duration: 1h }
`,
  );
  const result = await runCli(['check', file, '--format', format, '--state-dir', dir], { env: onlyEnv({ PROM_PASSWORD: PASSWORD }) });
  return result.stdout + result.stderr;
}

describe('check against a server that echoes the credentials it was sent', () => {
  for (const format of ['text', 'markdown', 'json']) {
    it(`shows the server's error in ${format} with every form of the basic-auth credential masked`, async () => {
      const out = await check(format);
      expect(out).toContain('rejected Authorization');
      for (const secret of [PASSWORD, BASIC, BASIC.replace(/=+$/, ''), `${USER}:${PASSWORD}`]) expect(out).not.toContain(secret);
    });
  }
});
